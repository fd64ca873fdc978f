/**
 * The `proactive convert` command: its help text, its flags and `run`, which `main.ts`
 * loads for `proactive convert`. `parseConvertOptions` is the pure parser into
 * `ConvertOptions` (`RESULT_DIR` or `--in`, `--out-dir`, `--seed`, `--test-per-category`,
 * `--rules`, `--split-by`, `--adjudicated`, `--exclude-annotators`, `--allow-empty`, `--json`, `--wait`); `run` calls
 * `convertResults` (`convert.ts`), prints the summary (`formatSummary`, or `summaryJson`
 * with `--json`, `convert_summary.ts`) and exits 1 when nothing was written.
 *
 * @module
 */
import type { Command } from "../cli/command.ts";
import { usageError } from "../cli/errors.ts";
import { type FlagDecls, flagTable, parseCommandLine } from "../cli/flags.ts";
import { busyPolicyOf, WAIT_FLAG } from "../store/output_lock.ts";
import { type ConvertOptions, convertResults, TEST_FILE, TRAIN_FILE } from "./convert.ts";
import { formatSummary, summaryJson } from "./convert_summary.ts";
import { SPLIT_BY, type SplitBy } from "./split_groups.ts";
import { ADJUDICATED, type Adjudicated } from "./read_notes.ts";
import { RULES, type Rules } from "./vote_rules.ts";

export const DEFAULTS = {
  inDir: "result",
  outDir: "reward_data",
  seed: 42n,
  testPerCategory: 30,
  rules: "reference" as Rules,
  splitBy: "item" as SplitBy,
  adjudicated: "prefer" as Adjudicated,
};

/** The flags of `proactive convert`, each declared once (see `cli/flags.ts`). */
export const FLAGS = {
  in: {
    kind: "string",
    value: "DIR",
    help: `Result folder, instead of RESULT_DIR (default: ${DEFAULTS.inDir})`,
  },
  "out-dir": {
    kind: "string",
    value: "DIR",
    default: DEFAULTS.outDir,
    help: ["Where the two .jsonl files go; created if missing", `(default: ${DEFAULTS.outDir})`],
  },
  seed: {
    kind: "bigint",
    value: "N",
    default: DEFAULTS.seed,
    help: [
      "Seed of the Python-compatible shuffle used for the split",
      `(default: ${DEFAULTS.seed})`,
    ],
  },
  "test-per-category": {
    kind: "integer",
    value: "N",
    default: DEFAULTS.testPerCategory,
    min: 0,
    max: 1_000_000_000,
    help: `Test items taken per category (default: ${DEFAULTS.testPerCategory})`,
  },
  rules: {
    kind: "choice",
    value: "reference|majority",
    choices: RULES,
    default: DEFAULTS.rules,
    help: [
      "reference: identical, line for line, to the reference",
      "ProactiveAgent script (unanimity decides help_needed; a turn",
      "where everyone rejects everything gives no item; >= 2 votes",
      "make a task valid, and >= 2 others invalid).",
      "majority: strict majorities instead; a unanimous rejection",
      "gives a Correct-Rejection item; ties give no item.",
      `(default: ${DEFAULTS.rules})`,
    ],
  },
  "split-by": {
    kind: "choice",
    value: "item|turn|trace",
    choices: SPLIT_BY,
    default: DEFAULTS.splitBy,
    help: [
      "What stays together on one side of the train/test split.",
      "item: nothing; the reference split, item by item (one",
      "situation can be in both sets, with different tasks).",
      "turn: all items of one labelled turn (one result file,",
      "one entry).",
      "trace: all items of one result file (one trace).",
      "turn/trace: the groups are shuffled once (--seed); for MN,",
      "CR, CD, FA in turn, groups holding a test-worthy item of",
      "the category (exactly 3 annotations all equal to valid;",
      "then exactly 2 equal) are taken whole while every category",
      "stays within --test-per-category. A taken group's",
      "test-worthy items form the test set; its other items are",
      "held out (in neither file); the other groups are the",
      `training set. (default: ${DEFAULTS.splitBy})`,
    ],
  },
  adjudicated: {
    kind: "choice",
    value: "prefer|ignore",
    choices: ADJUDICATED,
    default: DEFAULTS.adjudicated,
    help: [
      "The final labels admins set on the review page of",
      "proactive serve (in RESULT_DIR/notes/).",
      "prefer: a decided turn votes as if each of its annotators",
      "(at least 2) had given the final label.",
      "ignore: the labels' vote decides, as without decisions.",
      `(default: ${DEFAULTS.adjudicated})`,
    ],
  },
  "exclude-annotators": {
    kind: "list",
    value: "ID,...",
    item: "annotator id",
    help: [
      "Annotator ids (the keys of real_user, as /status lists",
      "them) whose labels are dropped before the vote",
    ],
  },
  "allow-empty": { kind: "boolean", help: "Write empty files (exit 0) when no item comes out" },
  json: { kind: "boolean", help: "Print the summary as JSON (every figure a number)" },
  ...WAIT_FLAG,
} as const satisfies FlagDecls;

const HELP = `proactive convert — majority-vote annotation results into reward-model data

Usage: proactive convert [RESULT_DIR] [options]

Reads every *.json result file directly in RESULT_DIR (no subfolders, no hidden files),
in name order, and writes ${TRAIN_FILE} and ${TEST_FILE}: one line per item
{obs, pred_task, valid, help_needed, annotation, category}. A result file holds the turns
an annotator saw ({observation, candidate_task}, with real_user once labelled) and, once
an annotator finished the trace, its remaining raw turns ({observation, agent_response,
task_status}); every entry counts as a turn, and only entries with real_user need
candidate_task. Prints a summary: items per category (train, test, held out, total),
labelled turns (and how many had fewer than 2 annotators or no majority), help needed
and human agreement with their denominators, why a category has fewer test items than
asked, files read and the output paths.

A run that gives no item writes nothing, leaves existing output files as they are, says
why, and exits 1 (--allow-empty writes empty files and exits 0).

Options:
${flagTable(FLAGS, { column: 27 })}

A result folder written by proactive serve may hold notes/<trace>.json beside the
results: skipped questions (no vote; the summary counts them), comments, and the final
labels an admin set where annotators disagreed (--adjudicated). The reference's result
folders have none and convert as before.

Help-mode labels ("need" / "no need") give one null item per turn with at least 2
annotators and a strict majority, under both rules. Bad input (not JSON, wrong shape)
names the file and the JSON path, and nothing is written.

Examples:
  proactive convert result --out-dir reward_data --seed 42 --test-per-category 30
  proactive convert result --split-by trace --out-dir reward_data_by_trace
  proactive convert result --adjudicated ignore --exclude-annotators 3f2a...,9c41...
`;

/** Parses the command line of `proactive convert` (pure; usage errors throw). */
export function parseConvertOptions(args: string[]): ConvertOptions {
  const { flags, positionals } = parseCommandLine(args, FLAGS, { positionals: 1 });
  if (flags.in !== undefined && positionals.length > 0 && flags.in !== positionals[0]) {
    throw usageError(
      `Give the result folder once: "${positionals[0]}" and --in "${flags.in}" disagree`,
    );
  }
  const inDir = flags.in ?? positionals[0] ?? DEFAULTS.inDir;
  if (inDir === "") throw usageError("The result folder must not be empty");
  return {
    inDir,
    outDir: flags.outDir,
    seed: flags.seed,
    testPerCategory: flags.testPerCategory,
    rules: flags.rules,
    splitBy: flags.splitBy,
    adjudicated: flags.adjudicated,
    excludeAnnotators: flags.excludeAnnotators ?? [],
    allowEmpty: flags.allowEmpty,
    json: flags.json,
    onBusy: busyPolicyOf(flags),
  };
}

export const command: Command = {
  name: "convert",
  summary: "Majority-vote annotation results into reward-model train/test JSONL",
  help: HELP,
  flags: FLAGS,
  async run(args, ctx) {
    const options = parseConvertOptions(args);
    const summary = await convertResults(options, { logger: ctx.logger, signal: ctx.signal });
    ctx.stdout(options.json ? summaryJson(summary) : formatSummary(summary));
    if (summary.written) return 0;
    ctx.logger.error(`${summary.notes[0] ?? "No items"} Nothing was written.`);
    return 1;
  },
};
