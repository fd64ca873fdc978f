/**
 * Python string literals decoded to the text Python sees: escapes (`\n`, `\t`, `\\`,
 * `\'`, octal, `\xhh`, `\uXXXX`, `\UXXXXXXXX`, a backslash before a newline, an unknown
 * escape kept as written), raw strings (nothing decoded), and f-strings split into their
 * literal text (`{{` and `}}` as single braces) and replacement fields. Byte strings and
 * `\N{…}` escapes are refused: a prompt is text, and the names of `\N{…}` need Python's
 * Unicode name table.
 *
 * @module
 */
import type { PythonToken } from "./python_tokens.ts";

/** A literal Python would not accept as a prompt text. */
export class PythonValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PythonValueError";
  }
}

/** A piece of a string literal: text, or an f-string's replacement field (its source). */
export type StringPart = string | { field: string };

type StringToken = Extract<PythonToken, { kind: "string" }>;

/** The parts of a string literal: one text for a plain string, texts and fields for an f-string. */
export function decodeStringToken(token: StringToken): StringPart[] {
  const raw = token.prefix.includes("r");
  if (token.prefix.includes("b")) {
    throw new PythonValueError(`line ${token.line}: a bytes literal is not text`);
  }
  if (!token.prefix.includes("f")) return [decodeEscapes(token.body, raw, token.line)];
  return splitFString(token.body, token.line).map((part) =>
    typeof part === "string" ? decodeEscapes(part, raw, token.line) : part
  );
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  "\n": "",
  "\\": "\\",
  "'": "'",
  '"': '"',
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
};

/** The text of a string body: its escapes decoded unless `raw`. */
export function decodeEscapes(body: string, raw: boolean, line: number): string {
  if (raw) return body;
  let out = "";
  let i = 0;
  while (i < body.length) {
    const c = body[i];
    if (c !== "\\" || i + 1 >= body.length) {
      out += c;
      i++;
      continue;
    }
    const next = body[i + 1];
    if (Object.hasOwn(SIMPLE_ESCAPES, next)) {
      out += SIMPLE_ESCAPES[next];
      i += 2;
    } else if (/[0-7]/.test(next)) {
      const digits = /^[0-7]{1,3}/.exec(body.slice(i + 1))![0];
      out += String.fromCodePoint(parseInt(digits, 8));
      i += 1 + digits.length;
    } else if (next === "x" || next === "u" || next === "U") {
      const length = next === "x" ? 2 : next === "u" ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + length);
      const code = parseInt(hex, 16);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== length || code > 0x10ffff) {
        throw new PythonValueError(`line ${line}: a malformed \\${next} escape`);
      }
      out += String.fromCodePoint(code);
      i += 2 + length;
    } else if (next === "N") {
      throw new PythonValueError(
        `line ${line}: \\N{…} escapes are not read (they need Python's table of character names)`,
      );
    } else {
      // Python keeps an unknown escape as written (with a warning).
      out += "\\" + next;
      i += 2;
    }
  }
  return out;
}

/** An f-string body as literal pieces (undecoded) and replacement fields. */
function splitFString(body: string, line: number): StringPart[] {
  const parts: StringPart[] = [];
  let text = "";
  let i = 0;
  while (i < body.length) {
    const c = body[i];
    if (c === "\\" && i + 1 < body.length && body[i + 1] !== "{" && body[i + 1] !== "}") {
      text += c + body[i + 1];
      i += 2;
    } else if ((c === "{" || c === "}") && body[i + 1] === c) {
      // A doubled brace is one brace.
      text += c;
      i += 2;
    } else if (c === "{") {
      const end = fieldEnd(body, i + 1, line);
      if (text) parts.push(text);
      text = "";
      parts.push({ field: body.slice(i + 1, end) });
      i = end + 1;
    } else if (c === "}") {
      throw new PythonValueError(`line ${line}: a single "}" in an f-string`);
    } else {
      text += c;
      i++;
    }
  }
  if (text) parts.push(text);
  return parts;
}

/** The index of the `}` closing the replacement field that starts at `start`. */
function fieldEnd(body: string, start: number, line: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = start; i < body.length; i++) {
    const c = body[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === "(" || c === "[" || c === "{") {
      depth++;
    } else if (c === ")" || c === "]" || (c === "}" && depth > 0)) {
      depth--;
    } else if (c === "}") {
      return i;
    }
  }
  throw new PythonValueError(`line ${line}: an f-string field without its closing "}"`);
}
