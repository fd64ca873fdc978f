import { join } from "node:path";
import { assert, assertEquals } from "../../tests/assert.ts";
import { parseResultText, stringifyResultFile } from "../formats/result_file.ts";
import { nextAssignment } from "./assignment.ts";
import { releaseAllStale } from "./releases.ts";
import { parseNotesText } from "../formats/notes_file.ts";
import { getQuestion, submitLabel } from "./labels.ts";
import { buildResultFile, createResultWriter, readTraceLabels } from "./result_writer.ts";
import { type TestContext, withContext } from "./testing/test_context.ts";

/** a, d, g hold alpha (least-annotated first over alpha, beta, empty_gamma). */
async function threeOnAlpha(ctx: TestContext) {
  for (const id of ["a", "b", "c", "d", "e", "f", "g"]) await nextAssignment(ctx, id);
  return ctx.catalog.get("alpha")!;
}

Deno.test("result file: revealed turns, real_user on labelled questions in reservation order", async () => {
  await withContext({}, async (ctx) => {
    const alpha = await threeOnAlpha(ctx);
    // d labels before a, but a reserved first: a's key comes first.
    await submitLabel(ctx, { annotator: "d", trace: alpha, turn: 1, label: "Reject all" });
    await submitLabel(ctx, { annotator: "d", trace: alpha, turn: 3, label: [1] });
    await submitLabel(ctx, { annotator: "a", trace: alpha, turn: 1, label: [0, 2] });
    const { members, labels } = await readTraceLabels(ctx.kv, "alpha");
    const file = buildResultFile(alpha, members, labels);
    // d has seen turns 0..4 (next question at turn 4), a 0..3, g 0..1: R = 5.
    assertEquals(file.length, 5);
    assertEquals(file.map((e) => e.real_user), [
      undefined,
      { a: [0, 2], d: "Reject all" },
      undefined,
      { d: [1] },
      undefined,
    ]);
    assertEquals(Object.keys(file[1].real_user!), ["a", "d"]);
    assertEquals(file[0], {
      observation: { time: "1717338000.5", event: "The user opens the editor." },
      candidate_task: [],
    });
    assertEquals(file[3].candidate_task, ["Debug the crash", "Open the docs"]);
    // The reference's layout: 4-space indentation, entry keys in this order.
    const text = stringifyResultFile(file);
    assert(text.startsWith('[\n    {\n        "observation": {\n            "time"'));
    assertEquals(parseResultText(text, "alpha.json"), file);
  });
});

Deno.test("result file: the whole trace once someone finished; nothing when nobody is left", async () => {
  await withContext({}, async (ctx) => {
    const alpha = await threeOnAlpha(ctx);
    for (const turn of alpha.questions) {
      await submitLabel(ctx, { annotator: "g", trace: alpha, turn, label: [0] });
    }
    const { members, labels } = await readTraceLabels(ctx.kv, "alpha");
    const file = buildResultFile(alpha, members, labels);
    assertEquals(file.length, 6);
    assertEquals(file[4].real_user, { g: [0] });
    assertEquals(buildResultFile(alpha, [], labels), []);
  });
});

Deno.test("result file: labels of a released reservation disappear", async () => {
  await withContext({ reclaimAfterMs: 1000 }, async (ctx) => {
    const alpha = await threeOnAlpha(ctx);
    await submitLabel(ctx, { annotator: "a", trace: alpha, turn: 1, label: [0] });
    for (const turn of alpha.questions) {
      await submitLabel(ctx, { annotator: "d", trace: alpha, turn, label: [1] });
    }
    ctx.clock.now += 1000;
    await releaseAllStale(ctx); // a and g were idle and unfinished
    const { members, labels } = await readTraceLabels(ctx.kv, "alpha");
    assertEquals(members.map((m) => m.id), ["d"]);
    const file = buildResultFile(alpha, members, labels);
    assertEquals(file[1].real_user, { d: [1] });
  });
});

Deno.test("the writer keeps files in step with KV and regenerates them into an empty folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await withContext({}, async (ctx) => {
      const writer = createResultWriter({
        kv: ctx.kv,
        catalog: ctx.catalog,
        outDir: dir,
        logger: ctx.logger,
      });
      const alpha = await threeOnAlpha(ctx);
      for (const turn of alpha.questions) {
        await submitLabel(ctx, { annotator: "a", trace: alpha, turn, label: "Reject all" });
        for (let i = 0; i < 5; i++) writer.schedule("alpha"); // coalesced
      }
      await submitLabel(ctx, { annotator: "a", trace: alpha, turn: 4, label: [2] });
      writer.schedule("alpha");
      writer.schedule("beta");
      await writer.flush();
      const written = parseResultText(await Deno.readTextFile(join(dir, "alpha.json")), "alpha");
      assertEquals(written.length, 6);
      assertEquals(written[4].real_user, { a: [2] });
      assertEquals(parseResultText(await Deno.readTextFile(join(dir, "beta.json")), "b"), [
        {
          observation: { time: "1717338000.5", event: "The user opens a document." },
          candidate_task: ["Suggest a title", "Check spelling"],
        },
      ]);
      // No temporary files are left behind.
      const names = [];
      for await (const entry of Deno.readDir(dir)) names.push(entry.name);
      assertEquals(names.sort(), ["alpha.json", "beta.json"]);

      const fresh = await Deno.makeTempDir({ dir });
      const again = createResultWriter({
        kv: ctx.kv,
        catalog: ctx.catalog,
        outDir: fresh,
        logger: ctx.logger,
      });
      assertEquals(await again.regenerateAll(), 3);
      for (const name of ["alpha", "beta"]) {
        assertEquals(
          await Deno.readTextFile(join(fresh, `${name}.json`)),
          await Deno.readTextFile(join(dir, `${name}.json`)),
        );
      }
      const gamma = await Deno.readTextFile(join(fresh, "empty_gamma.json"));
      assertEquals(parseResultText(gamma, "empty_gamma.json").length, 4); // up to checkpoint 3
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a failed write is logged, never thrown", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await withContext({}, async (ctx) => {
      const missing = join(dir, "no", "such", "folder");
      const writer = createResultWriter({
        kv: ctx.kv,
        catalog: ctx.catalog,
        outDir: missing,
        logger: ctx.logger,
      });
      await nextAssignment(ctx, "a");
      writer.schedule("alpha");
      await writer.flush();
      assert(ctx.logLines.some((line) => line.includes("Cannot write the result file")));
      assertEquals(writer.stale().map((s) => s.trace), ["alpha"]);
      assertEquals((await writer.close()).length, 1);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a failing file is retried with backoff, reported stale, and current once it heals", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await withContext({}, async (ctx) => {
      let broken = true;
      const attempts: number[] = [];
      const writer = createResultWriter({
        kv: ctx.kv,
        catalog: ctx.catalog,
        outDir: dir,
        logger: ctx.logger,
        now: () => ctx.clock.now,
        retry: { baseMs: 20, maxMs: 80 },
        writeFile: async (path, text) => {
          attempts.push(performance.now());
          if (broken && path.endsWith("alpha.json")) {
            throw new Error("No space left on device (os error 28)");
          }
          await Deno.writeTextFile(path, text);
        },
      });
      await nextAssignment(ctx, "a");
      writer.schedule("alpha");
      await writer.flush();
      assertEquals(writer.stale(), [{
        trace: "alpha",
        path: join(dir, "alpha.json"),
        error: "No space left on device (os error 28)",
        since: ctx.clock.now,
        attempts: 1,
      }]);
      // Retries come by themselves, further and further apart (20, 40, 80, 80 ms).
      while (attempts.length < 5) await new Promise((r) => setTimeout(r, 10));
      const gaps = attempts.slice(1).map((t, i) => t - attempts[i]);
      assert(gaps[0] >= 15 && gaps[1] >= 35 && gaps[2] >= 75 && gaps[3] >= 75, `gaps ${gaps}`);
      assert(writer.stale()[0].attempts >= 4);
      assert(ctx.logLines.some((l) => l.includes("retrying in")));
      broken = false;
      while (writer.stale().length > 0) await new Promise((r) => setTimeout(r, 10));
      assertEquals(
        parseResultText(await Deno.readTextFile(join(dir, "alpha.json")), "a").length,
        2,
      );
      assert(ctx.logLines.some((l) => l.includes("is current again")));
      assertEquals(await writer.close(), []);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("close tries stale files once more and returns those still failing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await withContext({}, async (ctx) => {
      let failures = 0;
      const writer = createResultWriter({
        kv: ctx.kv,
        catalog: ctx.catalog,
        outDir: dir,
        logger: ctx.logger,
        retry: { baseMs: 60_000, maxMs: 60_000 },
        writeFile: (path) => {
          failures++;
          return Promise.reject(new Error(`Read-only file system (os error 30): ${path}`));
        },
      });
      await nextAssignment(ctx, "a");
      writer.schedule("alpha");
      await writer.flush();
      assertEquals(failures, 1);
      const stale = await writer.close();
      assertEquals(failures, 2); // the last attempt, without waiting for the retry timer
      assertEquals(stale.map((s) => [s.trace, s.attempts]), [["alpha", 2]]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a burst of labels on one trace gives far fewer writes, and the file ends current", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await withContext({}, async (ctx) => {
      const written: string[] = [];
      let duringWrite: (() => Promise<void>) | undefined;
      const writer = createResultWriter({
        kv: ctx.kv,
        catalog: ctx.catalog,
        outDir: dir,
        logger: ctx.logger,
        delayMs: 1000,
        writeFile: async (path, text) => {
          written.push(path);
          const change = duringWrite;
          duringWrite = undefined;
          await change?.();
          await Deno.writeTextFile(path, text);
        },
      });
      const alpha = await threeOnAlpha(ctx);
      let count = 0;
      for (const id of ["a", "d", "g"]) {
        for (const turn of alpha.questions) {
          await submitLabel(ctx, { annotator: id, trace: alpha, turn, label: [count % 2] });
          writer.schedule("alpha");
          count++;
        }
      }
      assertEquals(count, 9);
      assertEquals(written.length, 0); // nothing before the delay is over
      // The delay passes by itself (no flush): one write for the whole burst.
      while (written.length === 0) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 300));
      assertEquals(written, [join(dir, "alpha.json")]);
      assertEquals(writer.counts.writes, 1);
      const file = parseResultText(await Deno.readTextFile(join(dir, "alpha.json")), "alpha");
      const { members, labels: current } = await readTraceLabels(ctx.kv, "alpha");
      assertEquals(file, buildResultFile(alpha, members, current));
      assertEquals(Object.keys(file[1].real_user!), ["a", "d", "g"]);

      // A change during a write queues one more (the pending flag): the file stays current.
      duringWrite = async () => {
        await submitLabel(ctx, { annotator: "a", trace: alpha, turn: 1, label: "Reject all" });
        writer.schedule("alpha");
      };
      await submitLabel(ctx, { annotator: "d", trace: alpha, turn: 1, label: "Reject all" });
      writer.schedule("alpha");
      await writer.flush(); // writes at once, without waiting for the delay
      assertEquals(writer.counts.writes, 3);
      const last = parseResultText(await Deno.readTextFile(join(dir, "alpha.json")), "alpha");
      assertEquals(last[1].real_user, { a: "Reject all", d: "Reject all", g: [0] });
      assertEquals(await writer.close(), []);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("background writes run one at a time, spaced out; a flush writes at once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await withContext({}, async (ctx) => {
      const starts: number[] = [];
      let running = 0;
      let most = 0;
      let holdMs = 0;
      const writer = createResultWriter({
        kv: ctx.kv,
        catalog: ctx.catalog,
        outDir: dir,
        logger: ctx.logger,
        delayMs: 0,
        writeFile: async (path, text) => {
          starts.push(performance.now());
          most = Math.max(most, ++running);
          await new Promise((r) => setTimeout(r, holdMs));
          await Deno.writeTextFile(path, text);
          running--;
        },
      });
      await nextAssignment(ctx, "a");
      await nextAssignment(ctx, "b");
      for (const name of ["alpha", "beta", "empty_gamma"]) writer.schedule(name);
      while (starts.length < 3) await new Promise((r) => setTimeout(r, 5));
      assertEquals(most, 1);
      const gaps = starts.slice(1).map((t, i) => t - starts[i]);
      assert(gaps.every((gap) => gap >= 9), `gaps ${gaps}`);

      holdMs = 300; // each write lasts long enough for the next to start beside it
      for (const name of ["alpha", "beta", "empty_gamma"]) writer.schedule(name);
      await writer.flush();
      assert(most > 1, "flushed writes run side by side");
      assertEquals(writer.counts.writes, 6);
      assertEquals(await writer.close(), []);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the writer keeps the notes side file: written with a skip, removed when none is left", async () => {
  await withContext({}, async (ctx) => {
    const writer = createResultWriter({
      kv: ctx.kv,
      catalog: ctx.catalog,
      outDir: ctx.outDir,
      logger: ctx.logger,
    });
    const alpha = await threeOnAlpha(ctx);
    await submitLabel(ctx, {
      annotator: "a",
      trace: alpha,
      turn: 1,
      label: null,
      skip: "not sure",
    });
    writer.schedule("alpha");
    await writer.flush();
    const notesPath = join(ctx.outDir, "notes", "alpha.json");
    assertEquals(parseNotesText(await Deno.readTextFile(notesPath), notesPath), {
      trace: "alpha",
      turns: [{ turn: 1, question: 1, answers: [{ annotator: "a", skipped: "not sure" }] }],
    });
    // The skip is not in the result file: no real_user at turn 1.
    const result = parseResultText(await Deno.readTextFile(join(ctx.outDir, "alpha.json")), "a");
    assertEquals(result[1].real_user, undefined);

    const { version } = await getQuestion(ctx, { annotator: "a", trace: alpha, turn: 1 });
    await submitLabel(ctx, {
      annotator: "a",
      trace: alpha,
      turn: 1,
      label: [0],
      replaces: version!,
    });
    writer.schedule("alpha");
    await writer.flush();
    assertEquals(await Deno.stat(notesPath).catch(() => null), null, "no note left: no file");
    const again = parseResultText(await Deno.readTextFile(join(ctx.outDir, "alpha.json")), "a");
    assertEquals(again[1].real_user, { a: [0] });
  });
});
