/**
 * Releasing reservations: `releaseStale` and `releaseStaleMembers` release unfinished
 * reservations idle for `reclaimAfterMs` (`isStale`, `progress.ts`; Next runs the scan when
 * one may be due, the status page before it counts), `releaseAnnotator` an annotator's
 * unfinished ones at once (an admin's action). Each release deletes the released labels,
 * with a "released" history entry each, and is committed directly with `kv.atomic()` (not
 * batched): the shortened record and the deletions in one operation, or, past
 * `MAX_MUTATIONS`, the record first and the deletions after it; then `ctx.traceChanged`.
 * `refreshRecord` re-reads a record into the mirror, telling it when its reservations can
 * become releasable (`earliestStaleAt`).
 *
 * @module
 */
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
