/**
 * Reservations: which trace an annotator works on. `nextAssignment` ("Next trace",
 * `POST /api/next` in `annotation_routes.ts`) resumes the annotator's own unfinished trace or
 * reserves a new one, picked by the `AssignmentIndex` (`assignment_index.ts`);
 * `currentAssignment` (`GET /api/state`) finds the current one; `nothingLeftFor` says why
 * there is none. Releasing reservations (idle ones, or an admin's release) is
 * `releases.ts`.
 *
 * A reservation is one atomic commit through `ctx.commits` (`commit_batcher.ts`) that checks
 * the versionstamps of `["trace", T]` and `["current", A]` and sets both (`kv_schema.ts`),
 * so a trace never gets more than `annotatorsPerTrace` annotators and two tabs of one
 * annotator cannot take two traces, however many requests race, in this process or another
 * on the same store. Reads go through the `TraceRecords` mirror (`trace_records.ts`); a
 * failed check refreshes it (`refreshRecord`) and tries again, up to a bound, then answers
 * 503 (`busy`). Reservations call `ctx.traceChanged` so the result file follows
 * (`result_writer.ts`).
 *
 * @module
 */
import { ApiError } from "./api_error.ts";
import { KEY, type Member, type TraceRecord, traceRecordOf } from "./kv_schema.ts";
import { isFinished } from "./progress.ts";
import { refreshRecord, releaseStale } from "./releases.ts";
import type { ServeContext } from "./serve_context.ts";
import type { CatalogTrace } from "./trace_catalog.ts";

/** An annotator's reservation of a trace. */
export interface Assignment {
  trace: CatalogTrace;
  member: Member;
}

/** `resumed`: the annotator's own unfinished trace rather than a new reservation. */
export interface NextAssignment extends Assignment {
  resumed: boolean;
}

const MAX_ROUNDS = 200;
/** After a lost race, a random one of this many equally least-annotated traces is tried. */
const SPREAD_AFTER_CONFLICT = 8;

/** The annotator's current trace (unfinished, or the one just finished), if still theirs. */
export async function currentAssignment(
  ctx: ServeContext,
  annotatorId: string,
): Promise<Assignment | undefined> {
  const current = await ctx.records.current(annotatorId);
  if (current.value === null) return undefined;
  const trace = ctx.catalog.get(current.value);
  if (!trace) return undefined;
  const find = (entry: Deno.KvEntryMaybe<TraceRecord>) =>
    traceRecordOf(entry).members.find((m) => m.id === annotatorId);
  // Not in the mirror: confirm with KV (released, or the mirror lags another writer).
  const member = find(ctx.records.get(trace.name)) ?? find(await refreshRecord(ctx, trace));
  return member ? { trace, member } : undefined;
}

/**
 * "Next trace": the annotator's own unfinished trace first; otherwise reserves a trace they
 * do not have, with fewer than N annotators (done + in progress), least-annotated first,
 * then by name. Resolves to `undefined` when nothing is left for them.
 *
 * The trace comes from the `AssignmentIndex` (O(log traces)), which also counts the
 * reservations being committed right now, so racing requests pick different traces instead
 * of fighting over one. Every reservation checks the versionstamp of the trace's one record
 * (and of the annotator's current-trace pointer, so two tabs cannot take two traces), so a
 * trace never gets more than N annotators however many requests race, in this process or
 * another one on the same store; a request that lost such a race (a stale mirror) tries a
 * random one of the first few least-annotated traces next. Idle, unfinished reservations of
 * other annotators are released first (see `releaseStaleMembers`).
 */
export async function nextAssignment(
  ctx: ServeContext,
  annotatorId: string,
): Promise<NextAssignment | undefined> {
  const { catalog, records } = ctx;
  const index = records.assignmentIndex(catalog, ctx.annotatorsPerTrace);
  let spread = 1;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const current = await records.current(annotatorId);
    if (current.value !== null) {
      const own = await resumeOwn(ctx, annotatorId, current.value);
      if (own) return { ...own, resumed: true };
    }

    if (ctx.reclaimAfterMs > 0 && records.staleScanDue(ctx.now())) {
      await releaseStale(ctx, annotatorId);
    }

    const name = index.pick(annotatorId, spread);
    const trace = name === undefined ? undefined : catalog.get(name);
    if (!trace) {
      // A racing reservation of a trace this annotator could take may still fail: wait.
      if (!index.heldForAnnotator(annotatorId)) return undefined;
      await index.holdReleased();
      continue;
    }
    const hold = index.hold(trace.name);
    const unlock = await records.lock(trace.name);
    try {
      const entry = records.get(trace.name);
      const members = traceRecordOf(entry).members;
      // Filled up while this request waited for the lock (the mirror is up to date).
      if (members.length >= ctx.annotatorsPerTrace || members.some((m) => m.id === annotatorId)) {
        continue;
      }
      const at = ctx.now();
      const member: Member = {
        id: annotatorId,
        reservation: crypto.randomUUID(),
        reservedAt: at,
        lastActivity: at,
        answered: 0,
      };
      const record: TraceRecord = { members: [...members, member] };
      const result = await ctx.commits.commit({
        checks: [entry, current],
        mutations: [
          { type: "set", key: KEY.trace(trace.name), value: record },
          { type: "set", key: KEY.current(annotatorId), value: trace.name },
        ],
      });
      if (result.ok) {
        records.committed(trace.name, record, result.versionstamp, at + ctx.reclaimAfterMs);
        records.currentCommitted(annotatorId, trace.name, result.versionstamp);
        ctx.logger.debug(`Annotator ${annotatorId} reserved "${trace.name}"`);
        ctx.traceChanged(trace.name);
        return { trace, member, resumed: false };
      }
    } finally {
      unlock();
      hold.release();
    }
    // Lost a race: another tab of this annotator, or a writer this mirror did not see.
    spread = SPREAD_AFTER_CONFLICT;
    await Promise.all([refreshRecord(ctx, trace), records.refreshCurrent(annotatorId)]);
  }
  throw busy("The server is too busy to assign a trace; please try again.");
}

/**
 * Why nothing is left for an annotator: `done`, every trace has its annotators; `full`,
 * the unfinished traces already have their annotators (one may be released later);
 * `yours`, the annotator has done every trace that still needs annotators.
 */
export type NothingLeft = "done" | "full" | "yours";

/**
 * Why `nextAssignment` found nothing for the annotator, from the records' mirror: "done"
 * in constant time from the progress counts, else a scan that stops at the first open
 * trace held by others.
 */
export function nothingLeftFor(ctx: ServeContext, annotatorId: string): NothingLeft {
  const labels = ctx.records.progressIndex(ctx.catalog, ctx.annotatorsPerTrace).project();
  if (labels.done >= labels.needed) return "done";
  let open = false;
  for (const trace of ctx.catalog.traces) {
    const { members } = traceRecordOf(ctx.records.get(trace.name));
    const finished = members.filter((m) => isFinished(trace, m)).length;
    if (finished >= ctx.annotatorsPerTrace) continue;
    if (!members.some((m) => m.id === annotatorId)) return "full";
    open = true;
  }
  return open ? "yours" : "done";
}

/** A 503 that asks the client to retry after a second. */
export function busy(message: string): ApiError {
  return new ApiError(503, { message, headers: { "Retry-After": "1" } });
}

/** The annotator's unfinished current trace, marked as active again; else undefined. */
async function resumeOwn(
  ctx: ServeContext,
  annotatorId: string,
  traceName: string,
): Promise<Assignment | undefined> {
  const trace = ctx.catalog.get(traceName);
  if (!trace) return undefined;
  const mine = (entry: Deno.KvEntryMaybe<TraceRecord>) =>
    traceRecordOf(entry).members.find((m) => m.id === annotatorId);
  let found = mine(ctx.records.get(traceName)) ?? mine(await refreshRecord(ctx, trace));
  if (!found || isFinished(trace, found)) return undefined;
  const unlock = await ctx.records.lock(traceName);
  try {
    let entry = ctx.records.get(traceName);
    for (let attempt = 0; attempt < 20; attempt++) {
      const members = traceRecordOf(entry).members;
      found = members.find((m) => m.id === annotatorId);
      if (!found || isFinished(trace, found)) return undefined;
      const member = found;
      const at = ctx.now();
      const touched = { ...member, lastActivity: at };
      const record: TraceRecord = { members: members.map((m) => (m === member ? touched : m)) };
      const result = await ctx.commits.commit({
        checks: [entry],
        mutations: [{ type: "set", key: entry.key, value: record }],
      });
      if (result.ok) {
        ctx.records.committed(traceName, record, result.versionstamp, at + ctx.reclaimAfterMs);
        return { trace, member: touched };
      }
      entry = await refreshRecord(ctx, trace);
    }
  } finally {
    unlock();
  }
  throw busy("The server is too busy to resume your trace; please try again.");
}

/** Every trace record read from KV (one range read), by trace name. */
export async function readTraceRecords(
  kv: Deno.Kv,
): Promise<Map<string, Deno.KvEntry<TraceRecord>>> {
  const records = new Map<string, Deno.KvEntry<TraceRecord>>();
  for await (const entry of kv.list<TraceRecord>({ prefix: KEY.traces })) {
    records.set(entry.key[1] as string, entry);
  }
  return records;
}
