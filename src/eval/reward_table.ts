/**
 * The scores of a reward model on a test set: accuracy per category (Correct-Rejection is
 * shown as "NR", as the reference does), the confusion matrix with "accepted" as the
 * positive class, and accuracy ((TP + TN) / items), precision, recall and F1
 * (= 2TP / (2TP + FP + FN)) from it. The four cells always add up to the number of items.
 *
 * An answer with no readable judgement is, by the `UnreadableRule`:
 * - `rejected` (default, the reference's scoring, so tables compare with published
 *   ones): a rejection in the confusion matrix — a true negative when the label is
 *   "rejected", a false negative when it is "accepted" — and so in accuracy, precision,
 *   recall and F1; in the per-category accuracies (and the "All" row) it is wrong, as
 *   the reference counts it there;
 * - `wrong`: wrong everywhere — the judgement opposite to the label in the confusion
 *   matrix (a missed acceptance is a false negative, a missed rejection a false positive).
 */
import { type Category, categoryCode } from "../formats/reward_item.ts";
import type { EvalItemResult } from "./score_reward.ts";

/** Column names of the categories, in table order. */
export const TABLE_CATEGORIES = ["MN", "NR", "CD", "FA"] as const;
export type TableCategory = (typeof TABLE_CATEGORIES)[number];

export function tableCategory(category: Category): TableCategory {
  const code = categoryCode(category);
  return code === "CR" ? "NR" : code;
}

/** How an answer without a readable judgement is counted (`--unreadable`). */
export const UNREADABLE_RULES = ["rejected", "wrong"] as const;
export type UnreadableRule = (typeof UNREADABLE_RULES)[number];

export interface CategoryScore {
  items: number;
  correct: number;
  /** correct / items, or null for a category without items. */
  accuracy: number | null;
}

export interface RewardTable {
  items: number;
  correct: number;
  categories: Record<TableCategory, CategoryScore>;
  /** Accepted = positive. */
  confusion: { tp: number; fp: number; fn: number; tn: number };
  accuracy: number | null;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  /** How the unreadable answers were counted. */
  unreadableRule: UnreadableRule;
  /** Answers without a readable judgement. */
  unparseable: { index: number; line: number; error: string; reply: string }[];
}

export function tallyRewardTable(
  results: readonly EvalItemResult[],
  unreadableRule: UnreadableRule = "rejected",
): RewardTable {
  const categories = Object.fromEntries(
    TABLE_CATEGORIES.map((c) => [c, { items: 0, correct: 0, accuracy: null }]),
  ) as Record<TableCategory, CategoryScore>;
  const confusion = { tp: 0, fp: 0, fn: 0, tn: 0 };
  let correct = 0;
  for (const result of results) {
    const row = categories[tableCategory(result.category)];
    row.items++;
    if (result.correct) {
      row.correct++;
      correct++;
    }
    const positive = result.label === "accepted";
    const predictedPositive = result.prediction === null
      ? unreadableRule === "wrong" && !positive
      : result.prediction === "accepted";
    if (predictedPositive && positive) confusion.tp++;
    else if (predictedPositive) confusion.fp++;
    else if (positive) confusion.fn++;
    else confusion.tn++;
  }
  for (const row of Object.values(categories)) row.accuracy = ratio(row.correct, row.items);
  const precision = ratio(confusion.tp, confusion.tp + confusion.fp);
  const recall = ratio(confusion.tp, confusion.tp + confusion.fn);
  const f1 = ratio(2 * confusion.tp, 2 * confusion.tp + confusion.fp + confusion.fn);
  return {
    items: results.length,
    correct,
    categories,
    confusion,
    accuracy: ratio(confusion.tp + confusion.tn, results.length),
    precision,
    recall,
    f1,
    unreadableRule,
    unparseable: results.filter((r) => r.prediction === null).map((r) => ({
      index: r.index,
      line: r.line,
      error: r.error ?? "no judgement",
      reply: r.reply,
    })),
  };
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}
