import { z } from "zod";
import { observationSchema, parseJsonText, validateAs } from "./trace.ts";
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
export type ResultFile = z.infer<typeof resultFileSchema>;

/** Validates a parsed result file; errors name the file and the JSON path. */
export function parseResultFile(value: unknown, source: string): ResultFile {
  return validateAs(resultFileSchema, value, "result file", source);
}

/** Parses result JSON text; errors name the file. */
export function parseResultText(text: string, source: string): ResultFile {
  return parseResultFile(parseJsonText(text, source), source);
}

/** Serialises a result file the way the reference writes it (4-space indent, UTF-8). */
export function stringifyResultFile(entries: ResultFile): string {
  return JSON.stringify(entries, null, 4);
}
