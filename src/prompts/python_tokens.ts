/**
 * The tokens of Python source, as far as `prompts import` needs them to read the
 * reference's constants without running Python: names, numbers, string literals (every
 * prefix and quote form, kept raw; `python_string.ts` decodes them), operators and
 * brackets, grouped into logical lines (a line continues inside brackets and after a
 * trailing backslash, as in Python). Comments are dropped. Each logical line records the
 * column of its first token, its indentation, so that a function's body can be told apart.
 *
 * Hand-written because no maintained npm package tokenizes Python exactly (string
 * prefixes, triple quotes, line joining): it is small and tested against Python itself.
 *
 * @module
 */

/** One token. `line` and `column` are 1-based, in the source text. */
export type PythonToken =
  | { kind: "name"; text: string; line: number; column: number }
  | { kind: "number"; text: string; line: number; column: number }
  | { kind: "op"; text: string; line: number; column: number }
  | {
    kind: "string";
    /** The whole literal as written, prefix and quotes included. */
    text: string;
    /** The prefix, lower-cased (`""`, `"r"`, `"f"`, `"rb"`, …). */
    prefix: string;
    /** `'`, `"`, `'''` or `"""`. */
    quote: string;
    /** What is between the quotes, undecoded. */
    body: string;
    line: number;
    column: number;
  };

/** A logical line: its tokens and its indentation (the first token's column). */
export interface LogicalLine {
  indent: number;
  tokens: PythonToken[];
}

/** Source text that is not Python as far as the tokenizer can tell. */
export class PythonSyntaxError extends Error {
  constructor(message: string, readonly line: number) {
    super(`line ${line}: ${message}`);
    this.name = "PythonSyntaxError";
  }
}

const STRING_START = /^([rRbBuUfF]{0,2})('''|"""|'|")/;
const NAME = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}_]*/u;
const NUMBER =
  /^(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?[jJ]?)/;
const OPERATORS = [
  "**=",
  "//=",
  ">>=",
  "<<=",
  "...",
  "->",
  ":=",
  "**",
  "//",
  "<<",
  ">>",
  "<=",
  ">=",
  "==",
  "!=",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "&=",
  "|=",
  "^=",
  "@=",
  "+",
  "-",
  "*",
  "/",
  "%",
  "@",
  "&",
  "|",
  "^",
  "~",
  "<",
  ">",
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  ",",
  ":",
  ".",
  ";",
  "=",
];
const OPENING = new Set(["(", "[", "{"]);
const CLOSING = new Set([")", "]", "}"]);
const VALID_PREFIXES = new Set(["", "r", "u", "f", "b", "br", "rb", "fr", "rf"]);

/** The logical lines of `source`. Throws `PythonSyntaxError` on an unterminated string. */
export function pythonLogicalLines(source: string): LogicalLine[] {
  const lines: LogicalLine[] = [];
  let current: PythonToken[] = [];
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const endLine = () => {
    if (current.length > 0) lines.push({ indent: current[0].column, tokens: current });
    current = [];
  };
  while (i < source.length) {
    const c = source[i];
    const column = i - lineStart + 1;
    if (c === "\n") {
      if (depth === 0) endLine();
      line++;
      lineStart = ++i;
    } else if (c === " " || c === "\t" || c === "\r" || c === "\f") {
      i++;
    } else if (c === "#") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (c === "\\" && /^\\\r?\n/.test(source.slice(i, i + 3))) {
      i += source[i + 1] === "\r" ? 3 : 2;
      line++;
      lineStart = i;
    } else {
      const rest = source.slice(i, i + 5);
      const start = STRING_START.exec(rest);
      if (start && VALID_PREFIXES.has(start[1].toLowerCase())) {
        const token = readString(source, i, { line, column, prefix: start[1], quote: start[2] });
        current.push(token.token);
        line += token.newlines;
        if (token.newlines > 0) lineStart = source.lastIndexOf("\n", token.end - 1) + 1;
        i = token.end;
        continue;
      }
      const tail = source.slice(i, i + 200);
      const name = NAME.exec(tail);
      const number = name ? null : NUMBER.exec(tail);
      const text = name?.[0] ?? number?.[0] ?? OPERATORS.find((op) => tail.startsWith(op));
      if (text === undefined || text === "") {
        throw new PythonSyntaxError(`unexpected character ${JSON.stringify(c)}`, line);
      }
      const kind = name ? "name" : number ? "number" : "op";
      if (kind === "op" && OPENING.has(text)) depth++;
      if (kind === "op" && CLOSING.has(text)) depth = Math.max(0, depth - 1);
      current.push({ kind, text, line, column });
      i += text.length;
    }
  }
  endLine();
  return lines;
}

function readString(
  source: string,
  start: number,
  at: { line: number; column: number; prefix: string; quote: string },
): { token: PythonToken; end: number; newlines: number } {
  const open = start + at.prefix.length + at.quote.length;
  const triple = at.quote.length === 3;
  let i = open;
  let newlines = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === "\\") {
      // A backslash always takes the next character along when looking for the end, in
      // raw strings too (r"\"" is a backslash and a quote).
      if (source[i + 1] === "\n") newlines++;
      i += 2;
      continue;
    }
    if (c === "\n") {
      if (!triple) break;
      newlines++;
    }
    if (source.startsWith(at.quote, i)) {
      const body = source.slice(open, i);
      const end = i + at.quote.length;
      return {
        token: {
          kind: "string",
          text: source.slice(start, end),
          prefix: at.prefix.toLowerCase(),
          quote: at.quote,
          body,
          line: at.line,
          column: at.column,
        },
        end,
        newlines,
      };
    }
    i++;
  }
  throw new PythonSyntaxError("unterminated string literal", at.line);
}
