/**
 * An in-memory mirror of the `["trace", T]` records, so the hot path (Next, state, labels)
 * reads no full range from KV. The mirror is only a hint: every write still checks the
 * record's versionstamp in KV, and a failed check refreshes the entry from KV before the
 * caller retries. A stale mirror (say, a second process writing the same store) therefore
 * costs retries, never correctness.
 *
 * It also keeps the `AssignmentIndex` of Next in step with every record it stores, queues
 * this process's writers of one record (`lock`), so they do not fail each other's checks,
 * and mirrors the annotators' `["current", A]` pointers the same way (read once, then
 * followed through this process's commits; a failed check refreshes them).
 *
 * One instance per server: `startServer` (`serve_server.ts`) creates it, loads it before
 * serving (`load`) and shares it as `ServeContext.records`; `assignment.ts` and `labels.ts`
 * read it, queue on `lock`, and report each successful commit (`committed`).
 *
 * @module
 */
import { ProgressIndex } from "./progress_index.ts";
import { AssignmentIndex } from "./assignment_index.ts";
import { KEY, type TraceRecord } from "./kv_schema.ts";

/** The mirror of the trace records and current-trace pointers (see the module doc). */
export class TraceRecords {
  readonly #kv: Deno.Kv;
  readonly #entries = new Map<string, Deno.KvEntryMaybe<TraceRecord>>();
  readonly #empty = new Map<string, Deno.KvEntryMaybe<TraceRecord>>();
  /** No reservation can be idle long enough to be released before this time. */
  #nextStaleAt = -Infinity;
  #index?: { traces: readonly { name: string }[]; index: AssignmentIndex };
  #progress?: { traces: readonly { name: string }[]; index: ProgressIndex };
  readonly #current = new Map<string, Deno.KvEntryMaybe<string>>();
  /** Per trace: resolves when the last queued writer is done. */
  readonly #locks = new Map<string, Promise<void>>();

  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  /** Reads every trace record once (at start). */
  async load(): Promise<void> {
    for await (const entry of this.#kv.list<TraceRecord>({ prefix: KEY.traces })) {
      this.#store(entry.key[1] as string, entry);
    }
  }

  /** The mirrored record of `trace` (an empty one, versionstamp null, when never written). */
  get(trace: string): Deno.KvEntryMaybe<TraceRecord> {
    const entry = this.#entries.get(trace);
    if (entry) return entry;
    let empty = this.#empty.get(trace);
    if (!empty) {
      empty = { key: KEY.trace(trace), value: null, versionstamp: null };
      this.#empty.set(trace, empty);
    }
    return empty;
  }

  /** True when a reservation may have become releasable (see `setNextStaleAt`). */
  staleScanDue(now: number): boolean {
    return now >= this.#nextStaleAt;
  }

  /** After a scan: the earliest time an unfinished reservation becomes releasable. */
  setNextStaleAt(at: number): void {
    this.#nextStaleAt = at;
  }

  /**
   * Re-reads `trace` from KV (after a failed check). `staleAtOf` tells when the record's
   * reservations can become releasable; without it, the next Next scans for idle ones.
   */
  async refresh(
    trace: string,
    staleAtOf?: (record: TraceRecord) => number,
  ): Promise<Deno.KvEntryMaybe<TraceRecord>> {
    const entry = await this.#kv.get<TraceRecord>(KEY.trace(trace));
    // Written by someone else: its reservations may become idle earlier than we knew.
    if (!staleAtOf) this.#nextStaleAt = -Infinity;
    else if (entry.value) this.#nextStaleAt = Math.min(this.#nextStaleAt, staleAtOf(entry.value));
    this.#store(trace, entry);
    return this.get(trace);
  }

  /**
   * The index of Next over `catalog`'s traces with `cap` annotators per trace: built from
   * the mirror on first use, then updated with every record stored.
   */
  assignmentIndex(catalog: { traces: readonly { name: string }[] }, cap: number): AssignmentIndex {
    if (this.#index?.traces === catalog.traces && this.#index.index.cap === cap) {
      return this.#index.index;
    }
    const index = new AssignmentIndex(catalog.traces.map((t) => t.name), cap);
    for (const [trace, entry] of this.#entries) {
      index.update(trace, [], entry.value?.members.map((m) => m.id) ?? []);
    }
    this.#index = { traces: catalog.traces, index };
    return index;
  }

  /**
   * The page's progress counts over `catalog`'s traces with `cap` annotators per trace:
   * built from the mirror on first use, then updated with every record stored.
   */
  progressIndex(
    catalog: { traces: readonly { name: string; questions: readonly number[] }[] },
    cap: number,
  ): ProgressIndex {
    if (this.#progress?.traces === catalog.traces && this.#progress.index.cap === cap) {
      return this.#progress.index;
    }
    const index = new ProgressIndex(catalog.traces, cap);
    for (const [trace, entry] of this.#entries) index.update(trace, [], entry.value?.members ?? []);
    this.#progress = { traces: catalog.traces, index };
    return index;
  }

  /**
   * Waits until this process's earlier writers of `trace` are done; call the returned
   * function when done writing (it must be called, also on failure).
   */
  async lock(trace: string): Promise<() => void> {
    const before = this.#locks.get(trace) ?? Promise.resolve();
    let unlock!: () => void;
    const mine = new Promise<void>((resolve) => unlock = resolve);
    const tail = before.then(() => mine);
    this.#locks.set(trace, tail);
    await before;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      unlock();
      if (this.#locks.get(trace) === tail) this.#locks.delete(trace);
    };
  }

  /**
   * Records a successful commit of `record` with `versionstamp`; `staleAt` is when the
   * reservation it touched becomes releasable if nothing else happens.
   */
  committed(trace: string, record: TraceRecord, versionstamp: string, staleAt = Infinity): void {
    this.#nextStaleAt = Math.min(this.#nextStaleAt, staleAt);
    this.#store(trace, { key: KEY.trace(trace), value: record, versionstamp });
  }

  /** The annotator's current-trace pointer (read from KV the first time). */
  async current(annotator: string): Promise<Deno.KvEntryMaybe<string>> {
    return this.#current.get(annotator) ?? await this.refreshCurrent(annotator);
  }

  /** Re-reads the annotator's current-trace pointer from KV (after a failed check). */
  async refreshCurrent(annotator: string): Promise<Deno.KvEntryMaybe<string>> {
    this.#storeCurrent(annotator, await this.#kv.get<string>(KEY.current(annotator)));
    return this.#current.get(annotator)!;
  }

  /** Records a successful commit of the annotator's pointer to `trace`. */
  currentCommitted(annotator: string, trace: string, versionstamp: string): void {
    this.#storeCurrent(annotator, { key: KEY.current(annotator), value: trace, versionstamp });
  }

  #storeCurrent(annotator: string, entry: Deno.KvEntryMaybe<string>): void {
    const known = this.#current.get(annotator);
    if (known?.versionstamp && (entry.versionstamp ?? "") < known.versionstamp) return;
    this.#current.set(annotator, entry);
  }

  #store(trace: string, entry: Deno.KvEntryMaybe<TraceRecord>): void {
    const known = this.#entries.get(trace);
    // Commits can resolve out of order; keep the newest (versionstamps sort by time).
    if (known?.versionstamp && entry.versionstamp && known.versionstamp > entry.versionstamp) {
      return;
    }
    if (entry.versionstamp === null && known) return;
    this.#entries.set(trace, entry);
    this.#index?.index.update(
      trace,
      known?.value?.members.map((m) => m.id) ?? [],
      entry.value?.members.map((m) => m.id) ?? [],
    );
    this.#progress?.index.update(trace, known?.value?.members ?? [], entry.value?.members ?? []);
  }
}
