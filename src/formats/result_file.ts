import { z } from "zod";
import { inputError } from "../cli/errors.ts";
import {
  jsonPath,
  observationSchema,
  parseJsonText,
  type TraceTurn,
  traceTurnSchema,
} from "./trace.ts";
import { HELP_NEED, HELP_NO_NEED, type Label, REJECT_ALL } from "./result_label.ts";

/**
 * The annotation result format of the reference project: one JSON array per trace with
 * one entry per turn revealed so far. Question turns carry `real_user`, mapping each
 * annotator's UUID (hex) to a label:
 * - the sorted list of accepted task indices (0-based),
 * - `"Reject all"`,
 * - `"need"` / `"no need"` for help-mode traces.
 */
export { HELP_NEED, HELP_NO_NEED, REJECT_ALL } from "./result_label.ts";

/**
 * A label's shape, declared once: result files, their import into `serve` and the body of
 * `POST /api/label` all check labels with it. Whether a label fits its question (indices
 * in range, sorted, the trace's mode) is `labelProblem` of `serve/labels.ts`.
 */
export const labelSchema: z.ZodType<Label> = z.union([
  z.array(z.number().int().nonnegative()),
  z.literal(REJECT_ALL),
  z.literal(HELP_NEED),
  z.literal(HELP_NO_NEED),
], {
  error:
    `expected a sorted list of task indices, "${REJECT_ALL}", "${HELP_NEED}" or "${HELP_NO_NEED}"`,
});

/** One annotator's label: declared once, in `result_label.ts`. */
export type { Label } from "./result_label.ts";

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

/** Where a parsed result file is invalid: the JSON path of the problem, and what it is. */
export interface ResultFileProblem {
  path: PropertyKey[];
  message: string;
}

/**
 * The first problem of a parsed result file (both entry shapes), or undefined when it is
 * valid. The message says what is wrong without the value found there (the path may hold
 * the file's keys: annotator ids under `real_user`).
 */
export function resultFileProblem(value: unknown): ResultFileProblem | undefined {
  const list = entryListSchema.safeParse(value);
  if (!list.success) {
    const issue = list.error.issues[0];
    return { path: issue.path, message: issue.message };
  }
  for (const [i, entry] of (list.data as Record<string, unknown>[]).entries()) {
    const saved = Object.hasOwn(entry, "candidate_task");
    if (!saved && Object.hasOwn(entry, "real_user")) {
      return {
        path: [i, "candidate_task"],
        message: "an entry with real_user must carry candidate_task",
      };
    }
    if (!saved && !Object.hasOwn(entry, "agent_response")) {
      return {
        path: [i],
        message: "expected a saved turn {observation, candidate_task} or a raw trace turn " +
          "{observation, agent_response: {candidate_task}}",
      };
    }
    const result = (saved ? resultEntrySchema : traceTurnSchema).safeParse(entry);
    if (!result.success) {
      const issue = result.error.issues[0];
      return { path: [i, ...issue.path], message: issue.message };
    }
  }
  return undefined;
}

/**
 * Validates a parsed result file (both entry shapes); errors name the file and the JSON
 * path of the first problem (`Invalid result file "a.json" at $[3].candidate_task: …`).
 */
export function parseResultFile(value: unknown, source: string): StoredResultFile {
  const problem = resultFileProblem(value);
  if (problem) {
    throw inputError(
      `Invalid result file "${source}" at ${jsonPath(problem.path)}: ${problem.message}`,
    );
  }
  return value as StoredResultFile;
}

/** Parses result JSON text; errors name the file. */
export function parseResultText(text: string, source: string): StoredResultFile {
  return parseResultFile(parseJsonText(text, source), source);
}

/** Serialises a result file the way the reference writes it (4-space indent, UTF-8). */
export function stringifyResultFile(entries: StoredResultFile): string {
  return JSON.stringify(entries, null, 4);
}
