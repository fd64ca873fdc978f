/**
 * Reads the JSON a model meant to write: inside ```json fences, after a `<think>` block,
 * wrapped in prose, with trailing commas or Python's None/True/False. And, given the zod
 * schema, turns `"null"` strings into `null` where the schema allows null.
 */
import type { z } from "zod";

export type LenientResult = { ok: true; value: unknown } | { ok: false; error: string };

/** The first JSON value found in `text`, or why none could be read. */
export function parseLenientJson(text: string): LenientResult {
  const cleaned = text.replace(/<think>[\s\S]*?<\/think>/gi, "").trim();
  if (cleaned === "") return { ok: false, error: "the answer is empty" };
  let firstError: string | undefined;
  for (const candidate of candidates(cleaned)) {
    for (const variant of [candidate, repairJsonText(candidate)]) {
      try {
        return { ok: true, value: JSON.parse(variant) };
      } catch (error) {
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  }
  if (!/[{[]/.test(cleaned)) return { ok: false, error: "the answer contains no JSON object" };
  return { ok: false, error: `the answer is not valid JSON (${firstError})` };
}

/** Texts worth trying, most likely first: fenced blocks, the whole text, balanced spans. */
function* candidates(text: string): Generator<string> {
  for (const match of text.matchAll(/```[a-zA-Z0-9_-]*[ \t]*\r?\n?([\s\S]*?)```/g)) {
    const inner = match[1].trim();
    if (inner) {
      yield inner;
      yield* balancedSpans(inner);
    }
  }
  yield text;
  yield* balancedSpans(text);
}

/** Each `{…}` or `[…]` span with balanced brackets (strings respected), left to right. */
function* balancedSpans(text: string, maxSpans = 50): Generator<string> {
  let tried = 0;
  for (let start = 0; start < text.length && tried < maxSpans; start++) {
    const open = text[start];
    if (open !== "{" && open !== "[") continue;
    const end = matchingBracket(text, start);
    if (end === -1) continue;
    tried++;
    yield text.slice(start, end + 1);
    if (open === "{") start = end; // an object parsed or not: skip its insides
  }
}

function matchingBracket(text: string, start: number): number {
  const stack: string[] = [];
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{") stack.push("}");
    else if (c === "[") stack.push("]");
    else if (c === "}" || c === "]") {
      if (stack.pop() !== c) return -1;
      if (stack.length === 0) return i;
    }
  }
  return -1;
}

/**
 * Fixes what models commonly get wrong, outside strings only: trailing commas before
 * `}`/`]`, and Python literals None/True/False.
 */
export function repairJsonText(text: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === "\\" && i + 1 < text.length) out += text[++i];
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      continue;
    }
    if (c === ",") {
      const rest = text.slice(i + 1).match(/^\s*([}\]])/);
      if (rest) continue;
    }
    const word = text.slice(i).match(/^(None|True|False)\b/);
    if (word && !/[A-Za-z0-9_]/.test(text[i - 1] ?? "")) {
      out += word[1] === "None" ? "null" : word[1] === "True" ? "true" : "false";
      i += word[1].length - 1;
      continue;
    }
    out += c;
  }
  return out;
}

const NULL_WORDS = /^\s*(null|none|nil)\s*$/i;

/**
 * `value` with each `"null"`/`"None"` string replaced by `null` wherever `schema` accepts
 * null at that place (tried one place at a time; other problems are left to validation).
 */
export function nullStringsToNull(value: unknown, schema: z.ZodType): unknown {
  const paths: PropertyKey[][] = [];
  collectNullStrings(value, [], paths);
  let current = value;
  for (const path of paths) {
    const before = new Set(issuePaths(schema, current).map(pathKey));
    const candidate = setAt(current, path, null);
    // Rejected when validation now complains at this place, below it, or above it (a
    // union or a refinement) where it did not complain before.
    const rejected = issuePaths(schema, candidate).some((issue) =>
      (startsWith(issue, path) || startsWith(path, issue)) && !before.has(pathKey(issue))
    );
    if (!rejected) current = candidate;
  }
  return current;
}

function issuePaths(schema: z.ZodType, value: unknown): PropertyKey[][] {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((issue) => issue.path);
}

function pathKey(path: readonly PropertyKey[]): string {
  return JSON.stringify(path.map(String));
}

function collectNullStrings(value: unknown, path: PropertyKey[], out: PropertyKey[][]): void {
  if (typeof value === "string") {
    if (NULL_WORDS.test(value)) out.push(path);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => collectNullStrings(item, [...path, i], out));
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) collectNullStrings(item, [...path, key], out);
  }
}

function setAt(value: unknown, path: PropertyKey[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...value];
    copy[head as number] = setAt(copy[head as number], rest, replacement);
    return copy;
  }
  const record = value as Record<PropertyKey, unknown>;
  return { ...record, [head]: setAt(record[head], rest, replacement) };
}

function startsWith(path: readonly PropertyKey[], prefix: readonly PropertyKey[]): boolean {
  if (path.length < prefix.length) return false;
  return prefix.every((key, i) => String(path[i]) === String(key));
}
