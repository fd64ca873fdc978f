import { assert, assertEquals } from "../../tests/assert.ts";
import { currentAssignment, nextAssignment, readTraceRecords } from "./assignment.ts";
import { releaseAllStale } from "./releases.ts";
import { listHistory, submitLabel } from "./labels.ts";
import { CommitBatcher } from "./commit_batcher.ts";
import { KEY, type TraceRecord as TraceRecordType } from "./kv_schema.ts";
import { TraceRecords } from "./trace_records.ts";
import { FIXTURE_TRACES, fixtureCatalog, withContext } from "./testing/test_context.ts";
import { loadCatalogDir } from "./trace_catalog.ts";

const HOUR = 3600 * 1000;

async function membersOf(kv: Deno.Kv): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [name, entry] of await readTraceRecords(kv)) {
    out[name] = entry.value.members.map((m) => m.id);
  }
  return out;
}

/** A catalog of alpha and beta only (help-mode trace left out). */
async function twoTraceCatalog() {
  const full = await loadCatalogDir(FIXTURE_TRACES);
  const traces = full.traces.filter((t) => t.mode === "tasks");
  return { ...full, traces, get: (name: string) => traces.find((t) => t.name === name) };
}

Deno.test("next: least-annotated first, then by name; own unfinished trace first", async () => {
  await withContext({}, async (ctx) => {
    const a = await nextAssignment(ctx, "a");
    assertEquals([a?.trace.name, a?.resumed], ["alpha", false]);
    const b = await nextAssignment(ctx, "b");
    assertEquals(b?.trace.name, "beta");
    const c = await nextAssignment(ctx, "c");
    assertEquals(c?.trace.name, "empty_gamma");
    const d = await nextAssignment(ctx, "d");
    assertEquals(d?.trace.name, "alpha"); // all have 1: name order
    const again = await nextAssignment(ctx, "a");
    assertEquals([again?.trace.name, again?.resumed], ["alpha", true]);
    assertEquals((await currentAssignment(ctx, "a"))?.trace.name, "alpha");
    assertEquals(await currentAssignment(ctx, "nobody"), undefined);
    assertEquals(ctx.changed, ["alpha", "beta", "empty_gamma", "alpha"]);
  });
});

Deno.test("next after finishing gives a trace the annotator never had, then all done", async () => {
  await withContext({ annotatorsPerTrace: 3 }, async (ctx) => {
    const seen: string[] = [];
    for (let round = 0; round < 5; round++) {
      const next = await nextAssignment(ctx, "a");
      if (!next) break;
      seen.push(next.trace.name);
      for (const turn of next.trace.questions) {
        const label = next.trace.mode === "help" ? "need" : "Reject all";
        await submitLabel(ctx, { annotator: "a", trace: next.trace, turn, label });
      }
    }
    assertEquals(seen, ["alpha", "beta", "empty_gamma"]);
    assertEquals(await nextAssignment(ctx, "a"), undefined);
    // The finished trace stays the current one.
    const current = await currentAssignment(ctx, "a");
    assertEquals(current?.trace.name, "empty_gamma");
  });
});

Deno.test("never more than N annotators on a trace; nothing left means undefined", async () => {
  await withContext({ annotatorsPerTrace: 2 }, async (ctx) => {
    const got = [];
    for (const id of ["a", "b", "c", "d", "e", "f", "g"]) {
      got.push((await nextAssignment(ctx, id))?.trace.name);
    }
    assertEquals(got, [
      "alpha",
      "beta",
      "empty_gamma",
      "alpha",
      "beta",
      "empty_gamma",
      undefined,
    ]);
  });
});

Deno.test("50 parallel next calls on 2 traces with N=3 reserve exactly 3 each", async () => {
  const catalog = await twoTraceCatalog();
  await withContext({ catalog, annotatorsPerTrace: 3 }, async (ctx) => {
    const ids = Array.from({ length: 50 }, (_, i) => `annotator${i}`);
    const results = await Promise.all(ids.map((id) => nextAssignment(ctx, id)));
    const members = await membersOf(ctx.kv);
    assertEquals(Object.keys(members).sort(), ["alpha", "beta"]);
    assertEquals(members.alpha.length, 3);
    assertEquals(members.beta.length, 3);
    assertEquals(new Set([...members.alpha, ...members.beta]).size, 6);
    assertEquals(results.filter((r) => r !== undefined).length, 6);
    for (let i = 0; i < ids.length; i++) {
      const result = results[i];
      if (result) assert(members[result.trace.name].includes(ids[i]));
    }
  });
});

Deno.test("parallel next calls of one annotator (two tabs) reserve one trace", async () => {
  await withContext({}, async (ctx) => {
    const results = await Promise.all(Array.from({ length: 10 }, () => nextAssignment(ctx, "a")));
    assertEquals(new Set(results.map((r) => r?.trace.name)), new Set(["alpha"]));
    assertEquals(await membersOf(ctx.kv), { alpha: ["a"] });
  });
});

Deno.test("an idle unfinished reservation is released; its labels leave with history", async () => {
  const catalog = await twoTraceCatalog();
  await withContext({ catalog, annotatorsPerTrace: 1, reclaimAfterMs: 2 * HOUR }, async (ctx) => {
    const a = await nextAssignment(ctx, "a");
    assertEquals(a?.trace.name, "alpha");
    ctx.clock.now += HOUR;
    await submitLabel(ctx, { annotator: "a", trace: a!.trace, turn: 1, label: [0, 2] }); // activity at +1h
    assertEquals((await nextAssignment(ctx, "b"))?.trace.name, "beta");
    ctx.clock.now += 2 * HOUR - 1; // idle for just under 2 h: kept
    assertEquals(await nextAssignment(ctx, "c"), undefined);
    ctx.clock.now += 1; // idle for 2 h: alpha is released (beta too: b never labelled)
    ctx.changed.length = 0;
    const c = await nextAssignment(ctx, "c");
    assertEquals(c?.trace.name, "alpha");
    assertEquals(await membersOf(ctx.kv), { alpha: ["c"], beta: [] });
    assertEquals(ctx.changed.sort(), ["alpha", "alpha", "beta"]);
    assertEquals((await ctx.kv.get(KEY.label("alpha", "a", 1))).value, null);
    const history = await listHistory(ctx.kv, "alpha");
    assertEquals(history.map((h) => [h.annotator, h.turn, h.old, h.new, h.reason]), [
      ["a", 1, null, [0, 2], undefined],
      ["a", 1, [0, 2], null, "released"],
    ]);
    assert(ctx.logLines.some((line) => line.includes('Released "alpha" from annotator a')));
    assertEquals(await currentAssignment(ctx, "a"), undefined);
    // a comes back: gets a free trace (beta), starting over.
    const back = await nextAssignment(ctx, "a");
    assertEquals([back?.trace.name, back?.member.answered], ["beta", 0]);
  });
});

Deno.test("finished reservations are never released; 0 disables releasing", async () => {
  const catalog = await twoTraceCatalog();
  await withContext({ catalog, annotatorsPerTrace: 1 }, async (ctx) => {
    const a = await nextAssignment(ctx, "a");
    for (const turn of a!.trace.questions) {
      await submitLabel(ctx, { annotator: "a", trace: a!.trace, turn, label: [0] });
    }
    ctx.clock.now += 100 * HOUR;
    assertEquals(await releaseAllStale(ctx), 0);
    assertEquals((await membersOf(ctx.kv)).alpha, ["a"]);
  });
  await withContext({ catalog, annotatorsPerTrace: 1, reclaimAfterMs: 0 }, async (ctx) => {
    await nextAssignment(ctx, "a");
    ctx.clock.now += 100 * HOUR;
    assertEquals(await releaseAllStale(ctx), 0);
    assertEquals((await nextAssignment(ctx, "b"))?.trace.name, "beta");
    assertEquals(await nextAssignment(ctx, "c"), undefined);
    assertEquals((await membersOf(ctx.kv)).alpha, ["a"]);
  });
});

Deno.test("resuming one's own trace with Next counts as activity", async () => {
  const catalog = await fixtureCatalog();
  await withContext({ catalog, reclaimAfterMs: 2 * HOUR }, async (ctx) => {
    await nextAssignment(ctx, "a");
    ctx.clock.now += 1.5 * HOUR;
    assertEquals((await nextAssignment(ctx, "a"))?.resumed, true);
    ctx.clock.now += 1.5 * HOUR;
    assertEquals(await releaseAllStale(ctx), 0);
    ctx.clock.now += 0.5 * HOUR;
    assertEquals(await releaseAllStale(ctx), 1);
  });
});

Deno.test("two servers on one store (stale mirrors) still never exceed N", async () => {
  const catalog = await twoTraceCatalog();
  await withContext({ catalog, annotatorsPerTrace: 3 }, async (one) => {
    const records = new TraceRecords(one.kv);
    await records.load();
    const two = { ...one, records, commits: new CommitBatcher(one.kv) };
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => nextAssignment(i % 2 ? one : two, `annotator${i}`)),
    );
    const members = await membersOf(one.kv);
    assertEquals([members.alpha.length, members.beta.length], [3, 3]);
    assertEquals(results.filter((r) => r !== undefined).length, 6);
    // Labels through the stale mirror are still accepted and stored.
    const holder = members.alpha[0];
    const ctx = results.findIndex((r) => r?.member.id === holder) % 2 ? two : one;
    const alpha = catalog.get("alpha")!;
    await submitLabel(ctx, { annotator: holder, trace: alpha, turn: 1, label: [0] });
    await submitLabel(ctx === one ? two : one, {
      annotator: holder,
      trace: alpha,
      turn: 3,
      label: [1],
    });
    const stored = await ctx.kv.get<TraceRecordType>(KEY.trace("alpha"));
    assertEquals(stored.value?.members.find((m) => m.id === holder)?.answered, 2);
  });
});
