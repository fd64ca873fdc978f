/**
 * What `proactive convert` reports: the `ConvertSummary` that `convertResults`
 * (`convert.ts`) fills in (items per category and set, labelled turns and why some gave no
 * item, help needed, raw human agreement, the output paths) and its two renderings for
 * `command.ts`: `formatSummary` (text) and `summaryJson` (`--json`: every figure a number,
 * the seed too, however large). `shortfallNotes` says in words why there are no items, or
 * fewer test items in a category than asked.
 *
 * @module
 */
import { CATEGORIES, type Category, categoryCode } from "../formats/reward_category.ts";
import type { Adjudicated } from "./read_notes.ts";
import type { SplitBy } from "./split_groups.ts";
import type { Rules } from "./vote_rules.ts";

/** What `proactive convert` reports (printed as text, or as JSON with `--json`). */
export interface ConvertSummary {
  rules: Rules;
  splitBy: SplitBy;
  seed: bigint;
  inDir: string;
  filesRead: number;
  /** Result files with a notes side file (`notes/<trace>.json`, `read_notes.ts`). */
  notesFiles: number;
  /** `--adjudicated` and `--exclude-annotators`. */
  adjudicated: Adjudicated;
  excludeAnnotators: string[];
  /** Skipped answers (no vote) and the turns with at least one (from the side files). */
  skippedAnswers: number;
  skippedTurns: number;
  /** Decided turns whose final label the vote used, and decisions left out. */
  adjudicatedTurns: number;
  adjudicatedIgnored: number;
  /** Labels of excluded annotators dropped before the vote. */
  excludedLabels: number;
  /** All entries of all files (the reference's `total_turns`), raw trace turns included. */
  entries: number;
  /** Entries that carry `real_user`. */
  labelledTurns: number;
  /** Labelled turns with fewer than 2 annotators (they give no item). */
  fewAnnotatorTurns: number;
  /** Labelled turns with at least 2 annotators that give no item (no majority). */
  noMajorityTurns: number;
  /** Turns where help was needed (reference: the `help_needed` null items). */
  helpTurns: number;
  /** helpTurns / entries (the reference's figure), or null without entries. */
  helpFraction: number | null;
  /** helpTurns / labelledTurns, or null without labelled turns. */
  helpFractionOfLabelled: number | null;
  /** Over task items, the fraction of annotator votes equal to the item's `valid`. */
  humanAgreement: number | null;
  agreeVotes: number;
  taskVotes: number;
  taskItems: number;
  testPerCategory: number;
  /** Per category: items in each set, all items, and those a test item may be. */
  categories: Record<
    Category,
    { train: number; test: number; heldOut: number; total: number; testWorthy: number }
  >;
  /** Items of test groups (`--split-by turn|trace`) that may not be test items: in neither set. */
  heldOut: number;
  train: { path: string; items: number };
  test: { path: string; items: number };
  /** False when no item came out and the files were left as they were. */
  written: boolean;
  /** Why there are no items, or fewer test items than asked, in words. */
  notes: string[];
}

/** The test-worthiness rule, as the notes word it. */
const WORTHY = "all 3 of 3 annotators, or exactly 2, agree with its label";

/** Why no item, or fewer than `testPerCategory` test items in a category, came out. */
export function shortfallNotes(summary: Omit<ConvertSummary, "notes">): string[] {
  const notes: string[] = [];
  const total = summary.train.items + summary.test.items + summary.heldOut;
  if (total === 0) {
    notes.push(
      summary.labelledTurns === 0
        ? `No items: none of the ${summary.entries} entries carries real_user (no labelled turns).`
        : `No items: of ${summary.labelledTurns} labelled turns, ${summary.fewAnnotatorTurns} ` +
          `had fewer than 2 annotators and ${summary.noMajorityTurns} had no majority.`,
    );
    return notes;
  }
  for (const category of CATEGORIES) {
    const { test, total, testWorthy } = summary.categories[category];
    if (test >= summary.testPerCategory) continue;
    let note = `${category}: ${test} of ${summary.testPerCategory} test items; the category has ` +
      `${total} items, ${testWorthy} of them test-worthy (${WORTHY})`;
    if (testWorthy > test) {
      note += `; ${testWorthy - test} stay in train because their ${summary.splitBy} could not ` +
        `move to the test set without exceeding --test-per-category in some category`;
    }
    notes.push(`${note}.`);
  }
  if (notes.length > 0 && summary.fewAnnotatorTurns + summary.noMajorityTurns > 0) {
    notes.push(
      `Of ${summary.labelledTurns} labelled turns, ${summary.fewAnnotatorTurns} had fewer than ` +
        `2 annotators and ${summary.noMajorityTurns} had no majority (no item from either).`,
    );
  }
  return notes;
}

function percent(value: number | null): string {
  return value === null ? "n/a" : `${(value * 100).toFixed(2)}%`;
}

/** The summary as JSON: every figure a number (the seed too, however large). */
export function summaryJson(summary: ConvertSummary): string {
  const rawJson = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;
  return `${
    JSON.stringify(
      summary,
      (_key, value) => typeof value === "bigint" ? rawJson(value.toString()) : value,
      2,
    )
  }\n`;
}

/** The summary's lines on skips, decisions and excluded annotators (none without them). */
function notesLines(summary: ConvertSummary): string[] {
  const lines: string[] = [];
  if (summary.skippedAnswers > 0) {
    lines.push(
      `Skipped:              ${summary.skippedAnswers} answer(s) in ${summary.skippedTurns} ` +
        `turn(s) were skipped by their annotator and are no vote`,
    );
  }
  const decided = summary.adjudicatedTurns + summary.adjudicatedIgnored;
  if (decided > 0) {
    lines.push(
      summary.adjudicated === "prefer"
        ? `Adjudicated:          ${summary.adjudicatedTurns} turn(s) voted with the admin's ` +
          `final label${
            summary.adjudicatedIgnored > 0
              ? `; ${summary.adjudicatedIgnored} decision(s) did not fit and were ignored`
              : ""
          }`
        : `Adjudicated:          ${summary.adjudicatedIgnored} decision(s) ignored ` +
          `(--adjudicated ignore): the labels' vote decides`,
    );
  }
  if (summary.excludeAnnotators.length > 0) {
    lines.push(
      `Excluded annotators:  ${summary.excludedLabels} label(s) of ` +
        `${summary.excludeAnnotators.length} annotator(s) dropped before the vote`,
    );
  }
  return lines;
}

/** The human-readable summary. */
export function formatSummary(summary: ConvertSummary): string {
  const grouped = summary.splitBy !== "item";
  const row = (name: string, train: number, test: number, held: number, total: number) =>
    `  ${name.padEnd(24)} ${String(train).padStart(7)} ${String(test).padStart(6)} ${
      grouped ? `${String(held).padStart(8)} ` : ""
    }${String(total).padStart(7)}`;
  const rows = CATEGORIES.map((category) => {
    const { train, test, heldOut, total } = summary.categories[category];
    const short = test < summary.testPerCategory ? `  (fewer than ${summary.testPerCategory})` : "";
    return row(category, train, test, heldOut, total) + short;
  });
  const totalTrain = summary.train.items;
  const totalTest = summary.test.items;
  const codes = CATEGORIES.map(categoryCode).join("/");
  const lines = [
    `Converted ${summary.filesRead} result file(s) from "${summary.inDir}" ` +
    `(rules: ${summary.rules}, split by: ${summary.splitBy}, seed: ${summary.seed})`,
    "",
    `  ${"category".padEnd(24)} ${"train".padStart(7)} ${"test".padStart(6)} ${
      grouped ? `${"held out".padStart(8)} ` : ""
    }${"total".padStart(7)}`,
    ...rows,
    row("all", totalTrain, totalTest, summary.heldOut, totalTrain + totalTest + summary.heldOut),
    "",
    `Labelled turns:       ${summary.labelledTurns} of ${summary.entries} entries carry real_user; ` +
    `${summary.fewAnnotatorTurns} had fewer than 2 annotators, ${summary.noMajorityTurns} ` +
    `had no majority`,
    `Help needed:          ${summary.helpTurns} of ${summary.labelledTurns} labelled turns ` +
    `(${percent(summary.helpFractionOfLabelled)}); ${summary.helpTurns} of ${summary.entries} ` +
    `entries (${percent(summary.helpFraction)}, the reference's figure)`,
    `Human agreement:      ${summary.agreeVotes} of ${summary.taskVotes} annotator votes on ` +
    `${summary.taskItems} task items equal the item's label (${
      percent(summary.humanAgreement)
    }; raw agreement, not chance-corrected: for Krippendorff's alpha see /status of ` +
    `proactive serve)`,
    `Test items (${codes}): up to ${summary.testPerCategory} per category, split by ` +
    `${summary.splitBy}`,
  ];
  lines.push(...notesLines(summary));
  if (summary.heldOut > 0) {
    lines.push(
      `Held out:             ${summary.heldOut} items of test ${summary.splitBy}s that are not ` +
        `test-worthy (${WORTHY}); in neither file`,
    );
  }
  for (const note of summary.notes) lines.push(`Note: ${note}`);
  lines.push(
    summary.written
      ? `Wrote ${summary.train.path} (${totalTrain} items) and ${summary.test.path} ` +
        `(${totalTest} items)`
      : `Wrote nothing: ${summary.train.path} and ${summary.test.path} are left as they were ` +
        `(--allow-empty writes empty files)`,
    "",
  );
  return lines.join("\n");
}
