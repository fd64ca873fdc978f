/**
 * A result file read back at start-up (`result_import.ts`): `<out>/<trace>.json`, read
 * without following a symbolic link (a link is refused, naming it, and nothing is read
 * from its target), parsed without ever quoting its bytes in a message, and compared with
 * the trace turn by turn: an entry is the trace's turn when its observation `{time, event}`
 * and its candidate tasks (`candidate_task` of a saved turn, `agent_response.candidate_task`
 * of a raw trace turn) are the turn's. Labels are taken from such entries only.
 *
 * @module
 */
import { describeError } from "../cli/errors.ts";
import { jsonSyntaxProblem } from "../formats/json_syntax.ts";
import {
  type ResultEntry,
  resultFileProblem,
  type StoredResultEntry,
  type StoredResultFile,
} from "../formats/result_file.ts";
import { jsonPath, type TraceTurn } from "../formats/trace.ts";
import { readFileNoFollow, refuseSymlink, SymlinkRefusedError } from "../store/no_follow.ts";
import type { CatalogTrace } from "./trace_catalog.ts";

/** What reading a trace's result file for the import found. */
export type ImportFile =
  | { kind: "missing" }
  /** The file is there but cannot be read (e.g. no permission): `error` says why. */
  | { kind: "unreadable"; error: string }
  /** Not a result file: `problem` says where and what, without its bytes. */
  | { kind: "invalid"; bytes: Uint8Array; problem: string }
  | {
    kind: "parsed";
    bytes: Uint8Array;
    file: StoredResultFile;
    /** Per entry: whether it is the trace's turn at its index. */
    matches: boolean[];
    /** Why the file is not the trace's, when an entry is not; undefined when all are. */
    mismatch?: string;
  };

function sameTasks(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((task, i) => task === b[i]);
}

/** True when `entry` is `turn` of the trace: the same observation and candidate tasks. */
export function entryMatchesTurn(entry: StoredResultEntry, turn: TraceTurn | undefined): boolean {
  if (turn === undefined) return false;
  const tasks = Object.hasOwn(entry, "candidate_task")
    ? (entry as ResultEntry).candidate_task
    : (entry as TraceTurn).agent_response.candidate_task;
  return entry.observation.time === turn.observation.time &&
    entry.observation.event === turn.observation.event &&
    sameTasks(tasks, turn.agent_response.candidate_task);
}

/** A JSON path for the log: the keys of `real_user` (annotator ids from the file) hidden. */
export function quietPath(path: readonly PropertyKey[]): string {
  const at = path.indexOf("real_user");
  return at < 0 || at === path.length - 1
    ? jsonPath(path)
    : `${jsonPath(path.slice(0, at + 1))}[<an annotator>]`;
}

function describeMismatch(trace: CatalogTrace, matches: readonly boolean[]): string | undefined {
  const wrong = matches.flatMap((ok, i) => (ok ? [] : [i]));
  if (wrong.length === 0) return undefined;
  const first = wrong[0];
  const which = first >= trace.turns.length
    ? `entry ${first} is past the trace's last turn (it has ${trace.turns.length})`
    : `entry ${first} has another observation or other candidate tasks than turn ${first}`;
  return `${wrong.length} of its ${matches.length} entries are not the turns of the trace ` +
    `"${trace.name}" (${which})`;
}

/** A JSON file read back at start-up: missing, unreadable, not JSON, or its value. */
export type ImportJson =
  | { kind: "missing" }
  | { kind: "unreadable"; error: string }
  | { kind: "invalid"; bytes: Uint8Array; problem: string }
  | { kind: "json"; bytes: Uint8Array; value: unknown };

/**
 * Reads and parses `path` without following a symbolic link (a link throws
 * `SymlinkRefusedError` naming `what`); a syntax error is told by line and column, never
 * by quoting the file.
 */
export async function readImportJson(path: string, what: string): Promise<ImportJson> {
  await refuseSymlink(path, what);
  let bytes: Uint8Array;
  try {
    bytes = await readFileNoFollow(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { kind: "missing" };
    if (error instanceof SymlinkRefusedError) throw error;
    return { kind: "unreadable", error: describeError(error, path) };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { kind: "invalid", bytes, problem: "it is not UTF-8 text" };
  }
  try {
    return { kind: "json", bytes, value: JSON.parse(text) };
  } catch {
    // JSON.parse's message quotes the text: say where and what instead.
    const found = jsonSyntaxProblem(text);
    const where = found ? `: line ${found.line}, column ${found.column}: ${found.problem}` : "";
    return { kind: "invalid", bytes, problem: `not JSON${where}` };
  }
}

/** Reads `path`, the result file of `trace`; throws `SymlinkRefusedError` for a link. */
export async function readImportFile(path: string, trace: CatalogTrace): Promise<ImportFile> {
  const read = await readImportJson(path, `result file of the trace "${trace.name}"`);
  if (read.kind !== "json") return read;
  const { bytes, value } = read;
  const problem = resultFileProblem(value);
  if (problem) {
    return { kind: "invalid", bytes, problem: `at ${quietPath(problem.path)}: ${problem.message}` };
  }
  const file = value as StoredResultFile;
  const matches = file.map((entry, i) => entryMatchesTurn(entry, trace.turns[i]));
  return { kind: "parsed", bytes, file, matches, mismatch: describeMismatch(trace, matches) };
}
