/**
 * The value of a Python expression made of literals, read from its tokens without running
 * Python: strings (implicit concatenation, `+`), f-strings, integers, `True`/`False`/`None`,
 * lists and dicts of those, `json.dumps(value, indent=…, ensure_ascii=…, sort_keys=…)` as
 * Python writes it, and `"SEP".join(name)`. A bare name is looked up among the module's
 * constants (`resolve`) and otherwise stands for a value filled in later: it becomes a
 * placeholder of a `PyTemplate`, as does an f-string field naming a variable. Anything
 * else (calls, subscripts, operators on non-text) throws `PythonValueError` naming it.
 *
 * @module
 */
import { pythonDumps } from "../jsonl/python_json.ts";
import { decodeStringToken, PythonValueError } from "./python_string.ts";
import type { PythonToken } from "./python_tokens.ts";

/** A placeholder of a template: a variable, or `SEP.join(variable)`. */
export interface TemplateSlot {
  name: string;
  join?: string;
}

/** Text with variables in it, in order. */
export class PyTemplate {
  constructor(readonly parts: readonly (string | TemplateSlot)[]) {}
}

/** A dict, keys in Python's order (first insertion; a repeated key keeps its place). */
export class PyDict {
  constructor(readonly entries: ReadonlyMap<string, PyValue>) {}
}

export type PyValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | PyValue[]
  | PyDict
  | PyTemplate;

/** Looks a module constant up; undefined when the module has none of that name. */
export type NameResolver = (name: string) => PyValue | undefined;

/** The value of the expression `tokens` (all of them). */
export function evaluatePython(tokens: readonly PythonToken[], resolve?: NameResolver): PyValue {
  if (tokens.length === 0) throw new PythonValueError("an empty expression");
  const reader = new ExpressionReader(tokens, resolve ?? (() => undefined));
  const value = reader.expression();
  reader.expectEnd();
  return value;
}

/** A short description of a value's type, for messages. */
export function pythonTypeName(value: PyValue): string {
  if (value === null) return "None";
  if (Array.isArray(value)) return "a list";
  if (value instanceof PyDict) return "a dict";
  if (value instanceof PyTemplate) return "text with variables";
  return typeof value === "string" ? "text" : typeof value === "boolean" ? "a bool" : "a number";
}

class ExpressionReader {
  #at = 0;
  constructor(readonly tokens: readonly PythonToken[], readonly resolve: NameResolver) {}

  expression(): PyValue {
    let value = this.unary();
    while (this.#isOp("+")) {
      this.#at++;
      value = add(value, this.unary(), this.#line());
    }
    if (this.#peek()?.kind === "name" && ["if", "for", "and", "or"].includes(this.#peek()!.text)) {
      throw this.#unsupported(`"${this.#peek()!.text}"`);
    }
    return value;
  }

  expectEnd(): void {
    const token = this.#peek();
    if (token) throw this.#unsupported(`"${token.text}"`);
  }

  unary(): PyValue {
    if (this.#isOp("-")) {
      this.#at++;
      const value = this.unary();
      if (typeof value === "number") return -value;
      if (typeof value === "bigint") return -value;
      throw new PythonValueError(`line ${this.#line()}: "-" of ${pythonTypeName(value)}`);
    }
    return this.postfix(this.atom());
  }

  atom(): PyValue {
    const token = this.#next();
    if (token.kind === "string") return this.#strings(token);
    if (token.kind === "number") return integer(token.text, token.line);
    if (token.kind === "name") return this.#name(token.text);
    if (token.text === "(") {
      const value = this.expression();
      this.#expect(")");
      return value;
    }
    if (token.text === "[") return this.#list();
    if (token.text === "{") return this.#dict();
    throw this.#unsupported(`"${token.text}"`, token);
  }

  postfix(value: PyValue): PyValue {
    while (this.#isOp(".") || this.#isOp("(") || this.#isOp("[")) {
      const token = this.#next();
      if (token.text !== ".") throw this.#unsupported(`"${token.text}" after a value`, token);
      const method = this.#next();
      if (method.kind !== "name") throw this.#unsupported(`"${method.text}"`, method);
      value = this.#call(value, method.text, method.line);
    }
    return value;
  }

  #call(target: PyValue, method: string, line: number): PyValue {
    if (target === JSON_MODULE && method === "dumps") return this.#dumps(line);
    if (typeof target === "string" && method === "join") {
      this.#expect("(");
      const name = this.#next();
      this.#expect(")");
      if (name.kind !== "name") throw this.#unsupported(`join of "${name.text}"`, name);
      return new PyTemplate([{ name: name.text, join: target }]);
    }
    throw new PythonValueError(`line ${line}: a call of .${method}() is not read`);
  }

  #dumps(line: number): PyValue {
    this.#expect("(");
    const value = this.expression();
    const options: Record<string, PyValue> = {};
    while (this.#isOp(",")) {
      this.#at++;
      if (this.#isOp(")")) break;
      const key = this.#next();
      if (key.kind !== "name" || !this.#isOp("=")) {
        throw new PythonValueError(`line ${line}: json.dumps takes only keyword options here`);
      }
      if (!DUMPS_OPTIONS.includes(key.text)) {
        throw new PythonValueError(`line ${line}: json.dumps's option ${key.text} is not read`);
      }
      this.#at++;
      options[key.text] = this.expression();
    }
    this.#expect(")");
    return dumps(value, options, line);
  }

  #strings(first: Extract<PythonToken, { kind: "string" }>): PyValue {
    let value: PyValue = "";
    let token: PythonToken = first;
    for (;;) {
      for (const part of decodeStringToken(token as typeof first)) {
        value = add(value, typeof part === "string" ? part : fieldValue(part.field, token.line));
      }
      if (this.#peek()?.kind !== "string") return value;
      token = this.#next();
    }
  }

  #name(name: string): PyValue {
    if (name === "True") return true;
    if (name === "False") return false;
    if (name === "None") return null;
    if (name === "json") return JSON_MODULE;
    return this.resolve(name) ?? new PyTemplate([{ name }]);
  }

  #list(): PyValue[] {
    const items: PyValue[] = [];
    while (!this.#isOp("]")) {
      items.push(this.expression());
      if (!this.#isOp(",")) break;
      this.#at++;
    }
    this.#expect("]");
    return items;
  }

  #dict(): PyDict {
    const entries = new Map<string, PyValue>();
    while (!this.#isOp("}")) {
      const keyToken = this.#peek();
      const key = this.expression();
      if (typeof key !== "string") {
        throw new PythonValueError(`line ${keyToken?.line}: a dict key that is not text`);
      }
      this.#expect(":");
      entries.set(key, this.expression());
      if (!this.#isOp(",")) break;
      this.#at++;
    }
    this.#expect("}");
    return new PyDict(entries);
  }

  #peek(): PythonToken | undefined {
    return this.tokens[this.#at];
  }

  #next(): PythonToken {
    const token = this.tokens[this.#at++];
    if (!token) {
      throw new PythonValueError(`line ${this.tokens.at(-1)!.line}: the expression ends early`);
    }
    return token;
  }

  #isOp(text: string): boolean {
    const token = this.#peek();
    return token?.kind === "op" && token.text === text;
  }

  #expect(text: string): void {
    const token = this.#next();
    if (token.kind !== "op" || token.text !== text) {
      throw this.#unsupported(`"${token.text}" where "${text}" was expected`, token);
    }
  }

  #line(): number {
    return (this.#peek() ?? this.tokens.at(-1)!).line;
  }

  #unsupported(what: string, token?: PythonToken): PythonValueError {
    return new PythonValueError(`line ${token?.line ?? this.#line()}: ${what} is not read`);
  }
}

/** Stands for the `json` module while reading `json.dumps(…)`. */
const JSON_MODULE = new PyTemplate([{ name: "json" }]);

function integer(text: string, line: number): number | bigint {
  const digits = text.replaceAll("_", "");
  if (!/^(?:0[xXoObB][0-9a-fA-F]+|\d+)$/.test(digits)) {
    throw new PythonValueError(`line ${line}: the number ${text} is not read (only integers)`);
  }
  const value = BigInt(digits);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

function fieldValue(field: string, line: number): PyTemplate {
  const name = field.trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new PythonValueError(`line ${line}: the f-string field {${field}} is not a plain name`);
  }
  return new PyTemplate([{ name }]);
}

function add(left: PyValue, right: PyValue, line?: number): PyValue {
  const textual = (v: PyValue) => typeof v === "string" || v instanceof PyTemplate;
  if (typeof left === "string" && typeof right === "string") return left + right;
  if (textual(left) && textual(right)) {
    const parts = (v: PyValue) => v instanceof PyTemplate ? v.parts : v === "" ? [] : [v as string];
    return new PyTemplate([...parts(left), ...parts(right)]);
  }
  if (Array.isArray(left) && Array.isArray(right)) return [...left, ...right];
  if (typeof left === "number" && typeof right === "number") return left + right;
  throw new PythonValueError(
    `line ${line}: "+" of ${pythonTypeName(left)} and ${pythonTypeName(right)} is not read`,
  );
}

const DUMPS_OPTIONS = ["indent", "ensure_ascii", "sort_keys"];

function dumps(value: PyValue, options: Record<string, PyValue>, line: number): string {
  const { indent = null, ensure_ascii: ensureAscii = true, sort_keys: sortKeys = false } = options;
  if (indent !== null && typeof indent !== "number") {
    throw new PythonValueError(`line ${line}: json.dumps's indent must be an integer or None`);
  }
  if (typeof ensureAscii !== "boolean" || typeof sortKeys !== "boolean") {
    throw new PythonValueError(
      `line ${line}: json.dumps's ensure_ascii and sort_keys are True or False`,
    );
  }
  const orders = new WeakMap<object, string[]>();
  const plain = toPlain(value, orders, line);
  return pythonDumps(plain, {
    ensureAscii,
    ...(indent === null ? {} : { indent: Math.max(0, indent) }),
    keyOrder: (object) => {
      const keys = orders.get(object);
      return sortKeys && keys ? [...keys].sort(compareCodePoints) : keys;
    },
  });
}

function compareCodePoints(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

function toPlain(value: PyValue, orders: WeakMap<object, string[]>, line: number): unknown {
  if (value instanceof PyTemplate) {
    throw new PythonValueError(`line ${line}: json.dumps of a value that holds a variable`);
  }
  if (Array.isArray(value)) return value.map((item) => toPlain(item, orders, line));
  if (value instanceof PyDict) {
    const object: Record<string, unknown> = {};
    for (const [key, item] of value.entries) object[key] = toPlain(item, orders, line);
    orders.set(object, [...value.entries.keys()]);
    return object;
  }
  return value;
}
