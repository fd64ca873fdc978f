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
/** Candidates tried per round before starting over. */
const CANDIDATES_PER_ROUND = 8;

/** The annotator's current trace (unfinished, or the one just finished), if still theirs. */
export async function currentAssignment(
  ctx: ServeContext,
  annotatorId: string,
): Promise<Assignment | undefined> {
  const current = await ctx.kv.get<string>(KEY.current(annotatorId));
  if (current.value === null) return undefined;
  const trace = ctx.catalog.get(current.value);
  if (!trace) return undefined;
  const find = (entry: Deno.KvEntryMaybe<TraceRecord>) =>
    traceRecordOf(entry).members.find((m) => m.id === annotatorId);
  // Not in the mirror: confirm with KV (released, or the mirror lags another writer).
  const member = find(ctx.records.get(trace.name)) ?? find(await ctx.records.refresh(trace.name));
  return member ? { trace, member } : undefined;
}

/**
 * "Next trace": the annotator's own unfinished trace first; otherwise reserves a trace they
 * do not have, with fewer than N annotators (done + in progress), least-annotated first,
 * then by name. Resolves to `undefined` when nothing is left for them.
 *
 * Every reservation checks the versionstamp of the trace's one record (and of the
 * annotator's current-trace pointer, so two tabs cannot take two traces), so a trace never
 * gets more than N annotators however many requests race; a request that lost such a race
 * tries a random one of the least-annotated traces next. Idle, unfinished reservations of
 * other annotators are released first (see `releaseStaleMembers`).
 */
export async function nextAssignment(
  ctx: ServeContext,
  annotatorId: string,
): Promise<NextAssignment | undefined> {
  const { kv, catalog, records } = ctx;
  let contended = false;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const current = await kv.get<string>(KEY.current(annotatorId));
    if (current.value !== null) {
      const own = await resumeOwn(ctx, annotatorId, current.value);
      if (own) return { ...own, resumed: true };
    }

    if (ctx.reclaimAfterMs > 0 && records.staleScanDue(ctx.now())) {
      await releaseStale(ctx, annotatorId);
    }

    const candidates: { trace: CatalogTrace; members: Member[] }[] = [];
    for (const trace of catalog.traces) {
      const members = records.get(trace.name).value?.members ?? [];
      if (members.length >= ctx.annotatorsPerTrace) continue;
      if (members.some((m) => m.id === annotatorId)) continue;
      candidates.push({ trace, members });
    }
    if (candidates.length === 0) return undefined;
    candidates.sort((a, b) => a.members.length - b.members.length); // stable: name order among equals

    for (let attempt = 0; attempt < CANDIDATES_PER_ROUND && candidates.length > 0; attempt++) {
      // Uncontended: strictly the first candidate. After a conflict (others are reserving
      // right now), a random one of the least-annotated, so racing requests spread out
      // instead of all fighting over the same record.
      const pick = contended ? randomBelow(leastAnnotated(candidates)) : 0;
      const [{ trace }] = candidates.splice(pick, 1);
      const entry = records.get(trace.name);
      const members = traceRecordOf(entry).members;
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
        ctx.logger.debug(`Annotator ${annotatorId} reserved "${trace.name}"`);
        ctx.traceChanged(trace.name);
        return { trace, member, resumed: false };
      }
      contended = true;
      await records.refresh(trace.name);
    }
  }
  throw new ApiError(503, "The server is too busy to assign a trace; please try again.");
}

/** How many candidates at the front share the smallest annotator count. */
function leastAnnotated(candidates: { members: Member[] }[]): number {
  let n = 1;
  while (n < candidates.length && candidates[n].members.length === candidates[0].members.length) {
    n++;
  }
  return n;
}

function randomBelow(n: number): number {
  return Math.floor(Math.random() * n);
}

/** The annotator's unfinished current trace, marked as active again; else undefined. */
async function resumeOwn(
  ctx: ServeContext,
  annotatorId: string,
  traceName: string,
): Promise<Assignment | undefined> {
  const trace = ctx.catalog.get(traceName);
  if (!trace) return undefined;
  let entry = ctx.records.get(traceName);
  if (!traceRecordOf(entry).members.some((m) => m.id === annotatorId)) {
    entry = await ctx.records.refresh(traceName);
  }
  for (let attempt = 0; attempt < 20; attempt++) {
    const members = traceRecordOf(entry).members;
    const member = members.find((m) => m.id === annotatorId);
    if (!member || isFinished(trace, member)) return undefined;
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
    entry = await ctx.records.refresh(traceName);
  }
  throw new ApiError(503, "The server is too busy to resume your trace; please try again.");
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
  const entry = ctx.records.get(trace.name);
  if (entry.value === null) return "none";
  const at = ctx.now();
  const stale = entry.value.members.filter((m) =>
    m.id !== exceptId && isStale(trace, m, at, ctx.reclaimAfterMs)
  );
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
    await ctx.records.refresh(trace.name);
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
    ctx.logger.info(
      `Released "${trace.name}" from annotator ${member.id}: unfinished and idle since ${
        new Date(member.lastActivity).toISOString()
      }`,
    );
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
