import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { ApiError } from "./api_error.ts";
import { nextAssignment } from "./assignment.ts";
import {
  getQuestion,
  labelProblem,
  listAnswers,
  listHistory,
  NEW_ANSWER,
  submitLabel,
} from "./labels.ts";
import { KEY, type TraceRecord } from "./kv_schema.ts";
import { fixtureCatalog, withContext } from "./testing/test_context.ts";

Deno.test("labelProblem: task traces take index lists or Reject all, help traces need/no need", async () => {
  const catalog = await fixtureCatalog();
  const alpha = catalog.get("alpha")!; // turn 1 has 3 tasks, turn 3 has 2
  const gamma = catalog.get("empty_gamma")!;
  assertEquals(labelProblem(alpha, 1, [0, 2]), undefined);
  assertEquals(labelProblem(alpha, 1, "Reject all"), undefined);
  assertEquals(labelProblem(alpha, 3, [1]), undefined);
  const bad: [unknown, string][] = [
    [[2], "out of range"],
    [[0, 0], "sorted and unique"],
    [[1, 0], "sorted and unique"],
    [[], "at least one task"],
    ["need", "list of task indices"],
  ];
  for (const [label, message] of bad) {
    const problem = labelProblem(alpha, 3, label as never) ?? "";
    assertEquals(problem.includes(message), true, `${JSON.stringify(label)}: ${problem}`);
    assertEquals(problem.startsWith("label: "), true);
  }
  assertEquals(labelProblem(gamma, 3, "need"), undefined);
  assertEquals(labelProblem(gamma, 3, "no need"), undefined);
  assertEquals(labelProblem(gamma, 3, [0])?.includes('"need" or "no need"'), true);
  assertEquals(labelProblem(gamma, 3, "Reject all")?.includes("help-mode"), true);
});

async function status(promise: Promise<unknown>): Promise<number> {
  const error = await assertRejects(() => promise, ApiError);
  return error.status;
}

Deno.test("submitLabel: advances on the current question, refuses what is not allowed", async () => {
  await withContext({}, async (ctx) => {
    const { trace } = (await nextAssignment(ctx, "a"))!; // alpha: questions 1, 3, 4
    assertEquals(trace.name, "alpha");
    const other = ctx.catalog.get("beta")!;
    assertEquals(
      await status(submitLabel(ctx, { annotator: "a", trace: other, turn: 0, label: [0] })),
      403,
    );
    assertEquals(
      await status(submitLabel(ctx, { annotator: "b", trace, turn: 1, label: [0] })),
      403,
    );
    assertEquals(
      await status(submitLabel(ctx, { annotator: "a", trace, turn: 0, label: [0] })),
      409,
    ); // not a question
    assertEquals(
      await status(submitLabel(ctx, { annotator: "a", trace, turn: 3, label: [0] })),
      409,
    ); // not reached
    assertEquals(
      await status(submitLabel(ctx, { annotator: "a", trace, turn: 1, label: [7] })),
      400,
    );
    const first = await submitLabel(ctx, { annotator: "a", trace, turn: 1, label: [0, 2] });
    assertEquals(first.member.answered, 1);
    assertEquals(first.member.lastActivity, ctx.clock.now);
    const second = await submitLabel(ctx, { annotator: "a", trace, turn: 3, label: "Reject all" });
    assertEquals(second.member.answered, 2);
    assertEquals(ctx.changed.filter((t) => t === "alpha").length, 3);
    const stored = await ctx.kv.get(KEY.label("alpha", "a", 3));
    assertEquals((stored.value as { label: unknown }).label, "Reject all");
  });
});

Deno.test("changing an earlier answer keeps the position and is kept in history", async () => {
  await withContext({}, async (ctx) => {
    const { trace } = (await nextAssignment(ctx, "a"))!;
    ctx.clock.now = 1000;
    await submitLabel(ctx, { annotator: "a", trace, turn: 1, label: [0] });
    ctx.clock.now = 2000;
    await submitLabel(ctx, { annotator: "a", trace, turn: 3, label: [1] });
    ctx.clock.now = 3000;
    const changed = await submitLabel(ctx, { annotator: "a", trace, turn: 1, label: [1, 2] });
    assertEquals(changed.member.answered, 2);
    ctx.clock.now = 4000;
    await submitLabel(ctx, { annotator: "a", trace, turn: 1, label: [1, 2] }); // same label again: no history entry
    assertEquals(await listHistory(ctx.kv, "alpha"), [
      { annotator: "a", trace: "alpha", turn: 1, old: null, new: [0], at: 1000 },
      { annotator: "a", trace: "alpha", turn: 3, old: null, new: [1], at: 2000 },
      { annotator: "a", trace: "alpha", turn: 1, old: [0], new: [1, 2], at: 3000 },
    ]);
    const record = await ctx.kv.get<TraceRecord>(KEY.trace("alpha"));
    assertEquals(record.value?.members[0].answered, 2);
    assertEquals(record.value?.members[0].lastActivity, 4000);
    const question = await getQuestion(ctx, { annotator: "a", trace, turn: 1 });
    assertEquals(question, {
      trace: "alpha",
      turn: 1,
      kind: "tasks",
      tasks: ["Explain loops", "Add a test", "Rename the variable"],
      label: [1, 2],
      version: (await ctx.kv.get(KEY.label("alpha", "a", 1))).versionstamp,
      number: 1,
      count: 3,
    });
    assertEquals((await getQuestion(ctx, { annotator: "a", trace, turn: 4 })).label, null); // current question
    assertEquals(await status(getQuestion(ctx, { annotator: "a", trace, turn: 2 })), 409);
    assertEquals(await status(getQuestion(ctx, { annotator: "b", trace, turn: 1 })), 403);
  });
});

Deno.test("help-mode traces take need / no need at their checkpoints", async () => {
  await withContext({}, async (ctx) => {
    await nextAssignment(ctx, "x");
    await nextAssignment(ctx, "y");
    const { trace } = (await nextAssignment(ctx, "a"))!;
    assertEquals(trace.name, "empty_gamma");
    assertEquals(
      await status(submitLabel(ctx, { annotator: "a", trace, turn: 3, label: [0] })),
      400,
    );
    await submitLabel(ctx, { annotator: "a", trace, turn: 3, label: "need" });
    await submitLabel(ctx, { annotator: "a", trace, turn: 7, label: "no need" });
    const done = await submitLabel(ctx, { annotator: "a", trace, turn: 10, label: "need" });
    assertEquals(done.member.answered, 3);
    const question = await getQuestion(ctx, { annotator: "a", trace, turn: 7 });
    assertEquals([question.kind, question.tasks, question.label], [
      "help",
      ["Help needed", "No help needed"],
      "no need",
    ]);
  });
});

Deno.test("parallel labels of three annotators on one trace are all kept", async () => {
  await withContext({}, async (ctx) => {
    const ids = ["a", "b", "c", "d", "e", "f", "g"];
    for (const id of ids) await nextAssignment(ctx, id);
    const alpha = ctx.catalog.get("alpha")!;
    const holders = ["a", "d", "g"]; // least-annotated first: alpha, beta, gamma, alpha, ...
    await Promise.all(holders.map(async (id, i) => {
      for (const turn of alpha.questions) {
        await submitLabel(ctx, { annotator: id, trace: alpha, turn, label: [i % 2] });
      }
    }));
    const record = await ctx.kv.get<TraceRecord>(KEY.trace("alpha"));
    assertEquals(record.value?.members.map((m) => [m.id, m.answered]), [
      ["a", 3],
      ["d", 3],
      ["g", 3],
    ]);
    let labels = 0;
    for await (const _ of ctx.kv.list({ prefix: KEY.labelsOfTrace("alpha") })) labels++;
    assertEquals(labels, 9);
    assertEquals((await listHistory(ctx.kv, "alpha")).length, 9);
  });
});

Deno.test("a label with a stale `replaces` gets 409 with the current answer; nothing written", async () => {
  await withContext({}, async (ctx) => {
    const { trace } = (await nextAssignment(ctx, "a"))!; // alpha: questions 1, 3, 4
    await submitLabel(ctx, { annotator: "a", trace, turn: 1, label: [0], replaces: NEW_ANSWER }); // tab 1 answers question 1
    const v1 = (await getQuestion(ctx, { annotator: "a", trace, turn: 1 })).version!;
    assertEquals(v1, (await ctx.kv.get(KEY.label("alpha", "a", 1))).versionstamp);

    // Tab 2 still shows question 1 as new, and answers differently.
    const error = await assertRejects(
      () => submitLabel(ctx, { annotator: "a", trace, turn: 1, label: [2], replaces: NEW_ANSWER }),
      ApiError,
    );
    assertEquals(error.status, 409);
    assertEquals(error.details, { current: { label: [0], version: v1 } });
    // The same answer again (say, a retried request) is accepted without a change.
    assertEquals(
      (await submitLabel(ctx, { annotator: "a", trace, turn: 1, label: [0], replaces: NEW_ANSWER }))
        .member.answered,
      1,
    );
    assertEquals((await getQuestion(ctx, { annotator: "a", trace, turn: 1 })).version, v1);

    // With the current version the answer is replaced, and gets a new version.
    ctx.clock.now += 1000; // history is ordered by time
    await submitLabel(ctx, { annotator: "a", trace, turn: 1, label: [2], replaces: v1 });
    const v2 = (await getQuestion(ctx, { annotator: "a", trace, turn: 1 })).version!;
    assert(v2 > v1);
    assertEquals(
      (await assertRejects(
        () => submitLabel(ctx, { annotator: "a", trace, turn: 1, label: [1], replaces: v1 }),
        ApiError,
      )).details,
      { current: { label: [2], version: v2 } },
    );
    // A version for a question never answered: 409 with no current answer.
    const ahead = await assertRejects(
      () => submitLabel(ctx, { annotator: "a", trace, turn: 3, label: [1], replaces: v2 }),
      ApiError,
    );
    assertEquals([ahead.status, ahead.details], [409, {
      current: { label: null, version: NEW_ANSWER },
    }]);
    // Without `replaces` (older clients) the label is written regardless.
    ctx.clock.now += 1000;
    await submitLabel(ctx, { annotator: "a", trace, turn: 1, label: [1] });
    assertEquals((await getQuestion(ctx, { annotator: "a", trace, turn: 1 })).label, [1]);
    const history = (await listHistory(ctx.kv, "alpha")).map((h) => [h.old, h.new]);
    assertEquals(history, [[null, [0]], [[0], [2]], [[2], [1]]]);
  });
});

Deno.test("a skip moves on without a label; comments are kept; both in history", async () => {
  await withContext({}, async (ctx) => {
    const { trace } = (await nextAssignment(ctx, "a"))!; // alpha: questions 1, 3, 4
    ctx.clock.now = 1000;
    const skipped = await submitLabel(ctx, {
      annotator: "a",
      trace,
      turn: 1,
      label: null,
      skip: "not sure",
      replaces: NEW_ANSWER,
    });
    assertEquals(skipped.member.answered, 1);
    ctx.clock.now = 2000;
    await submitLabel(ctx, {
      annotator: "a",
      trace,
      turn: 3,
      label: [1],
      comment: "close call",
      replaces: NEW_ANSWER,
    });
    const first = await getQuestion(ctx, { annotator: "a", trace, turn: 1 });
    assertEquals([first.label, first.skip, first.comment], [null, "not sure", undefined]);
    const second = await getQuestion(ctx, { annotator: "a", trace, turn: 3 });
    assertEquals([second.label, second.skip, second.comment], [[1], undefined, "close call"]);
    const { answers } = await listAnswers(ctx, { annotator: "a", trace });
    assertEquals(answers, [
      { turn: 1, number: 1, label: null, skip: "not sure" },
      { turn: 3, number: 2, label: [1], comment: "close call" },
    ]);

    // Answering the skipped question replaces the skip; a comment-only change is history too.
    ctx.clock.now = 3000;
    await submitLabel(ctx, {
      annotator: "a",
      trace,
      turn: 1,
      label: [0],
      replaces: first.version!,
    });
    ctx.clock.now = 4000;
    await submitLabel(ctx, {
      annotator: "a",
      trace,
      turn: 3,
      label: [1],
      comment: "sure now",
      replaces: second.version!,
    });
    const history = (await listHistory(ctx.kv, "alpha")).map((h) => ({
      turn: h.turn,
      old: h.old,
      new: h.new,
      skip: h.skip,
      comment: h.comment,
    }));
    assertEquals(history, [
      { turn: 1, old: null, new: null, skip: "not sure", comment: undefined },
      { turn: 3, old: null, new: [1], skip: undefined, comment: "close call" },
      { turn: 1, old: null, new: [0], skip: undefined, comment: undefined },
      { turn: 3, old: [1], new: [1], skip: undefined, comment: "sure now" },
    ]);
    const stored = await ctx.kv.get(KEY.label("alpha", "a", 1));
    assertEquals((stored.value as { skip?: string }).skip, undefined, "the skip is gone");
  });
});

Deno.test("a skip needs a reason and no label; the same skip again is a retry", async () => {
  await withContext({}, async (ctx) => {
    const { trace } = (await nextAssignment(ctx, "a"))!;
    const neither = await assertRejects(
      () => submitLabel(ctx, { annotator: "a", trace, turn: 1, label: null }),
      ApiError,
    );
    assertEquals([neither.status, neither.message], [
      400,
      "label: expected a label, or skip with a reason",
    ]);
    assertEquals(
      await status(submitLabel(ctx, { annotator: "a", trace, turn: 1, label: [0], skip: "x" })),
      400,
    );
    const skip = { annotator: "a", trace, turn: 1, label: null, skip: "trace unclear" };
    await submitLabel(ctx, { ...skip, replaces: NEW_ANSWER });
    const again = await submitLabel(ctx, { ...skip, replaces: NEW_ANSWER }); // a retried request
    assertEquals(again.member.answered, 1);
    const stale = await assertRejects(
      () => submitLabel(ctx, { ...skip, skip: "not sure", replaces: NEW_ANSWER }),
      ApiError,
    );
    assertEquals(stale.status, 409);
    const current = (stale.details as { current: Record<string, unknown> }).current;
    assertEquals([current.label, current.skip], [null, "trace unclear"]);
    assertEquals((await listHistory(ctx.kv, "alpha")).length, 1);
  });
});
