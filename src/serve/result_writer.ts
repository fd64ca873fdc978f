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
 * The reference result file of a trace: entries for turns 0..R-1, R = the most events any
 * current annotator has been shown (the whole trace once someone finished); each entry
 * `{observation, candidate_task}`, question turns with labels also `real_user: {uuid:
 * label}`, keys in reservation order. Labels of released reservations are left out.
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
        const record = labels.get(member.id)?.get(turn);
        if (record && record.reservation === member.reservation) {
          realUser[member.id] = record.label;
        }
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
export function createResultWriter(options: {
  kv: Deno.Kv;
  catalog: Catalog;
  outDir: string;
  logger: Logger;
  now?: () => number;
  retry?: ResultWriteRetry;
  /** Wait before a scheduled write (default `DEFAULT_WRITE_DELAY_MS`). */
  delayMs?: number;
  writeFile?: (path: string, text: string) => Promise<void>;
}): ResultWriter {
  const { kv, catalog, outDir, logger } = options;
  const now = options.now ?? Date.now;
  const retry = options.retry ?? DEFAULT_RETRY;
  const delayMs = options.delayMs ?? DEFAULT_WRITE_DELAY_MS;
  const writeFile = options.writeFile ?? writeFileAtomic;
  /** Trace → when its write is due (performance.now() ms); in order of scheduling. */
  const queued = new Map<string, number>();
  const writing = new Set<string>();
  const failed = new Map<string, StaleFile>();
  const retryTimers = new Map<string, ReturnType<typeof setTimeout>>();
  const counts = { writes: 0 };
  let closed = false;
  let idleWaiters: (() => void)[] = [];
  let dueTimer: { id: ReturnType<typeof setTimeout>; at: number } | undefined;
  /** When the next background write may start (performance.now() ms). */
  let backgroundAt = 0;

  function clearRetry(name: string): void {
    const timer = retryTimers.get(name);
    if (timer !== undefined) clearTimeout(timer);
    retryTimers.delete(name);
  }

  function succeeded(name: string, path: string): void {
    const was = failed.get(name);
    if (!was) return;
    failed.delete(name);
    clearRetry(name);
    logger.info(
      `The result file "${path}" is current again (after ${was.attempts} failed writes)`,
    );
  }

  function failedWith(name: string, path: string, what: string, error: unknown): void {
    const was = failed.get(name);
    const stale: StaleFile = {
      trace: name,
      path,
      error: describeError(error),
      since: was?.since ?? now(),
      attempts: (was?.attempts ?? 0) + 1,
    };
    failed.set(name, stale);
    clearRetry(name);
    if (closed) {
      logger.error(`Cannot ${what} the result file "${path}": ${stale.error}`);
      return;
    }
    const delay = Math.min(retry.maxMs, retry.baseMs * 2 ** Math.min(30, stale.attempts - 1));
    logger.error(
      `Cannot ${what} the result file "${path}": ${stale.error} (attempt ${stale.attempts}; retrying in ${
        Math.round(delay / 100) / 10
      } s)`,
    );
    const timer = setTimeout(() => {
      retryTimers.delete(name);
      enqueue(name, 0);
    }, delay);
    Deno.unrefTimer(timer);
    retryTimers.set(name, timer);
  }

  async function writeOne(name: string): Promise<void> {
    const trace = catalog.get(name);
    if (!trace) return;
    const path = join(outDir, `${name}.json`);
    try {
      const { members, labels } = await readTraceLabels(kv, name);
      await writeFile(path, stringifyResultFile(buildResultFile(trace, members, labels)));
      counts.writes++;
      succeeded(name, path);
    } catch (error) {
      failedWith(name, path, "write", error);
    }
  }

  function pump(): void {
    const hurry = closed || idleWaiters.length > 0;
    const limit = hurry ? CONCURRENT_WRITES : BACKGROUND_WRITES;
    const at = performance.now();
    let nextDue: number | undefined;
    for (const [name, due] of queued) {
      if (writing.size >= limit) break;
      if (!hurry && due > at) {
        nextDue = due; // later entries were scheduled later: due later too
        break;
      }
      if (writing.has(name)) continue;
      if (!hurry && at < backgroundAt) {
        nextDue = backgroundAt;
        break;
      }
      if (!hurry) backgroundAt = at + BACKGROUND_GAP_MS;
      queued.delete(name);
      writing.add(name);
      writeOne(name).finally(() => {
        writing.delete(name);
        pump();
      });
    }
    armDue(nextDue);
    if (queued.size === 0 && writing.size === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** One timer for the earliest pending write (none while writes run: they pump on end). */
  function armDue(at: number | undefined): void {
    if (dueTimer && (at === undefined || dueTimer.at > at)) {
      clearTimeout(dueTimer.id);
      dueTimer = undefined;
    }
    if (at === undefined || dueTimer) return;
    const id = setTimeout(() => {
      dueTimer = undefined;
      pump();
    }, Math.max(0, at - performance.now()));
    dueTimer = { id, at };
  }

  function enqueue(name: string, wait: number): void {
    if (!queued.has(name)) queued.set(name, performance.now() + wait);
    pump();
  }

  function schedule(name: string): void {
    enqueue(name, delayMs);
  }

  function flush(): Promise<void> {
    if (queued.size === 0 && writing.size === 0) return Promise.resolve();
    const done = new Promise<void>((resolve) => idleWaiters.push(resolve));
    pump(); // the waiter makes every queued write due now
    return done;
  }

  async function regenerateAll(): Promise<number> {
    const names: string[] = [];
    for await (const entry of kv.list<TraceRecord>({ prefix: KEY.traces })) {
      const name = entry.key[1] as string;
      if (catalog.get(name)) names.push(name);
      else logger.warn(`The store has annotations for "${name}", which is not being served`);
    }
    for (const name of names) enqueue(name, 0);
    await flush();
    return names.length;
  }

  function stale(): StaleFile[] {
    return [...failed.values()].sort((a, b) => a.since - b.since);
  }

  async function close(): Promise<StaleFile[]> {
    closed = true;
    for (const name of [...retryTimers.keys()]) clearRetry(name);
    await flush();
    for (const name of failed.keys()) enqueue(name, 0);
    await flush();
    return stale();
  }

  return { schedule, flush, regenerateAll, stale, close, counts };
}
