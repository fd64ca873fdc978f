import { z } from "zod";
import { inputError } from "../cli/errors.ts";
import {
  jsonPath,
  observationSchema,
  parseJsonText,
  type TraceTurn,
  traceTurnSchema,
  validateAs,
} from "./trace.ts";
import { HELP_NEED, HELP_NO_NEED, REJECT_ALL } from "./result_label.ts";

/**
 * The annotation result format of the reference project: one JSON array per trace with
 * one entry per turn revealed so far. Question turns carry `real_user`, mapping each
 * annotator's UUID (hex) to a label:
 * - the sorted list of accepted task indices (0-based),
 * - `"Reject all"`,
 * - `"need"` / `"no need"` for help-mode traces.
 */
export { HELP_NEED, HELP_NO_NEED, REJECT_ALL } from "./result_label.ts";

export const labelSchema = z.union([
  z.array(z.number().int().nonnegative()),
  z.literal(REJECT_ALL),
  z.literal(HELP_NEED),
  z.literal(HELP_NO_NEED),
]);

export type Label = z.infer<typeof labelSchema>;

export const resultEntrySchema = z.object({
  observation: observationSchema,
  candidate_task: z.array(z.string()),
  real_user: z.record(z.string(), labelSchema).optional(),
}).passthrough();

export const resultFileSchema = z.array(resultEntrySchema);

export type ResultEntry = z.infer<typeof resultEntrySchema>;
/** A result file as `serve` writes it: saved turns only. */
export type ResultFile = z.infer<typeof resultFileSchema>;

/**
 * An entry of a result file as read: a saved turn (above), or a *raw* trace turn
 * `{observation, agent_response: {candidate_task}, task_status}` — when an annotator
 * finishes a trace, the reference annotation server appends the trace's remaining turns as
 * they are. Only an entry with `real_user` must be a saved turn.
 */
export type StoredResultEntry = ResultEntry | TraceTurn;
export type StoredResultFile = StoredResultEntry[];

/** The labels of an entry (`real_user`), if it is a labelled saved turn. */
export function labelsOfEntry(entry: StoredResultEntry): Record<string, Label> | undefined {
  return Object.hasOwn(entry, "candidate_task") ? (entry as ResultEntry).real_user : undefined;
}

const entryListSchema = z.array(z.object({ observation: observationSchema }).passthrough());

/**
 * Validates a parsed result file (both entry shapes); errors name the file and the JSON
 * path of the first problem (`Invalid result file "a.json" at $[3].candidate_task: …`).
 */
export function parseResultFile(value: unknown, source: string): StoredResultFile {
  const entries = validateAs(entryListSchema, value, "result file", source) as Record<
    string,
    unknown
  >[];
  entries.forEach((entry, i) => {
    const at = (field?: string) =>
      `Invalid result file "${source}" at $[${i}]${field ? `.${field}` : ""}`;
    const saved = Object.hasOwn(entry, "candidate_task");
    if (!saved && Object.hasOwn(entry, "real_user")) {
      throw inputError(
        `${at("candidate_task")}: an entry with real_user must carry candidate_task`,
      );
    }
    if (!saved && !Object.hasOwn(entry, "agent_response")) {
      throw inputError(
        `${at()}: expected a saved turn {observation, candidate_task} or a raw trace turn ` +
          `{observation, agent_response: {candidate_task}}`,
      );
    }
    const result = (saved ? resultEntrySchema : traceTurnSchema).safeParse(entry);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw inputError(
        `Invalid result file "${source}" at ${jsonPath([i, ...issue.path])}: ${issue.message}`,
      );
    }
  });
  return entries as StoredResultFile;
}

/** Parses result JSON text; errors name the file. */
export function parseResultText(text: string, source: string): StoredResultFile {
  return parseResultFile(parseJsonText(text, source), source);
}

/** Serialises a result file the way the reference writes it (4-space indent, UTF-8). */
export function stringifyResultFile(entries: StoredResultFile): string {
  return JSON.stringify(entries, null, 4);
}
