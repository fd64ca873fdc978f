import { KEY, type TraceRecord } from "./kv_schema.ts";

/**
 * An in-memory mirror of the `["trace", T]` records, so the hot path (Next, state, labels)
 * reads no full range from KV. The mirror is only a hint: every write still checks the
 * record's versionstamp in KV, and a failed check refreshes the entry from KV before the
 * caller retries. A stale mirror (say, a second process writing the same store) therefore
 * costs retries, never correctness.
 */
export class TraceRecords {
  readonly #kv: Deno.Kv;
  readonly #entries = new Map<string, Deno.KvEntryMaybe<TraceRecord>>();
  readonly #empty = new Map<string, Deno.KvEntryMaybe<TraceRecord>>();
  /** No reservation can be idle long enough to be released before this time. */
  #nextStaleAt = -Infinity;

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

  /** Re-reads `trace` from KV (after a failed check). */
  async refresh(trace: string): Promise<Deno.KvEntryMaybe<TraceRecord>> {
    const entry = await this.#kv.get<TraceRecord>(KEY.trace(trace));
    this.#nextStaleAt = -Infinity; // written by someone else: look again
    this.#store(trace, entry);
    return this.get(trace);
  }

  /**
   * Records a successful commit of `record` with `versionstamp`; `staleAt` is when the
   * reservation it touched becomes releasable if nothing else happens.
   */
  committed(trace: string, record: TraceRecord, versionstamp: string, staleAt = Infinity): void {
    this.#nextStaleAt = Math.min(this.#nextStaleAt, staleAt);
    this.#store(trace, { key: KEY.trace(trace), value: record, versionstamp });
  }

  #store(trace: string, entry: Deno.KvEntryMaybe<TraceRecord>): void {
    const known = this.#entries.get(trace);
    // Commits can resolve out of order; keep the newest (versionstamps sort by time).
    if (known?.versionstamp && entry.versionstamp && known.versionstamp > entry.versionstamp) {
      return;
    }
    if (entry.versionstamp === null && known) return;
    this.#entries.set(trace, entry);
  }
}
