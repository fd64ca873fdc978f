/**
 * Reading result files for convert. `listResultFiles` lists the folder's `*.json` files (no
 * hidden files; an entry named `*.json` that is a folder is skipped with a warning, as the
 * reference does) in Python's `sorted()` order (`compareCodePoints`). `decodeResultFile`
 * turns one file's bytes into `ResultFileData`: its labelled turns (candidate tasks, the
 * annotators in the file's key order with their labels) and the observations the items
 * need, already written as Python's `json.dumps` writes them.
 *
 * The key order survives integer-like keys (`parseJsonKeepingKeyOrder`, `key_order.ts`).
 * Validation is a fast hand check (`isPlainResultFile`); only when it fails is the schema
 * of `formats/result_file.ts` loaded, so that the error names the file and the JSON path.
 * A turn mixing help-mode and task labels is an error; task indices past the candidate
 * tasks are ignored with a warning. `vote_files.ts` reads the bytes (`readBytesSync`) and
 * `file_items.ts` decodes them.
 *
 * @module
 */
import { inputError } from "../cli/errors.ts";
import { HELP_NEED, HELP_NO_NEED, type Label, REJECT_ALL } from "../formats/result_label.ts";
import { pythonJsonDumps } from "../jsonl/python_json.ts";
import { listInputFolder } from "../store/input_folder.ts";
import { readInputBytes, readInputBytesSync } from "../store/read_input.ts";
import { decodeInputBytes } from "../store/utf8_text.ts";
import { parseJsonKeepingKeyOrder } from "./key_order.ts";
import { labelKind } from "./vote_rules.ts";

/** A question turn with labels, ready for the vote rules. */
export interface LabelledTurn {
  /** 0-based index of the entry in its file. */
  entry: number;
  tasks: string[];
  /** Annotator UUIDs in the file's key order, and their labels in the same order. */
  annotators: string[];
  labels: Label[];
}

/** What convert needs of one result file. */
export interface ResultFileData {
  path: string;
  /** All entries of the file (the reference counts them as turns). */
  entryCount: number;
  turns: LabelledTurn[];
  /**
   * The observations of entries 0..(last labelled turn), each as Python's `json.dumps`
   * writes it (an item of turn t has those of entries 0..t).
   */
  observations: string[];
}

/**
 * `*.json` files directly in `dir` (no hidden files), in Python `sorted()` order. An entry
 * named `*.json` that is not a file (a folder) is left out, as the reference script does,
 * and named to `warn`. The function stays async so that errors come as rejections.
 */
// deno-lint-ignore require-await
export async function listResultFiles(
  dir: string,
  warn: (message: string) => void = () => {},
): Promise<string[]> {
  const isResultName = (name: string) => name.endsWith(".json") && !name.startsWith(".");
  const folder = listInputFolder(dir, isResultName, { what: "result folder" });
  for (const entry of folder.notFiles) warn(`${entry.reason}: skipped`);
  return folder.files.sort(compareCodePoints);
}

/** Python's string order: by Unicode code point (JavaScript's default sorts UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** Reads and validates one result file; errors name the file (and the JSON path). */
export async function readResultFile(
  path: string,
  warn: (message: string) => void = () => {},
): Promise<ResultFileData> {
  return decodeResultFile(await readBytes(path), path, warn);
}

/** The bytes of a result file (see `readInputBytes`); errors name it. */
function readBytes(path: string): Promise<Uint8Array> {
  return readInputBytes(path, { what: "result file" });
}

/** `readBytes`, synchronously. */
export function readBytesSync(path: string): Uint8Array {
  return readInputBytesSync(path, { what: "result file" });
}

/** `readResultFile` for bytes already read. */
export async function decodeResultFile(
  bytes: Uint8Array,
  path: string,
  warn: (message: string) => void = () => {},
): Promise<ResultFileData> {
  return await parseResultData(decodeInputBytes(bytes, path, "result file"), path, warn);
}

/** Parses the text of one result file (see `readResultFile`). */
export async function parseResultData(
  text: string,
  path: string,
  warn: (message: string) => void = () => {},
): Promise<ResultFileData> {
  let parsed;
  try {
    parsed = parseJsonKeepingKeyOrder(text);
  } catch (error) {
    throw inputError(`Cannot parse "${path}" as JSON: ${(error as Error).message}`);
  }
  // Validation only: the data is taken from the raw value, which keeps the observations'
  // own keys and key order (the reference writes them as they are). The schema (zod) is
  // the authority; a quick hand check spares loading and running it for files that are
  // clearly valid.
  if (!isPlainResultFile(parsed.value)) {
    const { parseResultFile } = await import("../formats/result_file.ts");
    parseResultFile(parsed.value, path);
  }
  const entries = parsed.value as Record<string, unknown>[];
  const { keyOrder } = parsed;

  const turns: LabelledTurn[] = [];
  for (let entry = 0; entry < entries.length; entry++) {
    const item = entries[entry];
    if (!Object.hasOwn(item, "real_user")) continue;
    const realUser = item.real_user as Record<string, Label>;
    const annotators = [...(keyOrder(realUser) ?? Object.keys(realUser))];
    const labels = annotators.map((id) => realUser[id]);
    const tasks = item.candidate_task as string[];
    if (labelKind(labels) === "mixed") {
      throw inputError(
        `Invalid result file "${path}" at $[${entry}].real_user: mixes help-mode labels ` +
          `("need"/"no need") with task labels`,
      );
    }
    labels.forEach((label, i) => {
      if (Array.isArray(label) && label.some((index) => index >= tasks.length)) {
        warn(
          `"${path}" at $[${entry}].real_user.${annotators[i]}: task index past the ` +
            `${tasks.length} candidate tasks ignored (as the reference does)`,
        );
      }
    });
    turns.push({ entry, tasks, annotators, labels });
  }
  const last = turns.length > 0 ? turns[turns.length - 1].entry : -1;
  const observations: string[] = [];
  for (let entry = 0; entry <= last; entry++) {
    observations.push(pythonJsonDumps(entries[entry].observation, { keyOrder }));
  }
  return { path, entryCount: entries.length, turns, observations };
}

/**
 * A fast check at least as strict as `parseResultFile` (false: ask it). An entry without
 * `real_user` may be a saved turn (`candidate_task`) or a raw trace turn appended when an
 * annotator finished the trace (`agent_response.candidate_task`).
 */
export function isPlainResultFile(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (const entry of value) {
    if (!isRecord(entry)) return false;
    const observation = entry.observation;
    if (!isRecord(observation)) return false;
    if (typeof observation.time !== "string" || typeof observation.event !== "string") return false;
    const labelled = Object.hasOwn(entry, "real_user");
    let tasks = entry.candidate_task;
    if (!labelled && !Object.hasOwn(entry, "candidate_task")) {
      const response = entry.agent_response;
      if (!isRecord(response)) return false;
      tasks = response.candidate_task;
    }
    if (!Array.isArray(tasks)) return false;
    for (const task of tasks) if (typeof task !== "string") return false;
    if (!labelled) continue;
    const realUser = entry.real_user;
    if (!isRecord(realUser)) return false;
    for (const key in realUser) {
      const label = realUser[key];
      if (typeof label === "string") {
        if (label !== REJECT_ALL && label !== HELP_NEED && label !== HELP_NO_NEED) return false;
      } else if (Array.isArray(label)) {
        for (const index of label) if (!Number.isSafeInteger(index) || index < 0) return false;
      } else {
        return false;
      }
    }
  }
  return true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
