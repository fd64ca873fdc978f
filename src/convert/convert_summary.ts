import { CATEGORIES, type Category, categoryCode } from "../formats/reward_category.ts";
import type { Rules } from "./vote_rules.ts";

/** What `proactive convert` reports (printed as text, or as JSON with `--json`). */
export interface ConvertSummary {
  rules: Rules;
  seed: string;
  inDir: string;
  filesRead: number;
  /** All entries of all files (the reference's `total_turns`). */
  entries: number;
  /** Entries that carry `real_user`. */
  labelledTurns: number;
  /** Turns where help was needed (reference: the `help_needed` null items). */
  helpTurns: number;
  /** helpTurns / entries, or null without entries. */
  helpFraction: number | null;
  /** Over task items, the fraction of annotator votes equal to the item's `valid`. */
  humanAgreement: number | null;
  agreeVotes: number;
  taskVotes: number;
  testPerCategory: number;
  categories: Record<Category, { train: number; test: number; total: number }>;
  train: { path: string; items: number };
  test: { path: string; items: number };
}

function percent(value: number | null): string {
  return value === null ? "n/a" : `${(value * 100).toFixed(2)}%`;
}

/** The human-readable summary. */
export function formatSummary(summary: ConvertSummary): string {
  const rows = CATEGORIES.map((category) => {
    const { train, test, total } = summary.categories[category];
    const short = test < summary.testPerCategory ? `  (fewer than ${summary.testPerCategory})` : "";
    return `  ${category.padEnd(24)} ${String(train).padStart(7)} ${String(test).padStart(6)} ${
      String(total).padStart(7)
    }${short}`;
  });
  const totalTrain = summary.train.items;
  const totalTest = summary.test.items;
  const codes = CATEGORIES.map(categoryCode).join("/");
  return [
    `Converted ${summary.filesRead} result file(s) from "${summary.inDir}" ` +
    `(rules: ${summary.rules}, seed: ${summary.seed})`,
    "",
    `  ${"category".padEnd(24)} ${"train".padStart(7)} ${"test".padStart(6)} ${
      "total".padStart(7)
    }`,
    ...rows,
    `  ${"all".padEnd(24)} ${String(totalTrain).padStart(7)} ${String(totalTest).padStart(6)} ${
      String(totalTrain + totalTest).padStart(7)
    }`,
    "",
    `Labelled turns:       ${summary.labelledTurns} of ${summary.entries} entries`,
    `Help needed:          ${percent(summary.helpFraction)} of turns ` +
    `(${summary.helpTurns} of ${summary.entries})`,
    `Human agreement:      ${percent(summary.humanAgreement)} ` +
    `(${summary.agreeVotes} of ${summary.taskVotes} votes on task items)`,
    `Test items (${codes}): up to ${summary.testPerCategory} per category`,
    `Wrote ${summary.train.path} (${totalTrain} items) and ${summary.test.path} (${totalTest} items)`,
    "",
  ].join("\n");
}
