import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { parseNotesText } from "../formats/notes_file.ts";
import { ApiError } from "./api_error.ts";
import { nextAssignment } from "./assignment.ts";
import { decide, eventsUpTo, reviewQueue } from "./decisions.ts";
import { listHistory, NEW_ANSWER, submitLabel } from "./labels.ts";
import type { Label } from "../formats/result_file.ts";
import { readTraceLabels } from "./result_writer.ts";
import { buildStatus } from "./status.ts";
import { buildNotesFile, readTraceDecisions } from "./trace_notes.ts";
import { fixtureCatalog, type TestContext, withContext } from "./testing/test_context.ts";

/**
 * a, d and g on alpha (least-annotated first: alpha, beta, gamma, alpha, …; questions at
 * turns 1, 3, 4): their answers to turns 1 and 3.
 */
async function threeOnAlpha(ctx: TestContext) {
  for (const id of ["a", "b", "c", "d", "e", "f", "g"]) await nextAssignment(ctx, id);
  const trace = ctx.catalog.get("alpha")!;
  const answer = (annotator: string, turn: number, label: Label | null, extra = {}) => {
    ctx.clock.now += 1000; // one second apart
    return submitLabel(ctx, { annotator, trace, turn, label, replaces: NEW_ANSWER, ...extra });
  };
  await answer("a", 1, [0]);
  await answer("d", 1, [1], { comment: "task 1 is done already" });
  await answer("g", 1, [0]);
  await answer("a", 3, [1]);
  await answer("d", 3, [1]);
  await answer("g", 3, null, { skip: "trace unclear" });
  return trace;
}

Deno.test("the review queue lists the split questions with every answer", async () => {
  await withContext({}, async (ctx) => {
    await threeOnAlpha(ctx);
    const queue = await reviewQueue(ctx);
    // Turn 3: a and d agree, g skipped → no disagreement. Turn 1: 2 of 3 agree.
    assertEquals(queue.map((u) => [u.trace, u.turn, u.question, u.majority, u.labels]), [
      ["alpha", 1, 1, 2, 3],
    ]);
    assertEquals(queue[0].answers.map((a) => [a.annotator, a.label, a.comment]), [
      ["a", [0], undefined],
      ["d", [1], "task 1 is done already"],
      ["g", [0], undefined],
    ]);
    assertEquals(queue[0].decision, null);
    assertEquals(queue[0].tasks.length, 3);
  });
});

Deno.test("decide: stored with history, shown in the queue, withdrawn with null", async () => {
  await withContext({}, async (ctx) => {
    const trace = await threeOnAlpha(ctx);
    ctx.changed.length = 0;
    ctx.clock.now = 1_717_000_010_000; // after the labels
    await decide(ctx, { trace, turn: 1, label: [0, 1], note: "both are open", by: "lead" });
    assertEquals(ctx.changed, ["alpha"]);
    const [unit] = await reviewQueue(ctx);
    assertEquals(unit.decision, {
      label: [0, 1],
      note: "both are open",
      by: "lead",
      at: 1_717_000_010_000,
    });
    const adjudicated = (await listHistory(ctx.kv, "alpha")).filter((h) =>
      h.reason === "adjudicated"
    );
    assertEquals(adjudicated.map((h) => [h.annotator, h.turn, h.old, h.new, h.comment, h.by]), [
      ["admin", 1, null, [0, 1], "both are open", "lead"],
    ]);

    // The side file: d's comment, g's skip, the decision.
    const { members, labels } = await readTraceLabels(ctx.kv, "alpha");
    const notes = buildNotesFile(trace, members, labels, await readTraceDecisions(ctx.kv, "alpha"));
    assertEquals(notes, {
      trace: "alpha",
      turns: [
        {
          turn: 1,
          question: 1,
          answers: [{ annotator: "d", label: [1], comment: "task 1 is done already" }],
          decision: {
            label: [0, 1],
            note: "both are open",
            by: "lead",
            at: "2024-05-29T16:26:50.000Z",
          },
        },
        { turn: 3, question: 2, answers: [{ annotator: "g", skipped: "trace unclear" }] },
      ],
    });
    assertEquals(parseNotesText(JSON.stringify(notes), "n.json"), notes, "its own schema reads it");

    ctx.clock.now = 1_717_000_011_000;
    await decide(ctx, { trace, turn: 1, label: null, by: "lead" });
    const [again] = await reviewQueue(ctx);
    assertEquals(again.decision, null, "still split, no longer decided");
    const history = await listHistory(ctx.kv, "alpha");
    assertEquals(history.at(-1)?.old, [0, 1]);
    assertEquals(history.at(-1)?.new, null);
  });
});

Deno.test("decide refuses a label that does not fit and a turn that is no question", async () => {
  await withContext({}, async (ctx) => {
    const trace = await threeOnAlpha(ctx);
    const bad = await assertRejects(
      () => decide(ctx, { trace, turn: 1, label: [7], by: "lead" }),
      ApiError,
    );
    assertEquals(bad.status, 400);
    const notQuestion = await assertRejects(
      () => decide(ctx, { trace, turn: 0, label: [0], by: "lead" }),
      ApiError,
    );
    assertEquals(notQuestion.status, 409);
    assertEquals((await readTraceDecisions(ctx.kv, "alpha")).size, 0, "nothing stored");
  });
});

Deno.test("eventsUpTo gives the events an annotator had seen at the question", async () => {
  const trace = (await fixtureCatalog()).get("alpha")!;
  const events = eventsUpTo(trace, 3);
  assertEquals(events.map((e) => e.turn), [0, 1, 2, 3]);
  assertEquals(events[2].event, trace.turns[2].observation.event);
});

Deno.test("the status counts each annotator's skips and comments and lists them, newest first", async () => {
  await withContext({}, async (ctx) => {
    await threeOnAlpha(ctx);
    const status = await buildStatus(ctx);
    const counts = status.annotators.map((a) => [a.id, a.skips, a.comments]);
    assertEquals(counts.filter(([id]) => ["a", "d", "g"].includes(id as string)).sort(), [
      ["a", 0, 0],
      ["d", 0, 1],
      ["g", 1, 0],
    ]);
    assertEquals(status.notes.count, 2);
    assertEquals(status.notes.latest.map((n) => [n.annotator, n.question, n.skip, n.comment]), [
      ["g", 2, "trace unclear", undefined],
      ["d", 1, undefined, "task 1 is done already"],
    ]);
  });
});
