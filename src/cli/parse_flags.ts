/**
 * The parsing under `flags.ts`: strict `parseArgs` with a did-you-mean for a mistyped flag
 * (`parseFlags`), and the checks of a whole number or a decimal within bounds. Commands
 * declare their flags in `flags.ts`'s form and call `parseCommandLine`, not these.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { didYouMean } from "./did_you_mean.ts";
import { usageError } from "./errors.ts";

export type FlagSpec = NonNullable<ParseArgsConfig["options"]>;

export interface ParsedFlags {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

/**
 * Strict flag parsing shared by every command (node:util `parseArgs`): unknown flags,
 * missing values and stray positionals become usage errors (exit 2). An unknown flag is
 * answered with the closest known one ("did you mean --port?").
 */
export function parseFlags(
  args: string[],
  options: FlagSpec,
  { positionals = 0 }: { positionals?: number } = {},
): ParsedFlags {
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: positionals > 0 });
  } catch (error) {
    throw usageError(cleanParseArgsMessage(error) + unknownFlagHint(error, args, options));
  }
  if (parsed.positionals.length > positionals) {
    throw usageError(`Unexpected argument "${parsed.positionals[positionals]}"`);
  }
  return { values: parsed.values as ParsedFlags["values"], positionals: parsed.positionals };
}

/** "; did you mean --port?" for an unknown option, else "". */
function unknownFlagHint(error: unknown, args: string[], options: FlagSpec): string {
  const message = error instanceof Error ? error.message : "";
  const unknown = message.match(/Unknown option '(-{1,2})([^'=]+)/);
  if (!unknown) return "";
  const known = [...Object.keys(options), "help"];
  if (unknown[1] === "--") return didYouMean(unknown[2], known, "--");
  // `-port` is read as the short options -p -o -r -t: look at the word that was typed.
  const word = args.find((arg) => /^-[^-]/.test(arg) && arg.includes(unknown[2]));
  return word && word.length > 2 ? didYouMean(word.slice(1).split("=")[0], known, "--") : "";
}

function cleanParseArgsMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // node:util adds hints about "--" that do not apply here.
  return message.replace(/\. To specify a positional argument.*$/s, "").replace(/\s+$/, "");
}

/** An integer flag within [min, max]. */
export function integerFlag(
  name: string,
  raw: string | undefined,
  fallback: number,
  { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = {},
): number {
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw.trim())) {
    throw usageError(`--${name} must be a whole number, got "${raw}"`);
  }
  const value = Number(raw);
  if (value < min || value > max) {
    throw usageError(`--${name} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

/** A number flag (decimals allowed) within [min, max]. */
export function numberFlag(
  name: string,
  raw: string | undefined,
  fallback: number,
  { min = -Infinity, max = Infinity } = {},
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value)) {
    throw usageError(`--${name} must be a number, got "${raw}"`);
  }
  if (value < min || value > max) {
    throw usageError(`--${name} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}
