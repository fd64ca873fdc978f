import { assertEquals } from "../../tests/assert.ts";
import type { Category } from "../formats/reward_item.ts";
import type { Judgement } from "../prompts/reward_prompts.ts";
import { tableCategory, tallyRewardTable } from "./reward_table.ts";
import type { EvalItemResult } from "./score_reward.ts";

function result(
  index: number,
  category: Category,
  prediction: Judgement | null,
): EvalItemResult {
  const label: Judgement = category === "Correct-Rejection (CR)" ||
      category === "Correct-Detection (CD)"
    ? "accepted"
    : "rejected";
  return {
    index,
    line: index + 1,
    category,
    label,
    prediction,
    correct: prediction === label,
    reply: prediction === null ? "??" : `{"judgement":"${prediction}"}`,
    ...(prediction === null ? { error: "the answer contains no JSON object" } : {}),
  };
}

Deno.test("tableCategory: CR is shown as NR", () => {
  assertEquals(tableCategory("Correct-Rejection (CR)"), "NR");
  assertEquals(tableCategory("Missed-Need (MN)"), "MN");
  assertEquals(tableCategory("False-Alarm (FA)"), "FA");
});

const EXAMPLE = [
  result(0, "Missed-Need (MN)", "rejected"), // TN
  result(1, "Missed-Need (MN)", "accepted"), // FP
  result(2, "Correct-Rejection (CR)", "accepted"), // TP
  result(3, "Correct-Rejection (CR)", null), // unreadable, label accepted: FN either way
  result(4, "Correct-Detection (CD)", "accepted"), // TP
  result(5, "Correct-Detection (CD)", "rejected"), // FN
  result(6, "False-Alarm (FA)", null), // unreadable, label rejected: TN (rejected) / FP (wrong)
  result(7, "False-Alarm (FA)", "rejected"), // TN
  result(8, "False-Alarm (FA)", "rejected"), // TN
];

/** Per category, unreadable answers are wrong under both rules (as in the reference). */
const CATEGORIES = {
  MN: { items: 2, correct: 1, accuracy: 0.5 },
  NR: { items: 2, correct: 1, accuracy: 0.5 },
  CD: { items: 2, correct: 1, accuracy: 0.5 },
  FA: { items: 3, correct: 2, accuracy: 2 / 3 },
};

Deno.test("tallyRewardTable: unreadable counts as rejected by default (the reference's rule)", () => {
  const table = tallyRewardTable(EXAMPLE);
  assertEquals(table.unreadableRule, "rejected");
  assertEquals(table.items, 9);
  assertEquals(table.correct, 5);
  assertEquals(table.categories, CATEGORIES);
  assertEquals(table.confusion, { tp: 2, fp: 1, fn: 2, tn: 4 });
  assertEquals(table.accuracy, 6 / 9); // (TP + TN) / items
  assertEquals(table.precision, 2 / 3); // 2 / (2 + 1)
  assertEquals(table.recall, 0.5); // 2 / (2 + 2)
  assertEquals(table.f1, 4 / 7); // 4 / (4 + 1 + 2)
  assertEquals(table.unparseable.map((u) => [u.index, u.line, u.reply]), [
    [3, 4, "??"],
    [6, 7, "??"],
  ]);
});

Deno.test("tallyRewardTable: --unreadable wrong counts them wrong everywhere", () => {
  const table = tallyRewardTable(EXAMPLE, "wrong");
  assertEquals(table.unreadableRule, "wrong");
  assertEquals(table.correct, 5);
  assertEquals(table.categories, CATEGORIES);
  assertEquals(table.confusion, { tp: 2, fp: 2, fn: 2, tn: 3 });
  assertEquals(table.accuracy, 5 / 9);
  assertEquals(table.precision, 0.5);
  assertEquals(table.recall, 0.5);
  assertEquals(table.f1, 0.5);
  assertEquals(table.unparseable.length, 2);
});

Deno.test("tallyRewardTable: undefined ratios are null, not NaN", () => {
  const table = tallyRewardTable([result(0, "Missed-Need (MN)", "rejected")]);
  assertEquals(table.precision, null);
  assertEquals(table.recall, null);
  assertEquals(table.f1, null);
  assertEquals(table.accuracy, 1);
  assertEquals(table.categories.CD, { items: 0, correct: 0, accuracy: null });
});
