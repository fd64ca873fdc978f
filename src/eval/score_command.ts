/** `proactive eval score DIR…`: options, help and the run over score_model_folders.ts. */
import { dirname, join, resolve } from "node:path";
import type { CommandContext } from "../cli/command.ts";
import { describeError, inputError, usageError } from "../cli/errors.ts";
import { type FlagDecls, flagTable, parseCommandLine } from "../cli/flags.ts";
import { EMBEDDED_SPLITS } from "../formats/embedded_splits.ts";
import { writeFileAtomic } from "../store/atomic_write.ts";
import { busyPolicyOf, WAIT_FLAG, withOutputLocks } from "../store/output_lock.ts";
import type { BusyPolicy } from "../store/process_lock.ts";
import { readInputText } from "../store/read_input.ts";
import { formatScoreCsv, formatScoreTable, scoreResultJson } from "./score_format.ts";
import { formatScoreHtml } from "./score_html.ts";
import {
  folderName,
  NULL_STRING_RULES,
  type NullStringRule,
  scoreModelFolders,
  type ScoreResult,
} from "./score_model_folders.ts";
import { parseSplits, type Split } from "./score_splits.ts";

/** The flags of `proactive eval score`, in the help's order (see `cli/flags.ts`). */
export const SCORE_FLAGS = {
  splits: {
    kind: "string",
    value: "FILE",
    help: "splits.json (default: the embedded ProactiveBench splits)",
  },
  "allow-partial": { kind: "boolean", help: "Score incomplete splits on the files that are there" },
  "null-strings": {
    kind: "choice",
    value: "RULE",
    choices: NULL_STRING_RULES,
    default: "null",
    help: [
      `How the proposals "null", "None" and "" count: null (default, null`,
      "proposals) or task (the reference's published numbers did this)",
    ],
  },
  "out-dir": {
    kind: "string",
    value: "DIR",
    help: ["Write the CSVs into DIR as <folder name>.csv (default: beside each", "folder)"],
  },
  "no-csv": { kind: "boolean", help: "Write no CSV" },
  html: {
    kind: "string",
    value: "FILE",
    help: "Write a self-contained comparison report (bar charts, counts)",
  },
  json: { kind: "boolean", help: "Print the result as JSON instead of the table" },
  "as-reference": {
    kind: "boolean",
    help: [
      "Score exactly as the reference's calculate_agent_performance.py:",
      `"null" strings are tasks, a leftover {candidate_task} dict counts`,
      "by its keys, judgements by Python truthiness, a split with a",
      "missing file is skipped; its CSV is the calculator's, byte for byte",
    ],
  },
  ...WAIT_FLAG,
} as const satisfies FlagDecls;

export const SCORE_HELP = `proactive eval score — ProactiveBench metrics of judged model folders

Usage: proactive eval score DIR... [options]

Each DIR is one model's folder of judged traces, <DIR>/<file>.json as 'eval judge' (or the
reference's judge script) writes them: per turn "agent_response" (a list of proposals) and
"judgement" (a list of true/false). Per split of splits.json and per folder, over judged
turns: TP = task accepted, FP = task rejected, TN = null accepted, FN = null rejected;
Recall, Precision, Accuracy, False-Alarm, F1-Score and Accept Rate as the reference
computes them (every denominator + 1e-8), Total Events = all turns of the split's files.
Failed turns (no agent_response but a failure, or agent_response: null) and unjudged
turns are excluded and counted.
A split with missing files is reported as incomplete, naming them, and not scored.

Outputs: the table on screen (rows: model x split; the model is the one the folder's
.model.json names, as eval agent writes it, else the folder's name); a CSV per folder with
the reference's columns (Category, Recall, Precision, Accuracy, False-Alarm, F1-Score,
Accept Rate, Total Events), written beside each folder as <DIR>.csv or as
<out-dir>/<folder name>.csv.

Options:
${flagTable(SCORE_FLAGS, { column: 24 })}

Examples:
  proactive eval score runs/gpt-4o runs/qwen-7b --html report.html
  proactive eval score runs/gpt-4o --null-strings task --out-dir results --json
`;

export interface EvalScoreOptions {
  dirs: string[];
  splitsFile: string | null;
  allowPartial: boolean;
  /** `--as-reference`: the reference calculator's rules. */
  asReference?: boolean;
  nullStrings: NullStringRule;
  outDir: string | null;
  csv: boolean;
  html: string | null;
  json: boolean;
  /** When another run writes the same CSV or HTML files: exit naming it, or wait. */
  onBusy?: BusyPolicy;
}

/** Parses `proactive eval score` arguments (after "score"); pure, usage errors throw. */
export function parseEvalScoreOptions(args: string[]): EvalScoreOptions {
  const { flags, positionals } = parseCommandLine(args, SCORE_FLAGS, { positionals: 10_000 });
  if (positionals.length === 0) {
    throw usageError("Name at least one model folder: proactive eval score DIR...");
  }
  const csv = !flags.noCsv;
  if (!csv && flags.outDir !== undefined) {
    throw usageError("--out-dir and --no-csv contradict each other");
  }
  return {
    dirs: positionals,
    splitsFile: flags.splits ?? null,
    allowPartial: flags.allowPartial,
    asReference: flags.asReference,
    nullStrings: flags.nullStrings,
    outDir: flags.outDir ?? null,
    csv,
    html: flags.html ?? null,
    json: flags.json,
    onBusy: busyPolicyOf(flags),
  };
}

/** The splits to score: `--splits FILE` or the embedded ProactiveBench ones. */
export async function loadSplits(file: string | null): Promise<Split[]> {
  if (file === null) return parseSplits(EMBEDDED_SPLITS, "the embedded splits.json");
  const text = await readInputText(file, { what: "splits file" });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw inputError(`Cannot parse "${file}": ${describeError(error)}`, error);
  }
  return parseSplits(value, `"${file}"`);
}

/**
 * Where a model's CSV goes: `<out-dir>/<folder name>.csv`, or `<DIR>.csv` beside the
 * folder (named after the folder, as the reference does, and as safe as the folder name).
 */
export function csvPath(dir: string, outDir: string | null): string {
  const name = folderName(dir);
  return outDir !== null ? join(outDir, `${name}.csv`) : join(dirname(resolve(dir)), `${name}.csv`);
}

/** Runs `proactive eval score` and writes its outputs; resolves to the result. */
export async function runEvalScore(
  options: EvalScoreOptions,
  ctx: Pick<CommandContext, "stdout" | "logger"> & { signal?: AbortSignal },
): Promise<ScoreResult> {
  const splits = await loadSplits(options.splitsFile);
  const result = await scoreModelFolders(options.dirs, {
    splits,
    nullStrings: options.nullStrings,
    allowPartial: options.allowPartial,
    asReference: options.asReference,
    onSkippedSplit: (split, file) =>
      ctx.logger.warn(
        `split "${split}" skipped, as the reference's calculator skips it: "${file}" is missing`,
      ),
  });
  const csvFiles: Record<string, string> = {};
  const csvs = options.csv
    ? result.models.map((model) => ({ model, path: csvPath(model.dir, options.outDir) }))
    : [];
  if (options.outDir !== null && csvs.length > 0) {
    await Deno.mkdir(options.outDir, { recursive: true });
  }
  // The files are written at the end: they are locked for that step.
  const outputs = [...csvs.map((c) => c.path), ...(options.html === null ? [] : [options.html])];
  const run = { command: "proactive eval score", onBusy: options.onBusy, ...ctx };
  await withOutputLocks(outputs.map((path) => ({ path, kind: "file" })), run, async () => {
    for (const { model, path } of csvs) {
      await writeFileAtomic(path, formatScoreCsv(model));
      csvFiles[model.model] = path;
    }
    if (options.html !== null) await writeFileAtomic(options.html, formatScoreHtml(result));
  });
  for (const model of result.models) {
    for (const split of model.splits) {
      if (!split.complete && !split.metrics && !options.asReference) {
        ctx.logger.warn(
          `${model.model}: split "${split.split}" is incomplete and not scored; missing: ${
            split.missing.join(", ")
          } (--allow-partial scores what is there)`,
        );
      }
    }
  }
  if (options.json) {
    ctx.stdout(`${JSON.stringify(scoreResultJson(result, csvFiles), null, 2)}\n`);
  } else {
    const written = [
      ...Object.values(csvFiles).map((p) => `CSV: ${p}`),
      ...(options.html !== null ? [`Report: ${options.html}`] : []),
    ];
    ctx.stdout(formatScoreTable(result) + (written.length ? written.join("\n") + "\n" : ""));
  }
  return result;
}
