import type { Command } from "../cli/command.ts";
import { usageError } from "../cli/errors.ts";
import { integerFlag, parseFlags, stringFlag } from "../cli/parse_flags.ts";
import { type ConvertOptions, convertResults, TEST_FILE, TRAIN_FILE } from "./convert.ts";
import { formatSummary } from "./convert_summary.ts";
import { RULES, type Rules } from "./vote_rules.ts";

export const DEFAULTS = {
  inDir: "result",
  outDir: "reward_data",
  seed: 42n,
  testPerCategory: 30,
  rules: "reference" as Rules,
};

const HELP = `proactive convert — majority-vote annotation results into reward-model data

Usage: proactive convert [RESULT_DIR] [options]

Reads every *.json result file directly in RESULT_DIR (no subfolders, no hidden files),
in name order, and writes ${TRAIN_FILE} and ${TEST_FILE}: one line per item
{obs, pred_task, valid, help_needed, annotation, category}. Prints a summary: items per
category (train/test/total), human agreement, the fraction of turns where help was
needed, labelled turns, files read and the output paths.

Options:
  --in DIR                 Result folder, instead of RESULT_DIR (default: ${DEFAULTS.inDir})
  --out-dir DIR            Where the two .jsonl files go; created if missing
                           (default: ${DEFAULTS.outDir})
  --seed N                 Seed of the Python-compatible shuffle used for the split
                           (default: ${DEFAULTS.seed})
  --test-per-category N    Test items taken per category (default: ${DEFAULTS.testPerCategory})
  --rules reference|majority
                           reference: identical, line for line, to the reference
                           ProactiveAgent script (unanimity decides help_needed; a turn
                           where everyone rejects everything gives no item; >= 2 votes
                           make a task valid, and >= 2 others invalid).
                           majority: strict majorities instead; a unanimous rejection
                           gives a Correct-Rejection item; ties give no item.
                           (default: ${DEFAULTS.rules})
  --json                   Print the summary as JSON
  -h, --help               Show this help

Help-mode labels ("need" / "no need") give one null item per turn with at least 2
annotators and a strict majority, under both rules. Bad input (not JSON, wrong shape)
names the file and the JSON path, and nothing is written.

Example:
  proactive convert result --out-dir reward_data --seed 42 --test-per-category 30
`;

const FLAGS = {
  in: { type: "string" },
  "out-dir": { type: "string" },
  seed: { type: "string" },
  "test-per-category": { type: "string" },
  rules: { type: "string" },
  json: { type: "boolean" },
} as const;

/** Parses the command line of `proactive convert` (pure; usage errors throw). */
export function parseConvertOptions(args: string[]): ConvertOptions {
  const { values, positionals } = parseFlags(args, FLAGS, { positionals: 1 });
  const flagIn = stringFlag(values, "in");
  if (flagIn !== undefined && positionals.length > 0 && flagIn !== positionals[0]) {
    throw usageError(
      `Give the result folder once: "${positionals[0]}" and --in "${flagIn}" disagree`,
    );
  }
  const inDir = flagIn ?? positionals[0] ?? DEFAULTS.inDir;
  const outDir = stringFlag(values, "out-dir", DEFAULTS.outDir)!;
  if (inDir === "") throw usageError("The result folder must not be empty");
  if (outDir === "") throw usageError("--out-dir must not be empty");

  const rawSeed = stringFlag(values, "seed");
  let seed = DEFAULTS.seed;
  if (rawSeed !== undefined) {
    if (!/^[+-]?\d+$/.test(rawSeed.trim())) {
      throw usageError(`--seed must be a whole number, got "${rawSeed}"`);
    }
    seed = BigInt(rawSeed.trim());
  }
  const testPerCategory = integerFlag(
    "test-per-category",
    stringFlag(values, "test-per-category"),
    DEFAULTS.testPerCategory,
    { min: 0, max: 1_000_000_000 },
  );
  const rules = stringFlag(values, "rules", DEFAULTS.rules)!;
  if (!(RULES as readonly string[]).includes(rules)) {
    throw usageError(`--rules must be one of ${RULES.join(", ")}, got "${rules}"`);
  }
  return {
    inDir,
    outDir,
    seed,
    testPerCategory,
    rules: rules as Rules,
    json: values.json === true,
  };
}

export const command: Command = {
  name: "convert",
  summary: "Majority-vote annotation results into reward-model train/test JSONL",
  help: HELP,
  async run(args, ctx) {
    const options = parseConvertOptions(args);
    const summary = await convertResults(options, { logger: ctx.logger, signal: ctx.signal });
    ctx.stdout(options.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    return 0;
  },
};
