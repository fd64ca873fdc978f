/**
 * Where and why a text is not JSON, said without quoting it. `JSON.parse`'s own messages
 * quote the text around the error (`Unexpected token 'r', "root:x:0:0"... is not valid
 * JSON`): logged for a file that should not be shown (a secret a link points at, another
 * user's data), they would print its bytes. `jsonSyntaxProblem` scans the text the way
 * JSON's grammar reads it and names only the line, the column and what was expected.
 *
 * @module
 */
/** The first place a text stops being JSON. */
export interface JsonSyntaxProblem {
  /** Offset in UTF-16 code units. */
  offset: number;
  /** 1-based line and column (in UTF-16 code units) of `offset`. */
  line: number;
  column: number;
  /** What is wrong there, without the text itself. */
  problem: string;
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);

class Fail {
  constructor(readonly offset: number, readonly problem: string) {}
}

/** A scanner of JSON text that throws `Fail` at the first error. */
class Scanner {
  i = 0;
  constructor(readonly text: string) {}

  skipSpace(): void {
    while (" \t\n\r".includes(this.text[this.i] ?? "x")) this.i++;
  }

  string(): void {
    const { text } = this;
    this.i++; // the opening quote
    for (;;) {
      if (this.i >= text.length) throw new Fail(this.i, "the text ends inside a string");
      const code = text.charCodeAt(this.i);
      if (code === 0x22) break;
      if (code < 0x20) throw new Fail(this.i, "a control character inside a string");
      if (code === 0x5c) {
        const next = text[this.i + 1];
        if (next === "u" && /^[0-9A-Fa-f]{4}$/.test(text.slice(this.i + 2, this.i + 6))) {
          this.i += 6;
          continue;
        }
        if (next === undefined || !ESCAPES.has(next)) {
          throw new Fail(this.i, "an invalid escape in a string");
        }
        this.i += 2;
        continue;
      }
      this.i++;
    }
    this.i++; // the closing quote
  }

  /** One value that is not an array or an object. */
  scalar(): void {
    const { text, i } = this;
    const char = text[i];
    if (char === undefined) throw new Fail(i, "the text ends where a value should be");
    if (char === '"') return this.string();
    for (const literal of ["true", "false", "null"]) {
      if (text.startsWith(literal, i)) {
        this.i += literal.length;
        return;
      }
    }
    NUMBER.lastIndex = i;
    if ((char === "-" || (char >= "0" && char <= "9")) && NUMBER.test(text)) {
      this.i = NUMBER.lastIndex;
      return;
    }
    throw new Fail(i, "an unexpected character where a value should be");
  }

  /** A key and its colon, inside an object. */
  key(): void {
    if (this.text[this.i] !== '"') {
      throw new Fail(
        this.i,
        this.i >= this.text.length
          ? "the text ends inside an object"
          : "expected a property name in double quotes",
      );
    }
    this.string();
    this.skipSpace();
    if (this.text[this.i] !== ":") throw new Fail(this.i, 'expected ":" after a property name');
    this.i++;
  }
}

function scan(text: string): void {
  const s = new Scanner(text);
  const open: string[] = []; // "]" or "}" for each array or object being read
  s.skipSpace();
  for (;;) {
    // A value.
    const char = text[s.i];
    if (char === "[" || char === "{") {
      s.i++;
      s.skipSpace();
      const close = char === "[" ? "]" : "}";
      if (text[s.i] === close) {
        s.i++;
      } else {
        open.push(close);
        if (close === "}") s.key();
        s.skipSpace();
        continue;
      }
    } else {
      s.scalar();
    }
    // After a value: a comma, the end of its array or object, or the end of the text.
    for (;;) {
      s.skipSpace();
      const close = open.at(-1);
      if (close === undefined) {
        if (s.i < text.length) throw new Fail(s.i, "unexpected text after the JSON value");
        return;
      }
      const next = text[s.i];
      if (next === close) {
        open.pop();
        s.i++;
        continue;
      }
      const where = close === "]" ? "an array" : "an object";
      if (next === undefined) throw new Fail(s.i, `the text ends inside ${where}`);
      if (next !== ",") throw new Fail(s.i, `expected "," or "${close}" in ${where}`);
      s.i++;
      s.skipSpace();
      if (close === "}") {
        s.key();
        s.skipSpace();
      }
      break;
    }
  }
}

/** The first syntax error of `text`, or undefined when it is JSON. */
export function jsonSyntaxProblem(text: string): JsonSyntaxProblem | undefined {
  try {
    scan(text);
    return undefined;
  } catch (error) {
    if (!(error instanceof Fail)) throw error;
    const before = text.slice(0, error.offset);
    const line = before.split("\n").length;
    const column = error.offset - (before.lastIndexOf("\n") + 1) + 1;
    return { offset: error.offset, line, column, problem: error.problem };
  }
}
