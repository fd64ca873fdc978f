import { join } from "node:path";
import { inputError, runtimeError } from "../cli/errors.ts";
import type { Logger } from "../cli/logger.ts";
import { CATEGORIES, type Category } from "../formats/reward_category.ts";
import { PythonRandom } from "../random/python_random.ts";
import { writeFilesAtomic } from "../store/atomic_write.ts";
import type { ConvertSummary } from "./convert_summary.ts";
import { listResultFiles } from "./read_results.ts";
import { type EncodedItem, encodeRewardLines } from "./reward_lines.ts";
import { splitDataset } from "./split_dataset.ts";
import { voteFiles } from "./vote_files.ts";
import type { Rules } from "./vote_rules.ts";

export interface ConvertOptions {
  /** The result folder (`*.json` files written by `proactive serve` or the reference). */
  inDir: string;
  /** Where train_data.jsonl and test_data.jsonl go (created when missing). */
  outDir: string;
  seed: bigint;
  testPerCategory: number;
  rules: Rules;
  /** Print the summary as JSON (used by the command, not here). */
  json: boolean;
}

export interface ConvertDeps {
  logger: Logger;
  signal?: AbortSignal;
}

export const TRAIN_FILE = "train_data.jsonl";
export const TEST_FILE = "test_data.jsonl";

/**
 * Majority-votes a result folder into the reward model's train and test sets. Files are
 * read one at a time in name order; every file is validated before anything is written,
 * and both outputs are replaced together or not at all.
 */
export async function convertResults(
  options: ConvertOptions,
  { logger, signal }: ConvertDeps,
): Promise<ConvertSummary> {
  const names = await listResultFiles(options.inDir);
  if (names.length === 0) {
    throw inputError(`No result files (*.json) in "${options.inDir}"`);
  }

  const paths = names.map((name) => join(options.inDir, name));
  const files = await voteFiles(paths, { rules: options.rules, logger, signal });
  if (signal?.aborted) throw runtimeError("Interrupted; nothing was written");
  const items: EncodedItem[] = [];
  let entries = 0;
  let labelledTurns = 0;
  let helpTurns = 0;
  let agreeVotes = 0;
  let taskVotes = 0;
  for (const file of files) {
    entries += file.entryCount;
    labelledTurns += file.labelledTurns;
    helpTurns += file.helpTurns;
    agreeVotes += file.agreeVotes;
    taskVotes += file.taskVotes;
    for (const item of file.items) items.push(item);
  }

  const rng = new PythonRandom(options.seed);
  const { train, test, testCounts } = splitDataset(items, rng, options.testPerCategory);

  if (signal?.aborted) throw runtimeError("Interrupted; nothing was written");
  const trainPath = join(options.outDir, TRAIN_FILE);
  const testPath = join(options.outDir, TEST_FILE);
  try {
    await Deno.mkdir(options.outDir, { recursive: true });
    await writeFilesAtomic([
      { path: trainPath, chunks: encodeRewardLines(train) },
      { path: testPath, chunks: encodeRewardLines(test) },
    ]);
  } catch (error) {
    throw runtimeError(
      `Cannot write the reward data into "${options.outDir}": ${(error as Error).message}`,
      error,
    );
  }

  const totals = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  for (const item of items) totals[item.category]++;
  const categories = Object.fromEntries(CATEGORIES.map((c) => [c, {
    train: totals[c] - testCounts[c],
    test: testCounts[c],
    total: totals[c],
  }])) as ConvertSummary["categories"];
  for (const category of CATEGORIES) {
    if (testCounts[category] < options.testPerCategory) {
      logger.warn(
        `Only ${testCounts[category]} test items for ${category} ` +
          `(asked for ${options.testPerCategory})`,
      );
    }
  }

  return {
    rules: options.rules,
    seed: options.seed.toString(),
    inDir: options.inDir,
    filesRead: names.length,
    entries,
    labelledTurns,
    helpTurns,
    helpFraction: entries > 0 ? helpTurns / entries : null,
    humanAgreement: taskVotes > 0 ? agreeVotes / taskVotes : null,
    agreeVotes,
    taskVotes,
    testPerCategory: options.testPerCategory,
    categories,
    train: { path: trainPath, items: train.length },
    test: { path: testPath, items: test.length },
  };
}
