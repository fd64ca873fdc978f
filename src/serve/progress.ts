/**
 * An annotator's progress on a trace, from their `Member` record alone: `isFinished` (every
 * question answered), `revealedCount` (the events shown: up to and including the next
 * unanswered question, or the whole trace once done) and `isStale` (unfinished and idle for
 * `reclaimAfterMs`, so `releases.ts` releases it). `Member.answered` is a position because
 * answers always cover a prefix of the questions. Used by the page state (`state.ts`), the
 * result files (`result_writer.ts`), reservations, the import and the status.
 *
 * @module
 */
import type { Member } from "./kv_schema.ts";
import type { CatalogTrace } from "./trace_catalog.ts";

/** True when the member answered every question of the trace. */
export function isFinished(trace: CatalogTrace, member: Member): boolean {
  return member.answered >= trace.questions.length;
}

/**
 * Events revealed to the member: up to and including their next unanswered question, or
 * the whole trace once they are done.
 */
export function revealedCount(trace: CatalogTrace, member: Member): number {
  if (isFinished(trace, member)) return trace.turns.length;
  return trace.questions[member.answered] + 1;
}

/**
 * True when the reservation is released: unfinished and no label submitted (nor the
 * reservation made, nor the trace resumed with Next) for `reclaimAfterMs`.
 */
export function isStale(
  trace: CatalogTrace,
  member: Member,
  now: number,
  reclaimAfterMs: number,
): boolean {
  return reclaimAfterMs > 0 && !isFinished(trace, member) &&
    now - member.lastActivity >= reclaimAfterMs;
}
