import { assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import type { Member } from "./kv_schema.ts";
import { ALL_DONE_MESSAGE, buildState, FINISHED_MESSAGE } from "./state.ts";
import { fixtureCatalog } from "./testing/test_context.ts";

const annotator = { username: "alice", id: "a".repeat(32) };
const member = (answered: number): Member => ({
  id: annotator.id,
  reservation: "r",
  reservedAt: 0,
  lastActivity: 0,
  answered,
});

Deno.test("state without a trace: start, or nothing left and why", () => {
  const start = buildState(annotator, undefined, { since: 5 });
  assertEquals([start.trace, start.allDone, start.events, start.question], [null, false, [], null]);
  assertEquals(start.nothingLeft, null);
  const left = (reason: "done" | "full" | "yours", annotatorsPerTrace = 3) =>
    buildState(annotator, undefined, { since: 0, nothingLeft: { reason, annotatorsPerTrace } });
  const done = left("done");
  assertEquals([done.allDone, done.nothingLeft, done.message], [true, "done", ALL_DONE_MESSAGE]);
  assertEquals(
    left("full").message,
    "Nothing left for you right now — the remaining traces already have 3 annotators. " +
      "Press Next trace later: an unfinished one may be released.",
  );
  assertStringIncludes(left("full", 1).message!, "already have an annotator.");
  assertStringIncludes(left("yours").message!, "You have annotated every trace");
});

Deno.test("state reveals events up to the next question, from `since`", async () => {
  const trace = (await fixtureCatalog()).get("alpha")!; // questions 1, 3, 4; 6 turns
  const first = buildState(annotator, { trace, member: member(0) }, { since: 0 });
  assertEquals(first.revealed, 2);
  assertEquals(first.events.map((e) => e.turn), [0, 1]);
  assertEquals(first.events[0], {
    turn: 0,
    time: "1717338000.5",
    event: "The user opens the editor.",
  });
  assertEquals(first.question, {
    turn: 1,
    kind: "tasks",
    tasks: ["Explain loops", "Add a test", "Rename the variable"],
    label: null,
    version: null,
    number: 1,
    count: 3,
  });
  assertEquals([first.previousTurn, first.finished, first.totalTurns], [null, false, 6]);

  const second = buildState(annotator, { trace, member: member(1) }, { since: 2 });
  assertEquals([second.since, second.revealed], [2, 4]);
  assertEquals(second.events.map((e) => e.turn), [2, 3]);
  assertEquals(second.events[1].event, "The program crashes with <img src=x onerror=alert(1)>.");
  assertEquals([second.question?.turn, second.question?.number, second.previousTurn], [3, 2, 1]);

  // `since` beyond what is revealed is clamped.
  assertEquals(buildState(annotator, { trace, member: member(1) }, { since: 99 }).since, 4);

  const finished = buildState(annotator, { trace, member: member(3) }, { since: 5 });
  assertEquals([finished.finished, finished.question, finished.revealed], [true, null, 6]);
  assertEquals([finished.previousTurn, finished.message], [4, FINISHED_MESSAGE]);
  assertEquals(finished.events.map((e) => e.turn), [5]);
});

Deno.test("help-mode state asks the two help answers", async () => {
  const trace = (await fixtureCatalog()).get("empty_gamma")!;
  const state = buildState(annotator, { trace, member: member(1) }, { since: 0 });
  assertEquals(state.mode, "help");
  assertEquals(state.question?.tasks, ["Help needed", "No help needed"]);
  assertEquals([state.question?.turn, state.revealed], [7, 8]);
});
