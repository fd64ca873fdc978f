import { assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import { withTempDir } from "../../tests/temp_dir.ts";
import { createMemoryLogger } from "../cli/testing/memory_logger.ts";
import { ProactiveError } from "../cli/errors.ts";
import { parseConvertOptions } from "./command.ts";
import { convertResults } from "./convert.ts";
import { formatSummary } from "./convert_summary.ts";

// A hand-made result folder as `proactive serve` writes it, with its notes side file.
// Annotators A, B, C; entry 0: A took T0, B took T1, the admin decided [0];
// entry 1: A and B took U0, C skipped ("not sure"); entry 2: A rejected all, B and C took V0.
const obs = (n: number) => ({ time: String(1700000000 + n), event: `event ${n}` });
const RESULT = [
  { observation: obs(0), candidate_task: ["T0", "T1"], real_user: { A: [0], B: [1] } },
  { observation: obs(1), candidate_task: ["U0"], real_user: { A: [0], B: [0] } },
  { observation: obs(2), candidate_task: ["V0"], real_user: { A: "Reject all", B: [0], C: [0] } },
];
const NOTES = {
  trace: "t",
  turns: [
    {
      turn: 0,
      question: 1,
      answers: [{ annotator: "B", label: [1], comment: "T0 was done already?" }],
      decision: { label: [0], note: "T0 is still open", by: "lead", at: "2026-12-07T20:00:00Z" },
    },
    { turn: 1, question: 2, answers: [{ annotator: "C", skipped: "not sure" }] },
  ],
};

async function writeFolder(dir: string, notes: unknown = NOTES): Promise<string> {
  const result = `${dir}/result`;
  await Deno.mkdir(`${result}/notes`, { recursive: true });
  await Deno.writeTextFile(`${result}/t.json`, JSON.stringify(RESULT));
  await Deno.writeTextFile(`${result}/notes/t.json`, JSON.stringify(notes));
  return result;
}

/** The items of both files as [last event, pred_task, valid, help_needed, annotation]. */
function items(out: string): unknown[][] {
  const lines = ["train_data.jsonl", "test_data.jsonl"].flatMap((name) =>
    Deno.readTextFileSync(`${out}/${name}`).split("\n").filter((line) => line !== "")
  );
  return lines.map((line) => {
    const item = JSON.parse(line);
    return [item.obs.at(-1).event, item.pred_task, item.valid, item.help_needed, item.annotation];
  }).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

async function convert(dir: string, ...args: string[]) {
  const result = await writeFolder(dir);
  const out = `${dir}/out`;
  const options = parseConvertOptions([
    result,
    "--out-dir",
    out,
    "--test-per-category",
    "0",
    ...args,
  ]);
  const summary = await convertResults(options, { logger: createMemoryLogger() });
  return { summary, items: items(out) };
}

// By hand, under the reference rules (a null item's annotation: who accepted nothing; a
// task item's: who accepted the task). Entry 1 (A, B took U0; C's skip is no vote): U0 by
// all → help needed and 2 accepted something → null item {valid: false, help_needed: true};
// U0 accepted by 2 → valid. Entry 2 (A rejected, B and C took V0): not everybody took V0 →
// no help needed, someone accepted → null item {valid: true}; V0 accepted by 2 → valid.
const ENTRY_1 = [
  ["event 1", "U0", true, true, [true, true]],
  ["event 1", null, false, true, [false, false]],
];
const ENTRY_2 = [
  ["event 2", "V0", true, false, [false, true, true]],
  ["event 2", null, true, false, [true, false, false]],
];
const sorted = (rows: unknown[][]) =>
  rows.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

Deno.test("convert --adjudicated prefer (default): the decided turn votes with the final label", async () => {
  await withTempDir(async (dir) => {
    const { summary, items: got } = await convert(dir);
    // Entry 0 as if A and B both took T0: T0 by all → help turn, null item; T0 valid
    // (2 votes); T1 rejected by 2 → invalid.
    const entry0 = [
      ["event 0", "T0", true, true, [true, true]],
      ["event 0", "T1", false, true, [false, false]],
      ["event 0", null, false, true, [false, false]],
    ];
    assertEquals(got, sorted([...entry0, ...ENTRY_1, ...ENTRY_2]));
    assertEquals(
      [summary.adjudicatedTurns, summary.adjudicatedIgnored, summary.skippedAnswers],
      [1, 0, 1],
    );
    assertEquals([summary.skippedTurns, summary.notesFiles, summary.excludedLabels], [1, 1, 0]);
    const text = formatSummary(summary);
    assertStringIncludes(text, "1 answer(s) in 1 turn(s) were skipped");
    assertStringIncludes(text, "1 turn(s) voted with the admin's final label");
  });
});

Deno.test("convert --adjudicated ignore: the labels' vote decides, the decision is counted", async () => {
  await withTempDir(async (dir) => {
    const { summary, items: got } = await convert(dir, "--adjudicated", "ignore");
    // Entry 0 as labelled: nobody took every task → no help; someone accepted → null item
    // {valid: true}; T0 and T1 have one vote each way → no task item.
    const entry0 = [["event 0", null, true, false, [false, false]]];
    assertEquals(got, sorted([...entry0, ...ENTRY_1, ...ENTRY_2]));
    assertEquals([summary.adjudicatedTurns, summary.adjudicatedIgnored], [0, 1]);
    assertStringIncludes(formatSummary(summary), "1 decision(s) ignored (--adjudicated ignore)");
  });
});

Deno.test("convert --exclude-annotators drops those labels before the vote", async () => {
  await withTempDir(async (dir) => {
    const { summary, items: got } = await convert(dir, "--exclude-annotators", "C");
    // Entry 2 without C: A rejected, B took V0 → null item {valid: true}; V0 one vote each
    // way → no task item. C's skip of entry 1 is not counted either.
    assertEquals(
      got.filter((item) => item[0] === "event 2"),
      [["event 2", null, true, false, [true, false]]],
    );
    assertEquals([summary.excludedLabels, summary.skippedAnswers], [1, 0]);
    assertEquals(summary.excludeAnnotators, ["C"]);
    assertStringIncludes(formatSummary(summary), "1 label(s) of 1 annotator(s) dropped");
  });
});

Deno.test("a decided turn with one annotator left still gives the decision's items", async () => {
  await withTempDir(async (dir) => {
    const { items: got } = await convert(dir, "--exclude-annotators", "B");
    // Entry 0, A alone, voted as 2 × [0]: the same three items as with A and B.
    assertEquals(got.filter((item) => item[0] === "event 0").length, 3);
  });
});

Deno.test("a bad notes file names itself and nothing is written", async () => {
  await withTempDir(async (dir) => {
    const result = await writeFolder(dir, { trace: "t", turns: [{ turn: -1 }] });
    const options = parseConvertOptions([result, "--out-dir", `${dir}/out`]);
    await assertRejects(
      () => convertResults(options, { logger: createMemoryLogger() }),
      ProactiveError,
      `Invalid notes file "${result}/notes/t.json" at $.turns[0].turn`,
    );
    assertEquals(await Deno.stat(`${dir}/out`).catch(() => null), null);
  });
});

Deno.test("a decision of the wrong kind, or on an unlabelled turn, is ignored with a warning", async () => {
  await withTempDir(async (dir) => {
    const notes = {
      trace: "t",
      turns: [
        { turn: 0, question: 1, answers: [], decision: { label: "need", by: "x", at: "" } },
        { turn: 5, question: 4, answers: [], decision: { label: [0], by: "x", at: "" } },
      ],
    };
    const result = await writeFolder(dir, notes);
    await Deno.writeTextFile(
      `${result}/notes/gone.json`,
      JSON.stringify({ trace: "gone", turns: [] }),
    );
    const logger = createMemoryLogger();
    const options = parseConvertOptions([result, "--out-dir", `${dir}/out`]);
    const summary = await convertResults(options, { logger });
    assertEquals([summary.adjudicatedTurns, summary.adjudicatedIgnored], [0, 2]);
    const warnings = logger.lines.join("\n");
    assertStringIncludes(warnings, "the decision on entry 0 does not fit its labels; ignored");
    assertStringIncludes(warnings, "the decision on entry 5 is for a turn without labels");
    assertStringIncludes(warnings, `"${result}/notes/gone.json" has no result file; ignored`);
  });
});
