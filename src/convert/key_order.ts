/**
 * JSON parsing that keeps the key order Python sees. `JSON.parse` builds ordinary objects,
 * whose `Object.keys` lists integer-like keys (`"0"`, `"17"`) first, in numeric order;
 * Python's `json.load` keeps the order of the text. The reference rules take annotators
 * "in the object's key order", so that order must survive.
 *
 * Fast path: `JSON.parse`, and when the text has no integer-like key at all (the normal
 * case: annotator keys are UUID hex) nothing more. Otherwise the text is parsed a second
 * time by a small parser that records the key order of every object with such a key.
 *
 * Used by `parseResultData` (`read_results.ts`), which also hands `keyOrder` to
 * `pythonJsonDumps` so that the observations are written in their source key order.
 *
 * @module
 */

export interface OrderedJson {
  value: unknown;
  /** The source key order of `object` when it differs from `Object.keys`, else undefined. */
  keyOrder: (object: object) => readonly string[] | undefined;
}

const INTEGER_LIKE_KEY = /"(?:0|[1-9][0-9]*)"\s*:/;

const none = (): undefined => undefined;

/** Parses JSON text (throws `SyntaxError` like `JSON.parse`) keeping Python's key order. */
export function parseJsonKeepingKeyOrder(text: string): OrderedJson {
  const value: unknown = JSON.parse(text);
  if (!INTEGER_LIKE_KEY.test(text)) return { value, keyOrder: none };
  const orders = new WeakMap<object, string[]>();
  const ordered = new OrderedParser(text, orders).parseDocument();
  return { value: ordered, keyOrder: (object) => orders.get(object) };
}

/** True for keys that JavaScript objects enumerate before all others (array indices). */
export function isArrayIndexKey(key: string): boolean {
  return /^(?:0|[1-9][0-9]*)$/.test(key) && Number(key) < 4294967295;
}

/** Strict JSON (as `JSON.parse` accepts it; the text is known to be valid) with key orders. */
class OrderedParser {
  #pos = 0;

  constructor(readonly text: string, readonly orders: WeakMap<object, string[]>) {}

  parseDocument(): unknown {
    const value = this.#value();
    this.#skipSpace();
    if (this.#pos !== this.text.length) this.#fail("Unexpected data after the JSON value");
    return value;
  }

  #value(): unknown {
    this.#skipSpace();
    const c = this.text[this.#pos];
    if (c === "{") return this.#object();
    if (c === "[") return this.#array();
    if (c === '"') return this.#string();
    for (const [word, literal] of LITERALS) {
      if (this.text.startsWith(word, this.#pos)) {
        this.#pos += word.length;
        return literal;
      }
    }
    NUMBER.lastIndex = this.#pos;
    const match = NUMBER.exec(this.text);
    if (!match) this.#fail("Unexpected token");
    this.#pos += match[0].length;
    return Number(match[0]);
  }

  #object(): Record<string, unknown> {
    this.#pos++; // {
    const object: Record<string, unknown> = {};
    const keys: string[] = [];
    let needsOrder = false;
    this.#skipSpace();
    if (this.text[this.#pos] === "}") {
      this.#pos++;
      return object;
    }
    for (;;) {
      this.#skipSpace();
      const key = this.#string();
      this.#skipSpace();
      this.#expect(":");
      const item = this.#value();
      if (!Object.hasOwn(object, key)) {
        keys.push(key);
        if (isArrayIndexKey(key)) needsOrder = true;
      }
      // Duplicate keys: the last value wins at the first position, in Python and here.
      Object.defineProperty(object, key, {
        value: item,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.#skipSpace();
      if (this.text[this.#pos] === ",") {
        this.#pos++;
        continue;
      }
      this.#expect("}");
      break;
    }
    if (needsOrder) this.orders.set(object, keys);
    return object;
  }

  #array(): unknown[] {
    this.#pos++; // [
    const array: unknown[] = [];
    this.#skipSpace();
    if (this.text[this.#pos] === "]") {
      this.#pos++;
      return array;
    }
    for (;;) {
      array.push(this.#value());
      this.#skipSpace();
      if (this.text[this.#pos] === ",") {
        this.#pos++;
        continue;
      }
      this.#expect("]");
      return array;
    }
  }

  #string(): string {
    const start = this.#pos;
    if (this.text[start] !== '"') this.#fail("Expected a string");
    let end = start + 1;
    for (;;) {
      end = this.text.indexOf('"', end);
      if (end === -1) this.#fail("Unterminated string");
      let backslashes = 0;
      for (let i = end - 1; this.text.charCodeAt(i) === 92; i--) backslashes++;
      if (backslashes % 2 === 0) break;
      end++;
    }
    this.#pos = end + 1;
    const raw = this.text.slice(start + 1, end);
    return raw.includes("\\") ? JSON.parse(this.text.slice(start, end + 1)) : raw;
  }

  #skipSpace(): void {
    const text = this.text;
    let pos = this.#pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 32 || c === 10 || c === 13 || c === 9) pos++;
      else break;
    }
    this.#pos = pos;
  }

  #expect(char: string): void {
    if (this.text[this.#pos] !== char) this.#fail(`Expected "${char}"`);
    this.#pos++;
  }

  #fail(message: string): never {
    throw new SyntaxError(`${message} at position ${this.#pos}`);
  }
}

const LITERALS: [string, unknown][] = [["true", true], ["false", false], ["null", null]];
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
