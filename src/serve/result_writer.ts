/**
 * The result files: `<out>/<trace>.json` in the reference's result format, kept in step
 * with the store. KV is the source of truth; the files are its mirror, read by
 * `proactive convert` and the reference's scripts (and at start-up by `result_import.ts`).
 *
 * How a label gets here: `POST /api/label` (`annotation_routes.ts`) checks the body
 * (`labelBody`) and the trace name; `submitLabel` (`labels.ts`) checks the
 * label against the question (`labelProblem`) and commits, through the `CommitBatcher`
 * (`commit_batcher.ts`, which merges concurrent operations into one durable commit), one
 * atomic operation checked against `["trace", T]` that sets `["trace", T]`,
 * `["label", T, A, turn]` and, on a change, `["history", T, at, id]` (`kv_schema.ts`); then
 * it calls `ServeContext.traceChanged(T)`, which `startServer` (`serve_server.ts`) set to
 * this writer's `schedule`. Reservations (`assignment.ts`) and releases (`releases.ts`) call it too.
 *
 * `createResultWriter` is called once by `startServer`. A scheduled trace is written
 * `DEFAULT_WRITE_DELAY_MS` (2 s) later, coalesced per trace, one file at a time in the
 * background, from a fresh read of KV: `readTraceLabels` (the `["trace", T]` record and the
 * `["label", T]` range), then `buildResultFile` (one entry `{observation, candidate_task}`
 * per turn revealed to some current annotator, with `real_user: {annotator id: label}` on
 * labelled question turns, annotators in reservation order, labels of released
 * reservations left out), then `stringifyResultFile` (the reference's 4-space indent) and
 * `writeFileAtomic` (temporary file, fsync, rename: the folder always holds valid JSON),
 * and beside it the notes side file `<out>/notes/<trace>.json` (skips, comments and
 * decisions, `trace_notes.ts`; removed when the trace has none). A
 * failed write never fails a request: it is logged, retried with backoff and listed by
 * `stale()`, so `GET /api/health` answers 503 until it succeeds. `regenerateAll` rewrites
 * every file at start-up; `close` tries the stale ones once more at shutdown.
 *
 * @module
 */
import { join } from "node:path";
import { describeError } from "../cli/errors.ts";
import type { Logger } from "../cli/logger.ts";
import { type Label, type ResultFile, stringifyResultFile } from "../formats/result_file.ts";
import {
  KEY,
  type LabelRecord,
  type Member,
  type TraceRecord,
  traceRecordOf,
} from "./kv_schema.ts";
import { writeFileAtomic } from "../store/atomic_write.ts";
import { refuseSymlink } from "../store/no_follow.ts";
import { NOTES_FOLDER, type NotesFile, stringifyNotesFile } from "../formats/notes_file.ts";
import { buildNotesFile, readTraceDecisions } from "./trace_notes.ts";
import { revealedCount } from "./progress.ts";
import type { Catalog, CatalogTrace } from "./trace_catalog.ts";

/** Labels of one trace: annotator id → question turn → label record. */
export type TraceLabels = Map<string, Map<number, LabelRecord>>;

/** A trace's members and their current labels, read from KV. */
export async function readTraceLabels(
  kv: Deno.Kv,
  trace: string,
): Promise<{ members: Member[]; labels: TraceLabels }> {
  const members = traceRecordOf(await kv.get<TraceRecord>(KEY.trace(trace))).members;
  const labels: TraceLabels = new Map();
  for await (const entry of kv.list<LabelRecord>({ prefix: KEY.labelsOfTrace(trace) })) {
    const annotator = entry.key[2] as string;
    let own = labels.get(annotator);
    if (!own) labels.set(annotator, own = new Map());
    own.set(entry.key[3] as number, entry.value);
  }
  return { members, labels };
}

/**
 * The member's current answer record of question `turn`: undefined when they have none or
 * when it belongs to a released reservation.
 */
export function currentRecord(
  labels: TraceLabels,
  member: Member,
  turn: number,
): LabelRecord | undefined {
  const record = labels.get(member.id)?.get(turn);
  return record?.reservation === member.reservation ? record : undefined;
}

/**
 * The member's current label of question `turn`: undefined when they have none, when it
 * belongs to a released reservation, or when they skipped the question.
 */
export function currentLabel(
  labels: TraceLabels,
  member: Member,
  turn: number,
): Label | undefined {
  return currentRecord(labels, member, turn)?.label ?? undefined;
}

/**
 * The reference result file of a trace: entries for turns 0..R-1, R = the most events any
 * current annotator has been shown (the whole trace once someone finished); each entry
 * `{observation, candidate_task}`, question turns with labels also `real_user: {uuid:
 * label}`, keys in reservation order. Labels of released reservations and skipped
 * questions are left out (skips and comments go to the notes side file).
 */
export function buildResultFile(
  trace: CatalogTrace,
  members: readonly Member[],
  labels: TraceLabels,
): ResultFile {
  const revealed = Math.max(0, ...members.map((m) => revealedCount(trace, m)));
  const entries: ResultFile = [];
  for (let turn = 0; turn < revealed; turn++) {
    const source = trace.turns[turn];
    const entry: ResultFile[number] = {
      observation: { time: source.observation.time, event: source.observation.event },
      candidate_task: source.agent_response.candidate_task,
    };
    if (trace.questionIndex.has(turn)) {
      const realUser: Record<string, Label> = {};
      for (const member of members) {
        const label = currentLabel(labels, member, turn);
        if (label !== undefined) realUser[member.id] = label;
      }
      if (Object.keys(realUser).length > 0) entry.real_user = realUser;
    }
    entries.push(entry);
  }
  return entries;
}

/** A result file whose last write failed: it lags behind the store until a retry succeeds. */
export interface StaleFile {
  trace: string;
  /** The file's path. */
  path: string;
  /** Why the last attempt failed. */
  error: string;
  /** When the first failed attempt of this streak happened (ms since the epoch). */
  since: number;
  /** Failed attempts in a row. */
  attempts: number;
}

export interface ResultWriter {
  /**
   * Regenerates the trace's file soon, off the request path: after the writer's delay,
   * so a burst of changes to one trace gives one write (coalesced per trace).
   */
  schedule(trace: string): void;
  /**
   * Writes every scheduled file now (without waiting for the delay) and resolves when all
   * writes have finished (retries waiting for their turn excepted).
   */
  flush(): Promise<void>;
  /** Writes the file of every trace that has a record in KV; resolves to how many. */
  regenerateAll(): Promise<number>;
  /** The files whose last write failed, oldest failure first. */
  stale(): StaleFile[];
  /**
   * Stops retrying in the background: tries every stale file once more, waits for all
   * writes, and resolves to the files still stale.
   */
  close(): Promise<StaleFile[]>;
  /** Counters for tests and diagnostics: files written so far. */
  readonly counts: { writes: number };
}

/** How a failed write is retried: after `baseMs`, doubling up to `maxMs`. */
export interface ResultWriteRetry {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: ResultWriteRetry = { baseMs: 1000, maxMs: 60_000 };

/**
 * How long a scheduled trace waits before its file is written. Its annotators answer
 * every few seconds, so the changes of this window (several annotators, a label and the
 * next reservation) cost one write.
 */
export const DEFAULT_WRITE_DELAY_MS = 2000;

/**
 * Result files written at the same time while serving: one, so the writer never takes more
 * than one file operation's share of the process and the disk from the requests. Under
 * load the queue grows instead, and each write then covers more changes (the coalescing
 * adapts). When someone waits for the files (`flush`, start-up, shutdown), 4.
 */
const BACKGROUND_WRITES = 1;
/**
 * Background writes start at least this far apart (at most 100 a second), so the disk
 * stays mostly free for the store's commits, which the requests wait for.
 */
const BACKGROUND_GAP_MS = 10;
const CONCURRENT_WRITES = 4;

/**
 * Keeps `<outDir>/<trace>.json` in step with KV. A scheduled trace waits `delayMs` in a
 * queue (a map, so further changes meanwhile add nothing: one write per trace and
 * window); one file is written at a time (4 while someone waits for them), never two of
 * the same trace (a trace
 * scheduled during its own write is queued again: the pending flag), each from a fresh
 * read of KV, so the last write always reflects the last change. Each write replaces the
 * file atomically (temporary file + rename), so the folder always holds valid JSON.
 *
 * Each write is flushed to disk before its rename (`writeFileAtomic`). Skipping that
 * fsync does not help on ext4: a rename over a file whose data is not yet on disk makes
 * the next journal commit (the store's own commit, which the label route waits for) write
 * that data first, so the cost moves onto the requests. One coalesced, fsynced write at
 * a time keeps the disk mostly free for the store instead.
 *
 * A failed write (read-only folder, full disk) is logged, reported by `stale()`
 * and retried with exponential backoff until it succeeds; it never throws to the caller.
 * `writeFile` is the filesystem seam (tests inject failures).
 */
export function createResultWriter(options: ResultWriterOptions): ResultWriter {
  return new CoalescingResultWriter(options);
}

/** What `createResultWriter` needs. */
export interface ResultWriterOptions {
  kv: Deno.Kv;
  catalog: Catalog;
  outDir: string;
  logger: Logger;
  now?: () => number;
  retry?: ResultWriteRetry;
  /** Wait before a scheduled write (default `DEFAULT_WRITE_DELAY_MS`). */
  delayMs?: number;
  writeFile?: (path: string, text: string) => Promise<void>;
}

/** The result writer (see `createResultWriter`), its state in private fields. */
class CoalescingResultWriter implements ResultWriter {
  readonly counts = { writes: 0 };
  readonly #kv: Deno.Kv;
  readonly #catalog: Catalog;
  readonly #outDir: string;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #retry: ResultWriteRetry;
  readonly #delayMs: number;
  readonly #writeFile: (path: string, text: string) => Promise<void>;
  /** Trace → when its write is due (performance.now() ms); in order of scheduling. */
  readonly #queued = new Map<string, number>();
  readonly #writing = new Set<string>();
  readonly #failed = new Map<string, StaleFile>();
  readonly #retryTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Traces known to have no notes side file on disk (its removal is then skipped). */
  readonly #withoutNotes = new Set<string>();
  #closed = false;
  #idleWaiters: (() => void)[] = [];
  #dueTimer: { id: ReturnType<typeof setTimeout>; at: number } | undefined;
  /** When the next background write may start (performance.now() ms). */
  #backgroundAt = 0;

  constructor(options: ResultWriterOptions) {
    this.#kv = options.kv;
    this.#catalog = options.catalog;
    this.#outDir = options.outDir;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#delayMs = options.delayMs ?? DEFAULT_WRITE_DELAY_MS;
    this.#writeFile = options.writeFile ?? writeFileAtomic;
  }

  /** Bound, so it can be handed on as a callback (`traceChanged: writer.schedule`). */
  readonly schedule = (name: string): void => {
    this.#enqueue(name, this.#delayMs);
  };

  flush(): Promise<void> {
    if (this.#queued.size === 0 && this.#writing.size === 0) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    this.#pump(); // the waiter makes every queued write due now
    return done;
  }

  async regenerateAll(): Promise<number> {
    const names: string[] = [];
    for await (const entry of this.#kv.list<TraceRecord>({ prefix: KEY.traces })) {
      const name = entry.key[1] as string;
      if (this.#catalog.get(name)) names.push(name);
      else {
        this.#logger.warn(`The store has annotations for "${name}", which is not being served`);
      }
    }
    for (const name of names) this.#enqueue(name, 0);
    await this.flush();
    return names.length;
  }

  stale(): StaleFile[] {
    return [...this.#failed.values()].sort((a, b) => a.since - b.since);
  }

  async close(): Promise<StaleFile[]> {
    this.#closed = true;
    for (const name of [...this.#retryTimers.keys()]) this.#clearRetry(name);
    await this.flush();
    for (const name of this.#failed.keys()) this.#enqueue(name, 0);
    await this.flush();
    return this.stale();
  }

  #clearRetry(name: string): void {
    const timer = this.#retryTimers.get(name);
    if (timer !== undefined) clearTimeout(timer);
    this.#retryTimers.delete(name);
  }

  #succeeded(name: string, path: string): void {
    const was = this.#failed.get(name);
    if (!was) return;
    this.#failed.delete(name);
    this.#clearRetry(name);
    this.#logger.info(
      `The result file "${path}" is current again (after ${was.attempts} failed writes)`,
    );
  }

  #failedWith(name: string, path: string, what: string, error: unknown): void {
    const was = this.#failed.get(name);
    const stale: StaleFile = {
      trace: name,
      path,
      error: describeError(error),
      since: was?.since ?? this.#now(),
      attempts: (was?.attempts ?? 0) + 1,
    };
    this.#failed.set(name, stale);
    this.#clearRetry(name);
    if (this.#closed) {
      this.#logger.error(`Cannot ${what} the result file "${path}": ${stale.error}`);
      return;
    }
    const retry = this.#retry;
    const delay = Math.min(retry.maxMs, retry.baseMs * 2 ** Math.min(30, stale.attempts - 1));
    this.#logger.error(
      `Cannot ${what} the result file "${path}": ${stale.error} (attempt ${stale.attempts}; retrying in ${
        Math.round(delay / 100) / 10
      } s)`,
    );
    const timer = setTimeout(() => {
      this.#retryTimers.delete(name);
      this.#enqueue(name, 0);
    }, delay);
    Deno.unrefTimer(timer);
    this.#retryTimers.set(name, timer);
  }

  async #writeOne(name: string): Promise<void> {
    const trace = this.#catalog.get(name);
    if (!trace) return;
    const path = join(this.#outDir, `${name}.json`);
    try {
      const [{ members, labels }, decisions] = await Promise.all([
        readTraceLabels(this.#kv, name),
        readTraceDecisions(this.#kv, name),
      ]);
      await this.#writeFile(path, stringifyResultFile(buildResultFile(trace, members, labels)));
      await this.#writeNotes(name, buildNotesFile(trace, members, labels, decisions));
      this.counts.writes++;
      this.#succeeded(name, path);
    } catch (error) {
      this.#failedWith(name, path, "write", error);
    }
  }

  /**
   * Writes `<out>/notes/<trace>.json` (creating the folder, never through a symbolic link),
   * or removes it when the trace has no notes.
   */
  async #writeNotes(name: string, notes: NotesFile | null): Promise<void> {
    if (notes === null && this.#withoutNotes.has(name)) return; // most writes: no syscall
    const folder = join(this.#outDir, NOTES_FOLDER);
    const path = join(folder, `${name}.json`);
    await refuseSymlink(folder, "folder of the notes side files");
    if (notes === null) {
      await Deno.remove(path).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
      this.#withoutNotes.add(name);
      return;
    }
    this.#withoutNotes.delete(name);
    await Deno.mkdir(folder, { recursive: true });
    await this.#writeFile(path, stringifyNotesFile(notes));
  }

  #pump(): void {
    const hurry = this.#closed || this.#idleWaiters.length > 0;
    const limit = hurry ? CONCURRENT_WRITES : BACKGROUND_WRITES;
    const at = performance.now();
    let nextDue: number | undefined;
    for (const [name, due] of this.#queued) {
      if (this.#writing.size >= limit) break;
      if (!hurry && due > at) {
        nextDue = due; // later entries were scheduled later: due later too
        break;
      }
      if (this.#writing.has(name)) continue;
      if (!hurry && at < this.#backgroundAt) {
        nextDue = this.#backgroundAt;
        break;
      }
      if (!hurry) this.#backgroundAt = at + BACKGROUND_GAP_MS;
      this.#queued.delete(name);
      this.#writing.add(name);
      this.#writeOne(name).finally(() => {
        this.#writing.delete(name);
        this.#pump();
      });
    }
    this.#armDue(nextDue);
    if (this.#queued.size === 0 && this.#writing.size === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** One timer for the earliest pending write (none while writes run: they pump on end). */
  #armDue(at: number | undefined): void {
    if (this.#dueTimer && (at === undefined || this.#dueTimer.at > at)) {
      clearTimeout(this.#dueTimer.id);
      this.#dueTimer = undefined;
    }
    if (at === undefined || this.#dueTimer) return;
    const id = setTimeout(() => {
      this.#dueTimer = undefined;
      this.#pump();
    }, Math.max(0, at - performance.now()));
    this.#dueTimer = { id, at };
  }

  #enqueue(name: string, wait: number): void {
    if (!this.#queued.has(name)) this.#queued.set(name, performance.now() + wait);
    this.#pump();
  }
}
