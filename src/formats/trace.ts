import { z } from "zod";
import { inputError } from "../cli/errors.ts";

/**
 * A ProactiveBench trace file: a JSON array of turns. A turn whose `candidate_task` is
 * non-empty is a *question* for the annotators.
 */
export const observationSchema = z.object({
  time: z.string(),
  event: z.string(),
});

export const traceTurnSchema = z.object({
  observation: observationSchema,
  agent_response: z.object({ candidate_task: z.array(z.string()) }).passthrough(),
  task_status: z.unknown().optional(),
}).passthrough();

export const traceSchema = z.array(traceTurnSchema);

export type Observation = z.infer<typeof observationSchema>;
export type TraceTurn = z.infer<typeof traceTurnSchema>;
export type Trace = z.infer<typeof traceSchema>;

/** Trace names are file names without `.json`: letters, digits, `_`, `-`, `.`; no paths. */
export const TRACE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function isValidTraceName(name: string): boolean {
  return TRACE_NAME_PATTERN.test(name) && !name.includes("..");
}

/** Help-mode traces (`empty_*.json`) ask "help needed / no help needed" at checkpoints. */
export function isHelpModeTrace(name: string): boolean {
  return name.startsWith("empty_");
}

/** Formats a zod issue path as a JSON path: `$[3].agent_response.candidate_task`. */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = "$";
  for (const part of path) {
    out += typeof part === "number" ? `[${part}]` : `.${String(part)}`;
  }
  return out;
}

/**
 * Validates `value` with `schema`; the error names what was expected, the source and the
 * JSON path of the first problem: `Invalid trace "a.json" at $[3].observation: …`.
 */
export function validateAs<T>(
  schema: z.ZodType<T>,
  value: unknown,
  what: string,
  source: string,
): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw inputError(`Invalid ${what} "${source}" at ${jsonPath(issue.path)}: ${issue.message}`);
  }
  return result.data;
}

/** `JSON.parse` whose error names the source. */
export function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw inputError(`Cannot parse "${source}" as JSON: ${(error as Error).message}`);
  }
}

/** Validates parsed JSON as a trace; errors name the source and the JSON path. */
export function parseTrace(value: unknown, source: string): Trace {
  return validateAs(traceSchema, value, "trace", source);
}

/** Parses trace JSON text; errors name the source. */
export function parseTraceText(text: string, source: string): Trace {
  return parseTrace(parseJsonText(text, source), source);
}
