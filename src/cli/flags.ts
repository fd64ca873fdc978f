/**
 * Flags declared once. A command lists its flags as one `FlagDecls` object — each flag's
 * kind, bounds, default, environment variable and help lines — and gets from it:
 * - its typed values (`parseCommandLine`, or `readFlags` over values already parsed), with
 *   camelCase keys: `--out-dir DIR` with a default is `flags.outDir: string`;
 * - the flag table of its `--help` (`flagTable`);
 * - the did-you-mean list for a mistyped flag and the strict parsing of `parse_flags.ts`.
 *
 * The kinds cover what the commands take: text (`string`), switches (`boolean`), whole
 * numbers within bounds (`integer`), decimals (`number`), a seed of any size (`bigint`),
 * durations such as `90s` or `2h` in milliseconds (`duration`), one of a few words
 * (`choice`) and lists (`list`: comma-separated, or the flag repeated with `repeat`).
 * A flag without a default is `undefined` when it is not given; a `string` or `list` flag
 * refuses an empty value unless it `allowEmpty`. Errors are usage errors (exit 2) naming
 * the flag: `--seed must be a whole number, got "4.2"`.
 *
 * @example
 * ```ts
 * const FLAGS = {
 *   "out-dir": { kind: "string", value: "DIR", default: "out", help: "Where files go" },
 *   seed: { kind: "bigint", value: "N", default: 42n, help: "Seed (default 42)" },
 * } as const satisfies FlagDecls;
 * const { flags } = parseCommandLine(["--seed", "7"], FLAGS);
 * flags.seed; // 7n
 * ```
 *
 * @module
 */
import { durationFlag } from "./duration_flag.ts";
import { usageError } from "./errors.ts";
import {
  type FlagSpec,
  integerFlag,
  numberFlag,
  type ParsedFlags,
  parseFlags,
} from "./parse_flags.ts";

interface FlagBase {
  /** The placeholder of the value in the help table: `DIR`, `N`, `DURATION`. */
  value?: string;
  /** Help lines: the first beside the flag, the others below it. */
  help: string | readonly string[];
  /** The environment variable read when the flag is not given (empty counts as unset). */
  env?: string;
  /** Left out of the flag table (documented in the help's prose, or by another line). */
  hidden?: boolean;
  /** The table's left column instead of `--name VALUE` (e.g. `--cert FILE --key FILE`). */
  label?: string;
}

export interface StringFlagDecl extends FlagBase {
  kind: "string";
  default?: string;
  /** Accept `--flag ""` (default: refused with "must not be empty"). */
  allowEmpty?: boolean;
  /** The flag must be given; the text says what it is: `--logs DIR is required (…)`. */
  required?: string;
}
export interface BooleanFlagDecl extends FlagBase {
  kind: "boolean";
}
export interface IntegerFlagDecl extends FlagBase {
  kind: "integer";
  default?: number;
  /** Bounds, inclusive (defaults: the safe integers). */
  min?: number;
  max?: number;
}
export interface NumberFlagDecl extends FlagBase {
  kind: "number";
  default?: number;
  min?: number;
  max?: number;
}
export interface BigIntFlagDecl extends FlagBase {
  kind: "bigint";
  default?: bigint;
}
export interface DurationFlagDecl extends FlagBase {
  kind: "duration";
  /** In milliseconds. */
  default?: number;
  /** The shortest duration accepted, in milliseconds (default 0). */
  min?: number;
}
export interface ChoiceFlagDecl extends FlagBase {
  kind: "choice";
  choices: readonly string[];
  default?: string;
}
export interface ListFlagDecl extends FlagBase {
  kind: "list";
  /** The flag given several times, each a value (default: one comma-separated value). */
  repeat?: boolean;
  default?: readonly string[];
  /** What one value is, for the error of an empty list (default "value"). */
  item?: string;
}

export type FlagDecl =
  | StringFlagDecl
  | BooleanFlagDecl
  | IntegerFlagDecl
  | NumberFlagDecl
  | BigIntFlagDecl
  | DurationFlagDecl
  | ChoiceFlagDecl
  | ListFlagDecl;

/** A command's flags by name (without the leading `--`). */
export type FlagDecls = Readonly<Record<string, FlagDecl>>;

/** `out-dir` → `outDir`. */
export type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

type Base<F> = F extends { kind: "boolean" } ? boolean
  : F extends { kind: "string" } ? string
  : F extends { kind: "integer" | "number" | "duration" } ? number
  : F extends { kind: "bigint" } ? bigint
  : F extends { kind: "choice"; choices: readonly (infer C)[] } ? C
  : F extends { kind: "list" } ? string[]
  : never;

/** The value of one flag: its kind's type, `undefined` when absent and without default. */
export type FlagValue<F> = F extends { kind: "boolean" } ? boolean
  : F extends { default: unknown } | { required: string } ? Base<F>
  : Base<F> | undefined;

/** The typed values of a command's flags, by camelCase name. */
export type FlagValues<D extends FlagDecls> = {
  -readonly [K in keyof D as CamelCase<K & string>]: FlagValue<D[K]>;
};

/** Where a flag's value came from. */
export type FlagSource = "flag" | "env" | "default";

export interface CommandLine<D extends FlagDecls> {
  flags: FlagValues<D>;
  positionals: string[];
  /** The values as `parseArgs` gave them, by flag name (for `parseLlmFlags`). */
  raw: ParsedFlags["values"];
  /** Where each flag's value came from. */
  sourceOf(name: keyof D & string): FlagSource;
}

/** `out-dir` → `outDir`. */
export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/** The `parseArgs` options of the declarations. */
export function flagSpec(decls: FlagDecls): FlagSpec {
  const spec: FlagSpec = {};
  for (const [name, decl] of Object.entries(decls)) {
    spec[name] = decl.kind === "boolean"
      ? { type: "boolean" }
      : { type: "string", ...(decl.kind === "list" && decl.repeat ? { multiple: true } : {}) };
  }
  return spec;
}

/**
 * Parses `args` strictly against the declarations (unknown flags, missing values and
 * stray positionals are usage errors with a did-you-mean) into typed values.
 */
export function parseCommandLine<D extends FlagDecls>(
  args: string[],
  decls: D,
  { positionals = 0, env = () => undefined }: {
    positionals?: number;
    env?: (name: string) => string | undefined;
  } = {},
): CommandLine<D> {
  const parsed = parseFlags(args, flagSpec(decls), { positionals });
  const { flags, sources } = readWithSources(decls, parsed.values, env);
  return {
    flags,
    positionals: parsed.positionals,
    raw: parsed.values,
    sourceOf: (name) => sources.get(name) ?? "default",
  };
}

/** Typed values of values `parseArgs` already gave (`raw`, by flag name). */
export function readFlags<D extends FlagDecls>(
  decls: D,
  raw: ParsedFlags["values"],
  env: (name: string) => string | undefined = () => undefined,
): FlagValues<D> {
  return readWithSources(decls, raw, env).flags;
}

function readWithSources<D extends FlagDecls>(
  decls: D,
  raw: ParsedFlags["values"],
  env: (name: string) => string | undefined,
): { flags: FlagValues<D>; sources: Map<string, FlagSource> } {
  const sources = new Map<string, FlagSource>();
  const out: Record<string, unknown> = {};
  for (const [name, decl] of Object.entries(decls)) {
    let given = raw[name];
    let source: FlagSource = given === undefined ? "default" : "flag";
    if (given === undefined && decl.env !== undefined) {
      const fromEnv = env(decl.env);
      if (fromEnv !== undefined && fromEnv !== "") [given, source] = [fromEnv, "env"];
    }
    sources.set(name, source);
    out[camelCase(name)] = flagValue(name, decl, given);
  }
  return { flags: out as FlagValues<D>, sources };
}

function flagValue(name: string, decl: FlagDecl, given: unknown): unknown {
  if (decl.kind === "boolean") return given === true;
  if (decl.kind === "list") return listValue(name, decl, given);
  if (given === undefined && decl.kind === "string" && decl.required !== undefined) {
    throw usageError(`--${name} ${decl.value ?? "VALUE"} is required (${decl.required})`);
  }
  if (given === undefined) return decl.default;
  const text = String(given);
  switch (decl.kind) {
    case "string":
      if (!decl.allowEmpty && text.trim() === "") throw usageError(`--${name} must not be empty`);
      return text;
    case "integer":
      return integerFlag(name, text, 0, { min: decl.min, max: decl.max });
    case "number":
      return numberFlag(name, text, 0, { min: decl.min, max: decl.max });
    case "bigint":
      return bigIntValue(name, text);
    case "duration":
      return durationValue(name, decl, text);
    case "choice":
      if (!decl.choices.includes(text)) {
        throw usageError(`--${name} must be one of ${decl.choices.join(", ")}, got "${text}"`);
      }
      return text;
  }
}

function bigIntValue(name: string, text: string): bigint {
  if (!/^[+-]?\d+$/.test(text.trim())) {
    throw usageError(`--${name} must be a whole number, got "${text}"`);
  }
  return BigInt(text.trim());
}

function durationValue(name: string, decl: DurationFlagDecl, text: string): number {
  const value = durationFlag(name, text, 0);
  if (decl.min !== undefined && value < decl.min) {
    throw usageError(`--${name} must be at least ${decl.min}ms, got "${text}"`);
  }
  return value;
}

function listValue(name: string, decl: ListFlagDecl, given: unknown): string[] | undefined {
  if (given === undefined) return decl.default === undefined ? undefined : [...decl.default];
  const parts = (Array.isArray(given) ? given.map(String) : String(given).split(","))
    .map((part) => part.trim())
    .filter((part) => part !== "");
  if (parts.length === 0) {
    throw usageError(`--${name} must name at least one ${decl.item ?? "value"}`);
  }
  return [...new Set(parts)];
}

/**
 * The flag table of a command's help: one row per flag that is not hidden, its help
 * starting at `column` (on the next line when the flag is too long), then `-h, --help`
 * unless `helpRow` is false.
 */
export function flagTable(
  decls: FlagDecls,
  { column, helpRow = true }: { column: number; helpRow?: boolean },
): string {
  const rows: string[] = [];
  for (const [name, decl] of Object.entries(decls)) {
    if (decl.hidden) continue;
    const label = decl.label ?? `--${name}${decl.value ? ` ${decl.value}` : ""}`;
    rows.push(...tableRow(label, decl.help, column));
  }
  if (helpRow) rows.push(...tableRow("-h, --help", "Show this help", column));
  return rows.join("\n");
}

function tableRow(label: string, help: string | readonly string[], column: number): string[] {
  const lines = typeof help === "string" ? [help] : [...help];
  const left = `  ${label}`;
  const indent = " ".repeat(column);
  if (left.length >= column) return [left, ...lines.map((line) => indent + line)];
  return [left.padEnd(column) + lines[0], ...lines.slice(1).map((line) => indent + line)];
}
