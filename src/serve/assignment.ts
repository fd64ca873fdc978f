/**
 * Reservations: which trace an annotator works on. `nextAssignment` ("Next trace",
 * `POST /api/next` in `annotation_routes.ts`) resumes the annotator's own unfinished trace or
 * reserves a new one, picked by the `AssignmentIndex` (`assignment_index.ts`);
 * `currentAssignment` (`GET /api/state`) finds the current one; `releaseStale` and
 * `releaseStaleMembers` release unfinished reservations idle for `reclaimAfterMs`
 * (`isStale`, `progress.ts`), deleting their labels with a "released" history entry each.
 *
 * A reservation is one atomic commit through `ctx.commits` (`commit_batcher.ts`) that checks
 * the versionstamps of `["trace", T]` and `["current", A]` and sets both (`kv_schema.ts`),
 * so a trace never gets more than `annotatorsPerTrace` annotators and two tabs of one
 * annotator cannot take two traces, however many requests race, in this process or another
 * on the same store. Reads go through the `TraceRecords` mirror (`trace_records.ts`); a
 * failed check refreshes it and tries again, up to a bound, then answers 503 (`busy`). A
 * release is committed directly with `kv.atomic()` (not batched): the shortened record and
 * the label deletions in one operation, or, past `MAX_MUTATIONS`, the record first and the
 * deletions after it. Reservations and releases call `ctx.traceChanged` so the result file
 * follows (`result_writer.ts`).
 *
 * @module
 */
import { ApiError } from "./api_error.ts";
import {
  type HistoryRecord,
  KEY,
  type LabelRecord,
  MAX_MUTATIONS,
  type Member,
  type TraceRecord,
  traceRecordOf,
} from "./kv_schema.ts";
import { isFinished, isStale } from "./progress.ts";
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

/** When the first unfinished reservation of `record` becomes releasable (Infinity: never). */
export function earliestStaleAt(
  ctx: ServeContext,
  trace: CatalogTrace,
  record: TraceRecord,
): number {
  if (ctx.reclaimAfterMs <= 0) return Infinity;
  let at = Infinity;
  for (const m of record.members) {
    if (!isFinished(trace, m)) at = Math.min(at, m.lastActivity + ctx.reclaimAfterMs);
  }
  return at;
}

/** Re-reads the record of `trace` from KV into the mirror (after a failed check). */
export function refreshRecord(
  ctx: ServeContext,
  trace: CatalogTrace,
): Promise<Deno.KvEntryMaybe<TraceRecord>> {
  return ctx.records.refresh(trace.name, (record) => earliestStaleAt(ctx, trace, record));
}

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
  return new ApiError(503, { message: message, headers: { "Retry-After": "1" } });
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

/**
 * Releases the idle, unfinished reservations of `trace` (other than `exceptId`'s): the
 * slot frees up and the released annotators' labels on the trace are deleted, each
 * deletion recorded in history. Returns "conflict" when the record changed meanwhile
 * (the mirror is refreshed; the caller may try again).
 */
export async function releaseStaleMembers(
  ctx: ServeContext,
  trace: CatalogTrace,
  exceptId?: string,
): Promise<"none" | "released" | "conflict"> {
  const unlock = await ctx.records.lock(trace.name);
  try {
    return await releaseLocked(ctx, trace, {
      select: (m, at) => m.id !== exceptId && isStale(trace, m, at, ctx.reclaimAfterMs),
      why: (m) => `unfinished and idle since ${new Date(m.lastActivity).toISOString()}`,
    });
  } finally {
    unlock();
  }
}

/**
 * Releases the annotator's unfinished reservations now (an admin's action), as an idle
 * one would be: the slots free up and their labels on those traces are deleted, each
 * deletion in history. Resolves to the traces released.
 */
export async function releaseAnnotator(ctx: ServeContext, annotatorId: string): Promise<string[]> {
  const released: string[] = [];
  for (const trace of ctx.catalog.traces) {
    const { members } = traceRecordOf(ctx.records.get(trace.name));
    if (!members.some((m) => m.id === annotatorId && !isFinished(trace, m))) continue;
    const unlock = await ctx.records.lock(trace.name);
    try {
      for (let attempt = 0; attempt < 50; attempt++) {
        const outcome = await releaseLocked(ctx, trace, {
          select: (m) => m.id === annotatorId && !isFinished(trace, m),
          why: () => "released by an admin",
        });
        if (outcome === "released") released.push(trace.name);
        if (outcome !== "conflict") break;
      }
    } finally {
      unlock();
    }
  }
  return released;
}

async function releaseLocked(
  ctx: ServeContext,
  trace: CatalogTrace,
  { select, why }: {
    select: (member: Member, at: number) => boolean;
    why: (member: Member) => string;
  },
): Promise<"none" | "released" | "conflict"> {
  const entry = ctx.records.get(trace.name);
  if (entry.value === null) return "none";
  const at = ctx.now();
  const stale = entry.value.members.filter((m) => select(m, at));
  if (stale.length === 0) return "none";
  const kept: TraceRecord = { members: entry.value.members.filter((m) => !stale.includes(m)) };

  const removals: Deno.KvMutation[] = [];
  for (const member of stale) {
    const prefix = KEY.labelsOfMember(trace.name, member.id);
    for await (const label of ctx.kv.list<LabelRecord>({ prefix })) {
      removals.push({ type: "delete", key: label.key });
      if (label.value.reservation !== member.reservation) continue;
      const record: HistoryRecord = {
        annotator: member.id,
        trace: trace.name,
        turn: label.key[3] as number,
        old: label.value.label,
        new: null,
        at,
        reason: "released",
      };
      removals.push({
        type: "set",
        key: KEY.history(trace.name, at, crypto.randomUUID()),
        value: record,
      });
    }
  }

  const inline = removals.length + 1 <= MAX_MUTATIONS;
  const op = ctx.kv.atomic().check(entry).set(entry.key, kept);
  if (inline) op.mutate(...removals);
  const result = await op.commit();
  if (!result.ok) {
    await refreshRecord(ctx, trace);
    return "conflict";
  }
  ctx.records.committed(trace.name, kept, result.versionstamp);
  if (!inline) {
    // Too many for one atomic operation: the slot is already free; the labels of the old
    // reservation are ignored from now on (wrong reservation id) and deleted in batches.
    for (let i = 0; i < removals.length; i += MAX_MUTATIONS) {
      await ctx.kv.atomic().mutate(...removals.slice(i, i + MAX_MUTATIONS)).commit();
    }
  }
  for (const member of stale) {
    ctx.logger.info(`Released "${trace.name}" from annotator ${member.id}: ${why(member)}`);
  }
  ctx.traceChanged(trace.name);
  return "released";
}

/**
 * Releases idle reservations on every trace (other than `exceptId`'s) and notes when the
 * next one can become idle, so Next skips this scan until then. Returns how many traces
 * had reservations released.
 */
export async function releaseStale(ctx: ServeContext, exceptId?: string): Promise<number> {
  if (ctx.reclaimAfterMs <= 0) return 0;
  let released = 0;
  for (let round = 0; round < 20; round++) {
    let conflicts = 0;
    const at = ctx.now();
    let nextStaleAt = Infinity;
    for (const trace of ctx.catalog.traces) {
      const members = ctx.records.get(trace.name).value?.members ?? [];
      if (members.some((m) => m.id !== exceptId && isStale(trace, m, at, ctx.reclaimAfterMs))) {
        const outcome = await releaseStaleMembers(ctx, trace, exceptId);
        if (outcome === "released") released++;
        if (outcome === "conflict") conflicts++;
      }
      for (const m of ctx.records.get(trace.name).value?.members ?? []) {
        if (!isFinished(trace, m)) {
          nextStaleAt = Math.min(nextStaleAt, m.lastActivity + ctx.reclaimAfterMs);
        }
      }
    }
    if (conflicts === 0) {
      // Scanned at `at`: anything releasable then is gone; look again when the next is due.
      ctx.records.setNextStaleAt(Math.max(nextStaleAt, at + 1));
      break;
    }
  }
  return released;
}

/** Releases idle reservations on every trace (used by the status page). */
export function releaseAllStale(ctx: ServeContext): Promise<number> {
  return releaseStale(ctx);
}
