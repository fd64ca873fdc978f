/**
 * The `proactive convert` pipeline, `convertResults` (called by `command.ts`): a folder of
 * result files in (written by `proactive serve` or the reference), the reward model's
 * `train_data.jsonl` and `test_data.jsonl` out.
 *
 * 1. `listResultFiles` (`read_results.ts`): the folder's `*.json` files in Python's sorted
 *    order;
 * 2. `readNotesFolder` (`read_notes.ts`): the notes side files `proactive serve` writes
 *    beside the results (skips, admins' decisions), if any;
 * 3. `voteFiles` (`vote_files.ts`): each file read, validated, its notes applied
 *    (`--exclude-annotators`, `--adjudicated`) and voted (`vote_rules.ts`)
 *    into items already encoded as JSONL (`reward_lines.ts`), with its figures; here each
 *    item also gets its split group (itself, its turn or its file, by `--split-by`);
 * 4. the split, with one `PythonRandom` seeded by `--seed`: item by item as the reference
 *    does (`splitDataset`, `split_dataset.ts`), or keeping each turn or trace on one side
 *    (`splitGroups`, `split_groups.ts`);
 * 5. both files written together (`writeFilesAtomic` over `encodeRewardLines`) under the
 *    output locks (`withOutputLocks`): both are replaced or neither;
 * 6. the `ConvertSummary` (`convert_summary.ts`).
 *
 * Every file is validated before anything is written. A run that gives no item writes
 * nothing unless `allowEmpty`; an interrupt (the abort signal) before the write leaves the
 * outputs as they were.
 *
 * @module
 */
import { join } from "node:path";
import { NOTES_FOLDER } from "../formats/notes_file.ts";
import { describeError, inputError, interruptedError, runtimeError } from "../cli/errors.ts";
import { withOutputLocks } from "../store/output_lock.ts";
import type { BusyPolicy } from "../store/process_lock.ts";
import type { Logger } from "../cli/logger.ts";
import { CATEGORIES, type Category } from "../formats/reward_category.ts";
import { PythonRandom } from "../random/python_random.ts";
import { writeFilesAtomic } from "../store/atomic_write.ts";
import { type ConvertSummary, shortfallNotes } from "./convert_summary.ts";
import {
  type Adjudicated,
  noNotesFigures,
  type NotesFigures,
  readNotesFolder,
} from "./read_notes.ts";
import { listResultFiles } from "./read_results.ts";
import { type EncodedItem, encodeRewardLines } from "./reward_lines.ts";
import { splitDataset, testGrade } from "./split_dataset.ts";
import { type SplitBy, splitGroups } from "./split_groups.ts";
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
  /** What stays together on one side of the split (see `splitGroups`). */
  splitBy: SplitBy;
  /** Admins' decisions in the notes side files: used over the vote, or left out. */
  adjudicated: Adjudicated;
  /** Annotator UUIDs whose labels are dropped before the vote. */
  excludeAnnotators: readonly string[];
  /** Write empty files when no item comes out (otherwise nothing is written). */
  allowEmpty: boolean;
  /** Print the summary as JSON (used by the command, not here). */
  json: boolean;
  /** When another run writes the same files: exit naming it, or wait (`--wait`). */
  onBusy?: BusyPolicy;
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
 * and both outputs are replaced together or not at all. When no item comes out, nothing is
 * written (`written: false`) unless `allowEmpty`.
 */
export async function convertResults(
  options: ConvertOptions,
  { logger, signal }: ConvertDeps,
): Promise<ConvertSummary> {
  const names = await listResultFiles(options.inDir, (message) => logger.warn(message));
  if (names.length === 0) {
    throw inputError(`No result files (*.json) in "${options.inDir}"`);
  }

  const paths = names.map((name) => join(options.inDir, name));
  const sideFiles = readNotesFolder(options.inDir);
  const resultNames = new Set(names);
  let notesFiles = 0;
  for (const name of sideFiles.keys()) {
    if (resultNames.has(name)) {
      notesFiles++;
      continue;
    }
    logger.warn(
      `The notes file "${join(options.inDir, NOTES_FOLDER, name)}" has no result file; ignored`,
    );
  }
  const policy = {
    adjudicated: options.adjudicated,
    exclude: new Set(options.excludeAnnotators),
  };
  const files = await voteFiles(paths, {
    rules: options.rules,
    logger,
    signal,
    notes: sideFiles,
    policy,
  });
  if (signal?.aborted) throw interruptedError("nothing was written, the outputs are as they were");
  const items: EncodedItem[] = [];
  /** The split group of each item: its file (trace) or its (file, turn). */
  const groups: number[] = [];
  let group = -1;
  const figures = {
    entries: 0,
    labelledTurns: 0,
    fewAnnotatorTurns: 0,
    noMajorityTurns: 0,
    helpTurns: 0,
    agreeVotes: 0,
    taskVotes: 0,
    taskItems: 0,
  };
  const notesFigures = noNotesFigures();
  for (const file of files) {
    for (const key of Object.keys(figures) as (keyof typeof figures)[]) {
      figures[key] += key === "entries" ? file.entryCount : file[key];
    }
    for (const key of Object.keys(notesFigures) as (keyof NotesFigures)[]) {
      notesFigures[key] += file.notes[key];
    }
    file.items.forEach((item, i) => {
      // Items come in turn order; a new group starts at every item (item), at every new
      // turn (turn) or at the file's first item (trace).
      const sameGroup = i > 0 &&
        (options.splitBy === "trace" ||
          (options.splitBy === "turn" && item.entry === file.items[i - 1].entry));
      if (!sameGroup) group++;
      items.push(item);
      groups.push(group);
    });
  }

  const rng = new PythonRandom(options.seed);
  const { train, test, testCounts, heldOut } = options.splitBy === "item"
    ? { ...splitDataset(items, rng, options.testPerCategory), heldOut: [] }
    : splitGroups(items, groups, rng, options.testPerCategory);
  const written = items.length > 0 || options.allowEmpty;

  if (signal?.aborted) throw interruptedError("nothing was written, the outputs are as they were");
  const trainPath = join(options.outDir, TRAIN_FILE);
  const testPath = join(options.outDir, TEST_FILE);
  if (written) {
    await mkdirOut(options.outDir);
    // The files are only written at the end (both together): they are locked for that
    // step, so a second convert on them waits (--wait) or exits naming this one.
    const outputs = [trainPath, testPath].map((path) => ({ path, kind: "file" as const }));
    const run = { command: "proactive convert", onBusy: options.onBusy, signal, logger };
    await withOutputLocks(outputs, run, async () => {
      try {
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
    });
  }

  const counts = () =>
    Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  const totals = counts();
  const worthy = counts();
  for (const item of items) {
    totals[item.category]++;
    if (testGrade(item) !== 0) worthy[item.category]++;
  }
  const heldOutCounts = counts();
  for (const item of heldOut) heldOutCounts[item.category]++;
  const categories = Object.fromEntries(CATEGORIES.map((c) => [c, {
    train: totals[c] - testCounts[c] - heldOutCounts[c],
    test: testCounts[c],
    heldOut: heldOutCounts[c],
    total: totals[c],
    testWorthy: worthy[c],
  }])) as ConvertSummary["categories"];

  const summary: Omit<ConvertSummary, "notes"> = {
    rules: options.rules,
    splitBy: options.splitBy,
    seed: options.seed,
    inDir: options.inDir,
    filesRead: names.length,
    notesFiles,
    adjudicated: options.adjudicated,
    excludeAnnotators: [...options.excludeAnnotators],
    ...figures,
    ...notesFigures,
    helpFraction: figures.entries > 0 ? figures.helpTurns / figures.entries : null,
    helpFractionOfLabelled: figures.labelledTurns > 0
      ? figures.helpTurns / figures.labelledTurns
      : null,
    humanAgreement: figures.taskVotes > 0 ? figures.agreeVotes / figures.taskVotes : null,
    testPerCategory: options.testPerCategory,
    categories,
    heldOut: heldOut.length,
    train: { path: trainPath, items: train.length },
    test: { path: testPath, items: test.length },
    written,
  };
  const notes = shortfallNotes(summary);
  return { ...summary, notes };
}

/** Creates the output folder (and its parents). */
async function mkdirOut(outDir: string): Promise<void> {
  try {
    await Deno.mkdir(outDir, { recursive: true });
  } catch (error) {
    throw runtimeError(
      `Cannot write the reward data into "${outDir}": ${describeError(error, outDir)}`,
      error,
    );
  }
}
