/**
 * A Python source file read as text, for `prompts import`: the values of its module-level
 * constants (`NAME = …`, the last assignment as Python leaves it), of assignments inside a
 * function (`init_inst = …`, `step_obj["Instructions"] = …`) and of a key in a dict literal
 * inside a function (`{…, "Instruction": "…"}`), each evaluated by `python_value.ts`.
 * Nothing is run.
 *
 * @module
 */
import { decodeStringToken, PythonValueError } from "./python_string.ts";
import { type LogicalLine, pythonLogicalLines, type PythonToken } from "./python_tokens.ts";
import { evaluatePython, PyDict, type PyValue } from "./python_value.ts";

/** Where a value is assigned: a name, or one key of a dict held by a name. */
export interface AssignmentTarget {
  name: string;
  key?: string;
}

/** The answer of a lookup: the value, or why there is none. */
export type Lookup = { value: PyValue } | { missing: string };

export class PythonModule {
  readonly #lines: LogicalLine[];
  readonly #constants = new Map<string, PyValue | typeof EVALUATING>();

  constructor(source: string) {
    this.#lines = pythonLogicalLines(source.replace(/\r\n?/g, "\n"));
  }

  /** The module-level constant `name`, or its subscript `name[key]`. */
  constant(target: AssignmentTarget): Lookup {
    const lines = this.#lines.filter((line) => line.indent === 1);
    const direct = this.#assigned(lines, { name: target.name }, "at module level");
    if (target.key === undefined || "missing" in direct) {
      return target.key === undefined ? direct : this.#assigned(lines, target, "at module level");
    }
    return keyOf(direct.value, target);
  }

  /** What `target` is assigned inside the function `fn` (`def` or `async def`, any depth). */
  local(fn: string, target: AssignmentTarget): Lookup {
    const body = this.#body(fn);
    if (!body) return { missing: `there is no function ${fn}` };
    return this.#assigned(body, target, `in ${fn}()`);
  }

  /** The value of `key` in the first dict literal inside the function `fn` that has it. */
  dictValue(fn: string, key: string): Lookup {
    const body = this.#body(fn);
    if (!body) return { missing: `there is no function ${fn}` };
    for (const line of body) {
      const { tokens } = line;
      for (let i = 0; i + 2 < tokens.length; i++) {
        const [k, colon] = [tokens[i], tokens[i + 1]];
        if (k.kind !== "string" || colon.text !== ":" || !isKeyPosition(tokens, i)) continue;
        if (textOf(k) !== key) continue;
        return this.#evaluate(tokens.slice(i + 2, expressionEnd(tokens, i + 2)));
      }
    }
    return { missing: `no dict in ${fn}() has the key ${JSON.stringify(key)}` };
  }

  #body(fn: string): LogicalLine[] | undefined {
    const start = this.#lines.findIndex(({ tokens }) => {
      const at = tokens[0]?.text === "async" ? 1 : 0;
      return tokens[at]?.text === "def" && tokens[at + 1]?.text === fn;
    });
    if (start < 0) return undefined;
    const indent = this.#lines[start].indent;
    const body: LogicalLine[] = [];
    for (const line of this.#lines.slice(start + 1)) {
      if (line.indent <= indent) break;
      body.push(line);
    }
    return body;
  }

  #assigned(lines: LogicalLine[], target: AssignmentTarget, where: string): Lookup {
    const matches = lines.filter((line) => matchesTarget(line.tokens, target));
    const last = matches.at(-1);
    const label = target.key === undefined
      ? target.name
      : `${target.name}[${JSON.stringify(target.key)}]`;
    if (!last) return { missing: `nothing is assigned to ${label} ${where}` };
    const equals = last.tokens.findIndex((token) => token.kind === "op" && token.text === "=");
    return this.#evaluate(last.tokens.slice(equals + 1));
  }

  #evaluate(tokens: PythonToken[]): Lookup {
    try {
      return { value: evaluatePython(tokens, (name) => this.#resolve(name)) };
    } catch (error) {
      if (error instanceof PythonValueError) return { missing: error.message };
      throw error;
    }
  }

  /** A module constant used by name inside another value (evaluated once, no cycles). */
  #resolve(name: string): PyValue | undefined {
    const known = this.#constants.get(name);
    if (known === EVALUATING) throw new PythonValueError(`${name} is defined by itself`);
    if (known !== undefined) return known;
    if (!this.#lines.some((line) => line.indent === 1 && matchesTarget(line.tokens, { name }))) {
      return undefined;
    }
    this.#constants.set(name, EVALUATING);
    const found = this.constant({ name });
    this.#constants.delete(name);
    if ("missing" in found) throw new PythonValueError(`${name}: ${found.missing}`);
    this.#constants.set(name, found.value);
    return found.value;
  }
}

const EVALUATING = Symbol("evaluating");

function keyOf(value: PyValue, target: AssignmentTarget): Lookup {
  if (!(value instanceof PyDict)) return { missing: `${target.name} is not a dict` };
  const item = value.entries.get(target.key!);
  return item === undefined
    ? { missing: `${target.name} has no key ${JSON.stringify(target.key)}` }
    : { value: item };
}

/** Whether the line is `target = …` (or `target: T = …`). */
function matchesTarget(tokens: readonly PythonToken[], target: AssignmentTarget): boolean {
  if (tokens[0]?.kind !== "name" || tokens[0].text !== target.name) return false;
  if (target.key === undefined) {
    if (tokens[1]?.text === "=") return true;
    return tokens[1]?.text === ":" && tokens.some((t, i) => i > 1 && t.text === "=");
  }
  const key = tokens[2];
  return tokens[1]?.text === "[" && key?.kind === "string" && textOf(key) === target.key &&
    tokens[3]?.text === "]" && tokens[4]?.text === "=";
}

/** The text of a plain string token, or undefined for an f-string or an unreadable one. */
function textOf(token: PythonToken): string | undefined {
  if (token.kind !== "string") return undefined;
  try {
    const parts = decodeStringToken(token);
    return parts.every((p) => typeof p === "string") ? parts.join("") : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the token at `i` follows `{` or `,` inside braces: a dict key, not a slice. */
function isKeyPosition(tokens: readonly PythonToken[], i: number): boolean {
  const before = tokens[i - 1];
  if (!before || (before.text !== "{" && before.text !== ",")) return false;
  let depth = 0;
  for (let j = i - 1; j >= 0; j--) {
    const text = tokens[j].kind === "op" ? tokens[j].text : "";
    if (text === ")" || text === "]" || text === "}") depth++;
    if (text === "(" || text === "[" || text === "{") {
      if (depth === 0) return text === "{";
      depth--;
    }
  }
  return false;
}

/** The end (exclusive) of the dict value starting at `start`: the `,` or `}` closing it. */
function expressionEnd(tokens: readonly PythonToken[], start: number): number {
  let depth = 0;
  for (let i = start; i < tokens.length; i++) {
    const text = tokens[i].kind === "op" ? tokens[i].text : "";
    if (text === "(" || text === "[" || text === "{") depth++;
    if (text === ")" || text === "]" || text === "}") {
      if (depth === 0) return i;
      depth--;
    }
    if (text === "," && depth === 0) return i;
  }
  return tokens.length;
}
