import { z } from "zod";
import { inputError } from "../cli/errors.ts";
import { labelSchema } from "../formats/result_file.ts";
import { jsonPath, observationSchema, traceTurnSchema, validateAs } from "../formats/trace.ts";

/**
 * The entries a result file may hold, as the reference annotation server writes them:
 * - a *saved* turn `{observation, candidate_task}`, with `real_user` once labelled;
 * - a *raw* trace turn `{observation, agent_response: {candidate_task}, task_status}`: when an
 *   annotator finishes a trace, the server appends the trace's remaining turns as they are.
 * An entry with `real_user` must carry `candidate_task`; any other entry may have either shape.
 */
const labelledEntrySchema = z.object({
  observation: observationSchema,
  candidate_task: z.array(z.string()),
  real_user: z.record(z.string(), labelSchema),
}).passthrough();

const savedEntrySchema = z.object({
  observation: observationSchema,
  candidate_task: z.array(z.string()),
}).passthrough();

const entryListSchema = z.array(z.object({ observation: observationSchema }).passthrough());

/**
 * Validates a parsed result file for `convert`; errors name the file and the JSON path of
 * the first problem (`Invalid result file "a.json" at $[3].candidate_task: …`).
 */
export function checkResultEntries(value: unknown, path: string): void {
  const entries = validateAs(entryListSchema, value, "result file", path) as Record<
    string,
    unknown
  >[];
  entries.forEach((entry, i) => {
    const at = (field?: string) =>
      `Invalid result file "${path}" at $[${i}]${field ? `.${field}` : ""}`;
    const labelled = Object.hasOwn(entry, "real_user");
    if (labelled && !Object.hasOwn(entry, "candidate_task")) {
      throw inputError(
        `${at("candidate_task")}: an entry with real_user must carry candidate_task`,
      );
    }
    if (!Object.hasOwn(entry, "candidate_task") && !Object.hasOwn(entry, "agent_response")) {
      throw inputError(
        `${at()}: expected a saved turn {observation, candidate_task} or a raw trace turn ` +
          `{observation, agent_response: {candidate_task}}`,
      );
    }
    const schema = labelled
      ? labelledEntrySchema
      : Object.hasOwn(entry, "candidate_task")
      ? savedEntrySchema
      : traceTurnSchema;
    const result = schema.safeParse(entry);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw inputError(
        `Invalid result file "${path}" at ${jsonPath([i, ...issue.path])}: ${issue.message}`,
      );
    }
  });
}
