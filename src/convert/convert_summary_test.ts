import { assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import {
  type ConvertSummary,
  formatSummary,
  shortfallNotes,
  summaryJson,
} from "./convert_summary.ts";

const BASE: Omit<ConvertSummary, "notes"> = {
  rules: "reference",
  splitBy: "item",
  seed: 42n,
  inDir: "result",
  filesRead: 12,
  notesFiles: 0,
  adjudicated: "prefer",
  excludeAnnotators: [],
  skippedAnswers: 0,
  skippedTurns: 0,
  adjudicatedTurns: 0,
  adjudicatedIgnored: 0,
  excludedLabels: 0,
  entries: 233,
  labelledTurns: 120,
  fewAnnotatorTurns: 7,
  noMajorityTurns: 2,
  helpTurns: 40,
  helpFraction: 40 / 233,
  helpFractionOfLabelled: 40 / 120,
  humanAgreement: 0.75,
  agreeVotes: 3,
  taskVotes: 4,
  taskItems: 2,
  testPerCategory: 30,
  categories: {
    "Missed-Need (MN)": { train: 10, test: 30, heldOut: 0, total: 40, testWorthy: 35 },
    "Correct-Rejection (CR)": { train: 0, test: 12, heldOut: 0, total: 12, testWorthy: 12 },
    "Correct-Detection (CD)": { train: 100, test: 30, heldOut: 0, total: 130, testWorthy: 90 },
    "False-Alarm (FA)": { train: 200, test: 30, heldOut: 0, total: 230, testWorthy: 100 },
  },
  heldOut: 0,
  train: { path: "reward_data/train_data.jsonl", items: 310 },
  test: { path: "reward_data/test_data.jsonl", items: 102 },
  written: true,
};
const SUMMARY: ConvertSummary = { ...BASE, notes: shortfallNotes(BASE) };

Deno.test("formatSummary shows every figure, each percentage with its denominator", () => {
  const text = formatSummary(SUMMARY);
  for (
    const part of [
      'Converted 12 result file(s) from "result" (rules: reference, split by: item, seed: 42)',
      "Missed-Need (MN)              10     30      40",
      "Correct-Rejection (CR)         0     12      12  (fewer than 30)",
      "all                          310    102     412",
      "Labelled turns:       120 of 233 entries carry real_user; 7 had fewer than 2 " +
      "annotators, 2 had no majority",
      "Help needed:          40 of 120 labelled turns (33.33%); 40 of 233 entries (17.17%, " +
      "the reference's figure)",
      "Human agreement:      3 of 4 annotator votes on 2 task items equal the item's label " +
      "(75.00%; raw agreement, not chance-corrected: for Krippendorff's alpha see /status",
      "up to 30 per category, split by item",
      "Note: Correct-Rejection (CR): 12 of 30 test items; the category has 12 items, 12 of " +
      "them test-worthy (all 3 of 3 annotators, or exactly 2, agree with its label).",
      "Note: Of 120 labelled turns, 7 had fewer than 2 annotators and 2 had no majority",
      "Wrote reward_data/train_data.jsonl (310 items) and reward_data/test_data.jsonl (102 items)",
    ]
  ) {
    assertStringIncludes(text, part);
  }
  assertEquals(text.includes("Held out"), false);
});

Deno.test("formatSummary says n/a when there is nothing to divide", () => {
  const text = formatSummary({
    ...SUMMARY,
    humanAgreement: null,
    helpFraction: null,
    helpFractionOfLabelled: null,
  });
  assertStringIncludes(text, "(n/a; raw agreement");
  assertStringIncludes(text, "40 of 120 labelled turns (n/a); 40 of 233 entries (n/a,");
});

Deno.test("shortfallNotes: no items, with and without labelled turns", () => {
  const empty = {
    ...BASE,
    train: { ...BASE.train, items: 0 },
    test: { ...BASE.test, items: 0 },
    written: false,
  };
  assertEquals(
    shortfallNotes({ ...empty, labelledTurns: 9, fewAnnotatorTurns: 6, noMajorityTurns: 3 }),
    [
      "No items: of 9 labelled turns, 6 had fewer than 2 annotators and 3 had no majority.",
    ],
  );
  assertEquals(shortfallNotes({ ...empty, labelledTurns: 0 }), [
    "No items: none of the 233 entries carries real_user (no labelled turns).",
  ]);
  const text = formatSummary({ ...empty, notes: shortfallNotes(empty) });
  assertStringIncludes(
    text,
    "Wrote nothing: reward_data/train_data.jsonl and reward_data/test_data.jsonl are left as " +
      "they were (--allow-empty writes empty files)",
  );
});

Deno.test("shortfallNotes: a group split names the items it kept in train", () => {
  const byTrace = {
    ...BASE,
    splitBy: "trace" as const,
    heldOut: 4,
    categories: {
      ...BASE.categories,
      "Correct-Detection (CD)": { train: 103, test: 23, heldOut: 4, total: 130, testWorthy: 90 },
    },
  };
  const notes = shortfallNotes(byTrace);
  assertEquals(
    notes[1],
    "Correct-Detection (CD): 23 of 30 test items; the category has 130 items, 90 of them " +
      "test-worthy (all 3 of 3 annotators, or exactly 2, agree with its label); 67 stay in " +
      "train because their trace could not move to the test set without exceeding " +
      "--test-per-category in some category.",
  );
  const text = formatSummary({ ...byTrace, notes });
  assertStringIncludes(
    text,
    "Held out:             4 items of test traces that are not test-worthy",
  );
  assertStringIncludes(text, "category                   train   test held out   total");
  assertStringIncludes(text, "Correct-Detection (CD)       103     23        4     130");
});

Deno.test("summaryJson prints every figure as a number, a seed past 2^53 exactly", () => {
  const json = summaryJson({ ...SUMMARY, seed: 18446744073709551739n });
  assertStringIncludes(json, '"seed": 18446744073709551739,');
  const parsed = JSON.parse(json);
  assertEquals(typeof parsed.seed, "number");
  assertEquals(parsed.helpFractionOfLabelled, 40 / 120);
  assertEquals(parsed.categories["Missed-Need (MN)"], {
    train: 10,
    test: 30,
    heldOut: 0,
    total: 40,
    testWorthy: 35,
  });
  assertEquals(parsed.notes, SUMMARY.notes);
});
