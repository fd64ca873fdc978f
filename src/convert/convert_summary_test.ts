import { assertStringIncludes } from "../../tests/assert.ts";
import { type ConvertSummary, formatSummary } from "./convert_summary.ts";

const SUMMARY: ConvertSummary = {
  rules: "reference",
  seed: "42",
  inDir: "result",
  filesRead: 12,
  entries: 233,
  labelledTurns: 120,
  helpTurns: 40,
  helpFraction: 40 / 233,
  humanAgreement: 0.75,
  agreeVotes: 3,
  taskVotes: 4,
  testPerCategory: 30,
  categories: {
    "Missed-Need (MN)": { train: 10, test: 30, total: 40 },
    "Correct-Rejection (CR)": { train: 0, test: 12, total: 12 },
    "Correct-Detection (CD)": { train: 100, test: 30, total: 130 },
    "False-Alarm (FA)": { train: 200, test: 30, total: 230 },
  },
  train: { path: "reward_data/train_data.jsonl", items: 310 },
  test: { path: "reward_data/test_data.jsonl", items: 102 },
};

Deno.test("formatSummary shows every figure the issue asks for", () => {
  const text = formatSummary(SUMMARY);
  for (
    const part of [
      'Converted 12 result file(s) from "result" (rules: reference, seed: 42)',
      "Missed-Need (MN)              10     30      40",
      "Correct-Rejection (CR)         0     12      12  (fewer than 30)",
      "all                          310    102     412",
      "Labelled turns:       120 of 233 entries",
      "Help needed:          17.17% of turns (40 of 233)",
      "Human agreement:      75.00% (3 of 4 votes on task items)",
      "reward_data/train_data.jsonl (310 items)",
      "reward_data/test_data.jsonl (102 items)",
    ]
  ) {
    assertStringIncludes(text, part);
  }
});

Deno.test("formatSummary says n/a when there is nothing to divide", () => {
  const text = formatSummary({ ...SUMMARY, humanAgreement: null, helpFraction: null });
  assertStringIncludes(text, "Human agreement:      n/a");
  assertStringIncludes(text, "Help needed:          n/a");
});
