/**
 * Gym logs in the reference project's encoding (its `gym/main.py`, or `datagen
 * --log-format reference`), read into the same `GymLog` as proactive's own logs:
 * - records before the environment starts the clock have the time "Time Freezed.";
 *   other times are `M-D H:M:S` (the first one as the model wrote it, maybe unpadded) and
 *   are read as `MM-DD HH:MM:SS`;
 * - ProactiveAgent's `agent.proactive` content is the whole prediction as JSON
 *   (`{Purpose, Thoughts, Proactive Task, Response}`), a null (or "null") task meaning no
 *   proposal; the user's judgement is `"<thought>\nIs Accepted: True|False"`; the user's
 *   activity is plain text; `agent.ops` is "# Assistant Available Operations\n" and the
 *   operations as Python prints them (read back to `{name, arguments, doc}` objects, else
 *   kept as text);
 * - there is no `end` record: such a log is complete enough to use when it is a `.jsonl`
 *   file (not a `.partial`), every line is a record and it holds at least one event
 *   (`isUsableReferenceLog`).
 *
 * @module
 */
import { FROZEN_TIME, OPERATIONS_HEADER } from "./reference_log_format.ts";
import { decodeStringToken } from "../prompts/python_string.ts";
import { pythonLogicalLines, type PythonToken } from "../prompts/python_tokens.ts";
import { readInputLines } from "../store/input_lines.ts";

/** One record of a reference log, its envelope checked. */
export interface ReferenceLogRecord {
  source: string;
  /** `MM-DD HH:MM:SS`, or null for "Time Freezed.". */
  time: string | null;
  tags: string[];
  content: string;
}

const LENIENT_TIME = /^(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})$/;

/** A reference time as `MM-DD HH:MM:SS`, null when frozen; undefined when not a time. */
export function referenceTime(time: unknown): string | null | undefined {
  if (time === FROZEN_TIME) return null;
  const match = typeof time === "string" ? time.trim().match(LENIENT_TIME) : null;
  if (!match) return undefined;
  const [month, day, hour, minute, second] = match.slice(1).map((part) => part.padStart(2, "0"));
  return `${month}-${day} ${hour}:${minute}:${second}`;
}

/** Checks the envelope of one parsed line; throws an Error naming the problem. */
export function referenceRecordOf(value: unknown): ReferenceLogRecord {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Error("a gym record must be an object");
  }
  const { source, time, tags, content } = value as Record<string, unknown>;
  if (typeof source !== "string") throw new Error("source must be text");
  const at = referenceTime(time);
  if (at === undefined) {
    throw new Error(`time ${JSON.stringify(time)} is neither "M-D H:M:S" nor "${FROZEN_TIME}"`);
  }
  if (!Array.isArray(tags) || tags.length === 0 || !tags.every((t) => typeof t === "string")) {
    throw new Error(`tags ${JSON.stringify(tags)} must be a list of text`);
  }
  if (typeof content !== "string" && content !== null) {
    throw new Error(
      `content must be text, got ${Array.isArray(content) ? "a list" : typeof content}`,
    );
  }
  return { source, time: at, tags, content: content ?? "" };
}

/**
 * Whether parsed records are in the reference's encoding: a frozen time, or a prediction
 * object as the agent's `agent.proactive` content.
 */
export function isReferenceEncoding(records: readonly unknown[]): boolean {
  return records.some((value) => {
    const record = value as Record<string, unknown> | null;
    if (record?.time === FROZEN_TIME) return true;
    const tags = record?.tags;
    if (
      record?.source !== "ProactiveAgent" || !Array.isArray(tags) ||
      !tags.includes("agent.proactive") || typeof record.content !== "string"
    ) return false;
    return predictionOf(record.content) !== undefined;
  });
}

/** The prediction object of an `agent.proactive` content, if it is one. */
export function predictionOf(content: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(content);
    return value !== null && typeof value === "object" && !Array.isArray(value) &&
        "Proactive Task" in value
      ? value
      : undefined;
  } catch {
    return undefined;
  }
}

/** The task of a prediction; null for none (null, "null", empty, not text). */
export function taskOfPrediction(prediction: Record<string, unknown>): string | null {
  const task = prediction["Proactive Task"];
  if (typeof task !== "string") return null;
  const trimmed = task.trim();
  return trimmed === "" || trimmed === "null" ? null : trimmed;
}

/**
 * The operations of an `agent.ops` content: after the header, Python's
 * `[Operation(name='…', arguments=['…'], doc='…'), …]` as objects, or JSON; otherwise
 * the text itself.
 */
export function operationsOf(content: string): unknown {
  const body = content.startsWith(OPERATIONS_HEADER)
    ? content.slice(OPERATIONS_HEADER.length)
    : content;
  try {
    return JSON.parse(body);
  } catch { /* not JSON */ }
  try {
    return parseOperationsRepr(body);
  } catch {
    return body;
  }
}

/** `[Operation(k=v, …), …]` with literal values (strings, lists of strings). */
function parseOperationsRepr(text: string): Record<string, unknown>[] {
  const lines = pythonLogicalLines(text);
  if (lines.length !== 1) throw new Error("not one expression");
  const tokens = lines[0].tokens;
  let at = 0;
  const expect = (value: string) => {
    if (tokens[at]?.text !== value) throw new Error(`expected ${value}`);
    at++;
  };
  const literal = (): unknown => {
    const token = tokens[at++];
    if (token?.kind === "string") return decodeStringToken(token as never).join("");
    if (token?.text === "[") {
      const items: unknown[] = [];
      while (tokens[at]?.text !== "]") {
        items.push(literal());
        if (tokens[at]?.text === ",") at++;
        else break;
      }
      expect("]");
      return items;
    }
    throw new Error(`unexpected ${token?.text}`);
  };
  const objects: Record<string, unknown>[] = [];
  expect("[");
  while (tokens[at]?.text !== "]") {
    if ((tokens[at] as PythonToken | undefined)?.kind !== "name") {
      throw new Error("expected a name");
    }
    at++;
    expect("(");
    const object: Record<string, unknown> = {};
    while (tokens[at]?.text !== ")") {
      const key = tokens[at++];
      expect("=");
      object[key.text] = literal();
      if (tokens[at]?.text === ",") at++;
      else break;
    }
    expect(")");
    objects.push(object);
    if (tokens[at]?.text === ",") at++;
    else break;
  }
  expect("]");
  if (at !== tokens.length) throw new Error("trailing text");
  return objects;
}

/**
 * Whether the reference-encoded log at `path` is complete enough to use (see the module
 * doc); false for a log in proactive's encoding or one that cannot be read.
 */
export async function isUsableReferenceLog(path: string): Promise<boolean> {
  if (path.endsWith(".partial")) return false;
  const records: unknown[] = [];
  try {
    for await (const { text } of readInputLines(path, { what: "gym log" })) {
      if (text.trim() === "") continue;
      records.push(JSON.parse(text));
    }
  } catch {
    return false;
  }
  if (!isReferenceEncoding(records)) return false;
  try {
    const checked = records.map(referenceRecordOf);
    return checked.some((record) => record.tags.includes("events"));
  } catch {
    return false;
  }
}
