import { assertEquals, assertThrows } from "../../tests/assert.ts";
import type { Label } from "../formats/result_file.ts";
import { categoryOf, labelKind, labelRow, type Vote, voteTurn } from "./vote_rules.ts";

const TASKS = ["t0", "t1", "t2"];

/** Items as compact tuples: [pred_task, valid, help_needed, annotation, category code]. */
function compact(items: Vote[]) {
  return items.map((
    v,
  ) => [v.predTask, v.valid, v.helpNeeded, v.annotation, v.category.slice(-3, -1)]);
}

Deno.test("rule 1: index lists and Reject all become boolean rows; indices past the end are ignored", () => {
  assertEquals(labelRow([0, 2], 3), [true, false, true]);
  assertEquals(labelRow("Reject all", 3), [false, false, false]);
  assertEquals(labelRow([], 2), [false, false]);
  assertEquals(labelRow([1, 1, 7], 3), [false, true, false]);
  assertThrows(() => labelRow("need", 3), TypeError);
});

Deno.test("rule 1: rows are taken in the given (key) order, which shows in the annotation", () => {
  const a = voteTurn([[0], [0], "Reject all"], TASKS, "reference");
  const b = voteTurn(["Reject all", [0], [0]], TASKS, "reference");
  assertEquals(a.items[1].annotation, [true, true, false]);
  assertEquals(b.items[1].annotation, [false, true, true]);
});

Deno.test("rules 2-3: a task accepted by everyone gives a help turn (MN, valid false)", () => {
  const votes = voteTurn([[0, 1], [0], [0, 2]], TASKS, "reference");
  assertEquals(votes.helpTurn, true);
  assertEquals(compact(votes.items), [
    [null, false, true, [false, false, false], "MN"],
    ["t0", true, true, [true, true, true], "CD"],
    ["t1", false, true, [true, false, false], "FA"],
    ["t2", false, true, [false, false, true], "FA"],
  ]);
});

Deno.test("rules 2-3: without a unanimous task, anyone accepting gives a valid CR null item", () => {
  const votes = voteTurn([[0], [1], "Reject all"], TASKS, "reference");
  assertEquals(votes.helpTurn, false);
  assertEquals(compact(votes.items)[0], [null, true, false, [false, false, true], "CR"]);
});

Deno.test("rule 3 quirk: a turn where everybody rejects everything gives no null item", () => {
  const votes = voteTurn(["Reject all", [], "Reject all"], TASKS, "reference");
  assertEquals(compact(votes.items), [
    ["t0", false, false, [false, false, false], "FA"],
    ["t1", false, false, [false, false, false], "FA"],
    ["t2", false, false, [false, false, false], "FA"],
  ]);
});

Deno.test("rule 3: one annotator gives no item at all; no annotator gives nothing either", () => {
  assertEquals(voteTurn([[0, 1]], TASKS, "reference").items, []);
  assertEquals(voteTurn([], TASKS, "reference").items, []);
});

Deno.test("rule 4: accepted-by-2 items first, then rejected-by-2; 4 annotators can give both", () => {
  const votes = voteTurn([[0, 1], [0], [1], "Reject all"], TASKS, "reference");
  assertEquals(compact(votes.items), [
    [null, true, false, [false, false, false, true], "CR"],
    ["t0", true, false, [true, true, false, false], "CD"],
    ["t1", true, false, [true, false, true, false], "CD"],
    ["t0", false, false, [true, true, false, false], "FA"],
    ["t1", false, false, [true, false, true, false], "FA"],
    ["t2", false, false, [false, false, false, false], "FA"],
  ]);
});

Deno.test("rule 4: two annotators splitting on a task give no task item", () => {
  const votes = voteTurn([[0], "Reject all"], ["t0"], "reference");
  assertEquals(compact(votes.items), [[null, true, false, [false, true], "CR"]]);
});

Deno.test("rule 5: categories", () => {
  assertEquals(categoryOf(null, false, true), "Missed-Need (MN)");
  assertEquals(categoryOf(null, true, false), "Correct-Rejection (CR)");
  assertEquals(categoryOf("t", true, false), "Correct-Detection (CD)");
  assertEquals(categoryOf("t", false, true), "False-Alarm (FA)");
});

Deno.test("rule 7: agreement counts the votes on task items equal to valid", () => {
  // t0: 3 of 3 accept (valid) → 3 agree; t1: 1 accept, 2 reject (invalid) → 2 agree;
  // t2: 0 accept (invalid) → 3 agree. 8 of 9 votes.
  const votes = voteTurn([[0, 1], [0], [0]], TASKS, "reference");
  assertEquals([votes.agreeVotes, votes.taskVotes], [8, 9]);
  const four = voteTurn([[0], [0], "Reject all", "Reject all"], ["t0"], "reference");
  assertEquals([four.agreeVotes, four.taskVotes], [4, 8]);
});

Deno.test("help mode: a strict majority gives one null item, ties and single votes none", () => {
  const need: Label[] = ["need", "no need", "need"];
  assertEquals(compact(voteTurn(need, TASKS, "reference").items), [
    [null, false, true, [false, true, false], "MN"],
  ]);
  assertEquals(voteTurn(need, TASKS, "reference").helpTurn, true);
  assertEquals(compact(voteTurn(["no need", "no need", "need"], [], "majority").items), [
    [null, true, false, [true, true, false], "CR"],
  ]);
  assertEquals(voteTurn(["need", "no need"], [], "reference").items, []);
  assertEquals(voteTurn(["need"], [], "reference").items, []);
  assertEquals(labelKind(["need", [0]]), "mixed");
  assertThrows(() => voteTurn(["need", [0]], TASKS, "reference"), TypeError, "mixes");
});

Deno.test("majority: a unanimous rejection of all tasks gives a Correct-Rejection item", () => {
  const votes = voteTurn(["Reject all", "Reject all", []], ["t0"], "majority");
  assertEquals(compact(votes.items), [
    [null, true, false, [true, true, true], "CR"],
    ["t0", false, false, [false, false, false], "FA"],
  ]);
});

Deno.test("majority: help_needed is decided by a strict majority of annotators selecting", () => {
  // Reference: no unanimous task → help_needed false, CR. Majority: 2 of 3 selected → MN.
  const labels: Label[] = [[0], [1], "Reject all"];
  assertEquals(compact(voteTurn(labels, TASKS, "reference").items)[0], [
    null,
    true,
    false,
    [false, false, true],
    "CR",
  ]);
  const majority = voteTurn(labels, TASKS, "majority");
  assertEquals(compact(majority.items)[0], [null, false, true, [false, false, true], "MN"]);
  assertEquals(majority.helpTurn, true);
  assertEquals(majority.items.slice(1).every((v) => v.helpNeeded), true);
});

Deno.test("majority: ties give no item and tasks need a strict majority", () => {
  const votes = voteTurn([[0, 1], [0], [1], "Reject all"], TASKS, "majority");
  // 3 of 4 selected → MN; t0 2/4 tie, t1 2/4 tie → dropped; t2 0/4 → FA.
  assertEquals(compact(votes.items), [
    [null, false, true, [false, false, false, true], "MN"],
    ["t2", false, true, [false, false, false, false], "FA"],
  ]);
  const tie = voteTurn([[0], "Reject all"], ["t0"], "majority");
  assertEquals(tie.items, []);
  assertEquals(voteTurn([[0]], ["t0"], "majority").items, []);
});
