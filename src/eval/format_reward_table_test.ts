import { assertEquals } from "../../tests/assert.ts";
import { formatRewardTable, percent } from "./format_reward_table.ts";
import type { RewardTable } from "./reward_table.ts";

Deno.test("percent: two decimals, n/a for undefined", () => {
  assertEquals(percent(89 / 120), "74.17%");
  assertEquals(percent(1), "100.00%");
  assertEquals(percent(null), "n/a");
});

Deno.test("formatRewardTable: categories, confusion matrix, scores, unparseable answers", () => {
  const table: RewardTable = {
    items: 4,
    correct: 2,
    categories: {
      MN: { items: 1, correct: 1, accuracy: 1 },
      NR: { items: 1, correct: 0, accuracy: 0 },
      CD: { items: 1, correct: 1, accuracy: 1 },
      FA: { items: 1, correct: 0, accuracy: 0 },
    },
    confusion: { tp: 1, fp: 1, fn: 1, tn: 1 },
    accuracy: 0.5,
    precision: 0.5,
    recall: 0.5,
    f1: 0.5,
    unreadableRule: "wrong",
    unparseable: [{ index: 3, line: 4, error: "the answer is empty", reply: "" }],
  };
  const text = formatRewardTable(table, {
    source: "t.jsonl",
    endpoint: { alias: "default", model: "judge", baseUrl: "http://127.0.0.1:9/v1" },
  });
  assertEquals(
    text,
    `Reward model judge (default, http://127.0.0.1:9/v1), temperature 0
Test set: t.jsonl (4 items)

Category  Items  Correct  Accuracy
MN            1        1   100.00%
NR            1        0     0.00%
CD            1        1   100.00%
FA            1        0     0.00%
All           4        2    50.00%

Confusion matrix (accepted = positive):
                 label accepted  label rejected
judged accepted  TP 1            FP 1
judged rejected  FN 1            TN 1

Accuracy   50.00%
Precision  50.00%
Recall     50.00%
F1         50.00%

Unreadable answers: 1 of 4
  (counted as wrong everywhere: --unreadable wrong)
  item 4 (line 4): the answer is empty; answer ""
`,
  );
});

Deno.test("formatRewardTable: the unreadable line under the default rule, and with none", () => {
  const base: RewardTable = {
    items: 2,
    correct: 1,
    categories: {
      MN: { items: 1, correct: 0, accuracy: 0 },
      NR: { items: 0, correct: 0, accuracy: null },
      CD: { items: 1, correct: 1, accuracy: 1 },
      FA: { items: 0, correct: 0, accuracy: null },
    },
    confusion: { tp: 1, fp: 0, fn: 0, tn: 1 },
    accuracy: 1,
    precision: 1,
    recall: 1,
    f1: 1,
    unreadableRule: "rejected",
    unparseable: [{ index: 0, line: 1, error: "no JSON", reply: "hmm" }],
  };
  const header = {
    source: "t.jsonl",
    endpoint: { alias: "default", model: "judge", baseUrl: "http://127.0.0.1:9/v1" },
  };
  const text = formatRewardTable(base, header);
  assertEquals(
    text.slice(text.indexOf("\nUnreadable")),
    "\nUnreadable answers: 1 of 2\n" +
      "  (counted as rejections in the confusion matrix and the scores from it, and as wrong " +
      "in the category accuracies, as the reference scores them; --unreadable wrong counts " +
      "them as wrong everywhere)\n" +
      '  item 1 (line 1): no JSON; answer "hmm"\n',
  );
  const none = formatRewardTable({ ...base, unparseable: [] }, header);
  assertEquals(none.endsWith("F1         100.00%\n\nUnreadable answers: 0 of 2\n"), true);
});
