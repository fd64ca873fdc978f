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

/**
 * One line describing any thrown value (no stack). Operating-system errors become plain
 * sentences naming the path (`"out/a.json" is a folder, not a file`); `path` names it for
 * errors whose message does not (e.g. from `Deno.openKv`).
 */
export function describeError(error: unknown, path?: string): string {
  if (error instanceof Error) return describeOsError(error, path) ?? error.message.split("\n")[0];
  return String(error);
}

/** `No such file or directory (os error 2): readfile 'a.json'` and the like. */
const OS_MESSAGE = /\(os error \d+\)(?::\s*(\w+)\s+'([^']*)'(?:\s*->\s*'([^']*)')?)?/;

const READS = new Set(["readfile", "open", "readdir", "stat", "lstat", "realpath", "readlink"]);

/** A sentence for an OS error (by its `code`, e.g. ENOENT), or undefined for other errors. */
export function describeOsError(error: Error, fallbackPath?: string): string | undefined {
  const code = (error as { code?: unknown }).code;
  const match = error.message.match(OS_MESSAGE);
  if (!match || typeof code !== "string") return undefined;
  const [, op = "", source, target] = match;
  const path = source ?? fallbackPath;
  if (path === undefined) return undefined;
  const quoted = JSON.stringify(path);
  switch (code) {
    case "ENOENT": {
      if (target !== undefined && exists(path)) {
        return `Cannot move ${quoted} to ${JSON.stringify(target)}: the folder ${
          JSON.stringify(parentOf(target))
        } does not exist`;
      }
      const parent = parentOf(path);
      if (!READS.has(op) && op !== "" && parent !== path && !exists(parent)) {
        return `The folder ${JSON.stringify(parent)} does not exist (needed for ${quoted})`;
      }
      return `${quoted} does not exist`;
    }
    case "EACCES":
    case "EPERM":
      return `No permission to ${READS.has(op) ? "read" : "change"} ${quoted}`;
    case "EISDIR": // for a rename, the target is the folder in the way
      return `${JSON.stringify(target ?? path)} is a folder, not a file`;
    case "ENOTDIR": {
      const file = fileAmong(path);
      return file === undefined
        ? `A part of ${quoted} is a file, not a folder`
        : `${JSON.stringify(file)} is a file, not a folder`;
    }
    case "EEXIST":
      return op === "mkdir" && isFile(path)
        ? `${quoted} is a file, not a folder`
        : `${quoted} already exists`;
    case "ENOTEMPTY":
      return `${quoted} is a folder that is not empty`;
    case "ENOSPC":
      return `No space left on the disk for ${quoted}`;
    case "EROFS":
      return `${quoted} is on a read-only file system`;
    case "ENAMETOOLONG":
      return `The path ${quoted} is too long`;
    case "ELOOP":
      return `${quoted} leads to a loop of symbolic links`;
    default:
      return undefined;
  }
}

function parentOf(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  const slash = trimmed.lastIndexOf("/");
  if (slash < 0) return ".";
  return slash === 0 ? "/" : trimmed.slice(0, slash);
}

function statOf(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(path);
  } catch {
    return undefined; // missing, or no permission to look: say less
  }
}

const exists = (path: string) => statOf(path) !== undefined;
const isFile = (path: string) => statOf(path)?.isFile === true;

/** The path itself or its nearest ancestor that is a file (why a folder path fails). */
function fileAmong(path: string): string | undefined {
  for (let p = path;; p = parentOf(p)) {
    if (isFile(p)) return p;
    if (p === "/" || p === "." || parentOf(p) === p) return undefined;
  }
}

/**
 * The error of a stage stopped by Ctrl-C or SIGTERM, in one shape for every command:
 * `Interrupted: <what is saved>; run the same command again to continue`.
 */
export function interruptedError(saved: string): ProactiveError {
  return runtimeError(`Interrupted: ${saved}; run the same command again to continue`);
}
