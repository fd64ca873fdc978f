/**
 * The one error type of the project. Every failure that should reach the user as a
 * one-line message is a `ProactiveError`; `main.ts` maps `kind` to the exit code.
 *
 * - `usage`: the command line is wrong (exit 2, the command's help is printed);
 * - `input`: a file, a request or a value is malformed (exit 1);
 * - `runtime`: anything else the program detected (exit 1).
 */
export type ErrorKind = "usage" | "input" | "runtime";

export class ProactiveError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ProactiveError";
    this.kind = kind;
  }
}

/** A command-line usage error: exit code 2 and the command's help. */
export function usageError(message: string): ProactiveError {
  return new ProactiveError("usage", message);
}

/** Malformed input named by where it was found, e.g. `Cannot parse line 3 of "a.jsonl": …`. */
export function inputError(message: string, cause?: unknown): ProactiveError {
  return new ProactiveError("input", message, cause === undefined ? undefined : { cause });
}

/** A failure that is neither usage nor input. */
export function runtimeError(message: string, cause?: unknown): ProactiveError {
  return new ProactiveError("runtime", message, cause === undefined ? undefined : { cause });
}

/** One line describing any thrown value (no stack). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split("\n")[0];
  return String(error);
}
