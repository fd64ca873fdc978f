/**
 * A trace's notes side file (`<out>/notes/<trace>.json`, format in
 * `formats/notes_file.ts`) built from the store: the skips and comments of its current
 * annotators (`["label", T]` records with `skip` or `comment`) and the admins' decisions
 * (`["decision", T]`). The result writer (`result_writer.ts`) writes it with the result
 * file, from the same read of KV, and removes it when `buildNotesFile` gives null.
 *
 * @module
 */
import type { NoteAnswer, NotesFile, NotesTurn } from "../formats/notes_file.ts";
import { type DecisionRecord, KEY, type Member } from "./kv_schema.ts";
import { currentRecord, type TraceLabels } from "./result_writer.ts";
import type { CatalogTrace } from "./trace_catalog.ts";

/** Question turn → the admin's decision. */
export type TraceDecisions = Map<number, DecisionRecord>;

/** The decisions on the questions of `trace`. */
export async function readTraceDecisions(kv: Deno.Kv, trace: string): Promise<TraceDecisions> {
  const decisions: TraceDecisions = new Map();
  for await (const entry of kv.list<DecisionRecord>({ prefix: KEY.decisionsOfTrace(trace) })) {
    decisions.set(entry.key[2] as number, entry.value);
  }
  return decisions;
}

/** A member's noted answer to `turn` (a skip, or a label with a comment), if any. */
function noteOf(labels: TraceLabels, member: Member, turn: number): NoteAnswer | undefined {
  const record = currentRecord(labels, member, turn);
  if (!record) return undefined;
  if (record.skip !== undefined) {
    return {
      annotator: member.id,
      skipped: record.skip,
      ...(record.comment !== undefined && { comment: record.comment }),
    };
  }
  if (record.comment === undefined || record.label === null) return undefined;
  return { annotator: member.id, label: record.label, comment: record.comment };
}

/**
 * The side file of `trace`, or null when it has no skip, comment or decision. Questions in
 * turn order; the annotators in reservation order (as the result file's `real_user`).
 */
export function buildNotesFile(
  trace: CatalogTrace,
  members: readonly Member[],
  labels: TraceLabels,
  decisions: TraceDecisions,
): NotesFile | null {
  const turns: NotesTurn[] = [];
  trace.questions.forEach((turn, index) => {
    const answers = members.flatMap((member) => noteOf(labels, member, turn) ?? []);
    const decision = decisions.get(turn);
    if (answers.length === 0 && !decision) return;
    const entry: NotesTurn = { turn, question: index + 1, answers };
    if (decision) {
      entry.decision = {
        label: decision.label,
        ...(decision.note !== undefined && { note: decision.note }),
        by: decision.by,
        at: new Date(decision.at).toISOString(),
      };
    }
    turns.push(entry);
  });
  return turns.length === 0 ? null : { trace: trace.name, turns };
}
