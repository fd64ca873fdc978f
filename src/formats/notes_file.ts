/**
 * The notes side file of a trace, `<results>/notes/<trace>.json`: what the reference result
 * format has no place for, kept out of it so that its readers (the reference's scripts,
 * `convert`) see result files exactly as before. `proactive serve` writes it beside the
 * result file (`result_writer.ts`) whenever the trace has a skipped question, a comment
 * or an admin's decision, and removes it when nothing is left; `proactive convert` reads
 * it (`read_notes.ts`) to count skips and to use decisions (`--adjudicated`).
 *
 * ```json
 * {
 *   "trace": "empty_code_11",
 *   "turns": [
 *     {
 *       "turn": 12,
 *       "question": 3,
 *       "answers": [
 *         { "annotator": "<uuid hex>", "skipped": "not sure" },
 *         { "annotator": "<uuid hex>", "label": [0, 2], "comment": "close call" }
 *       ],
 *       "decision": { "label": [0], "note": "task 2 was done already", "by": "lead",
 *                     "at": "2026-12-07T20:31:00.000Z" }
 *     }
 *   ]
 * }
 * ```
 *
 * - `turn` is the entry's index in the result file (the trace's turn), `question` its
 *   number among the questions (1-based);
 * - `answers` lists the annotators (the result file's UUIDs, in reservation order) whose
 *   answer carries a note: `skipped` (the reason) instead of a label, or a `comment` on
 *   their label (which is in the result file too);
 * - `decision` is the final label an admin set where the annotators disagree, with an
 *   optional `note`, who (`by`, the admin's user name) and when (`at`).
 *
 * @module
 */
import { z } from "zod";
import { inputError } from "../cli/errors.ts";
import { labelSchema } from "./result_file.ts";
import { jsonPath, parseJsonText } from "./trace.ts";

/** The folder of the side files, inside the result folder. */
export const NOTES_FOLDER = "notes";

/** The longest skip reason, comment or decision note kept (characters). */
export const MAX_NOTE_LENGTH = 500;

const noteText = z.string().min(1).max(MAX_NOTE_LENGTH);

const noteAnswerSchema = z.object({
  annotator: z.string().min(1),
  skipped: noteText.optional(),
  label: labelSchema.optional(),
  comment: noteText.optional(),
});

const decisionSchema = z.object({
  label: labelSchema,
  note: noteText.optional(),
  by: z.string(),
  at: z.string(),
});

const notesTurnSchema = z.object({
  turn: z.number().int().nonnegative(),
  question: z.number().int().positive(),
  answers: z.array(noteAnswerSchema),
  decision: decisionSchema.optional(),
});

export const notesFileSchema = z.object({
  trace: z.string(),
  turns: z.array(notesTurnSchema),
});

/** One annotator's noted answer: skipped (with why), or labelled with a comment. */
export type NoteAnswer = z.infer<typeof noteAnswerSchema>;
/** An admin's final label of a question. */
export type Decision = z.infer<typeof decisionSchema>;
export type NotesTurn = z.infer<typeof notesTurnSchema>;
export type NotesFile = z.infer<typeof notesFileSchema>;

/** Parses a side file's text; errors name the file and the JSON path of the problem. */
export function parseNotesText(text: string, source: string): NotesFile {
  const result = notesFileSchema.safeParse(parseJsonText(text, source));
  if (!result.success) {
    const issue = result.error.issues[0];
    throw inputError(
      `Invalid notes file "${source}" at ${jsonPath(issue.path)}: ${issue.message}`,
    );
  }
  return result.data;
}

/** Serialises a side file (2-space indent, a final newline). */
export function stringifyNotesFile(notes: NotesFile): string {
  return JSON.stringify(notes, null, 2) + "\n";
}
