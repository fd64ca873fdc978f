import { assert, assertEquals } from "../../tests/assert.ts";
import type { Trace } from "../formats/trace.ts";
import { AssignmentIndex, PositionSet } from "./assignment_index.ts";
import { nextAssignment } from "./assignment.ts";
import { releaseAllStale } from "./releases.ts";
import { submitLabel } from "./labels.ts";
import { type Catalog, catalogTrace } from "./trace_catalog.ts";
import { withContext } from "./testing/test_context.ts";

const HOUR = 3600 * 1000;

Deno.test("PositionSet: add, delete and k-th agree with a sorted list", () => {
  const n = 1000;
  const set = new PositionSet(n);
  const reference = new Set<number>();
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let step = 0; step < 5000; step++) {
    const position = Math.floor(random() * n);
    if (reference.has(position)) {
      set.delete(position);
      reference.delete(position);
    } else {
      set.add(position);
      reference.add(position);
    }
    if (step % 250 === 0) {
      const sorted = [...reference].sort((a, b) => a - b);
      assertEquals(set.size, sorted.length);
      assertEquals(sorted.map((_, k) => set.kth(k)), sorted);
      assertEquals(set.kth(sorted.length), undefined);
      assertEquals(set.kth(-1), undefined);
    }
  }
});

Deno.test("index: fewest annotators first, then by name; skips the annotator's own", () => {
  const index = new AssignmentIndex(["a", "b", "c", "d"], 2);
  assertEquals(index.pick("x"), "a");
  index.update("a", [], ["x"]);
  assertEquals(index.pick("y"), "b");
  assertEquals(index.pick("x"), "b");
  index.update("b", [], ["y"]);
  index.update("c", [], ["z"]);
  index.update("d", [], ["w"]);
  // Everything has 1: name order, never a trace one already has.
  assertEquals(index.pick("q"), "a");
  assertEquals(index.pick("x"), "b");
  index.update("a", ["x"], ["x", "y"]); // full (cap 2)
  assertEquals(index.pick("q"), "b");
  assertEquals(index.count("a"), 2);
  // A released annotator frees the slot and may get the trace again.
  index.update("a", ["x", "y"], ["y"]);
  assertEquals(index.pick("x"), "a");
  for (const name of ["b", "c", "d"]) index.update(name, [], ["p", "r"]);
  assertEquals(index.pick("y"), undefined); // a has y; the rest are full
  assertEquals(index.pick("s"), "a");
  index.update("unknown", [], ["x"]); // outside the catalogue: ignored
  assertEquals(index.count("unknown"), 0);
});

Deno.test("index: holds count until released; spread picks among the first equals", async () => {
  const index = new AssignmentIndex(["a", "b", "c", "d"], 3);
  const hold = index.hold("a");
  assertEquals([index.count("a"), index.holds], [1, 1]);
  assertEquals(index.pick("x"), "b", "a racing request takes the next trace");
  const released = index.holdReleased();
  hold.release();
  hold.release(); // twice is harmless
  await released;
  assertEquals([index.count("a"), index.holds], [0, 0]);
  assertEquals(index.pick("x"), "a");
  assertEquals(index.pick("x", 3, () => 0.99), "c");
  assertEquals(index.pick("x", 3, () => 0.5), "b");
  index.update("b", [], ["x"]);
  assertEquals(index.pick("x", 3, () => 0.99), "d", "the annotator's own are skipped");
  assertEquals(index.pick("y", 10, () => 0.99), "d", "only the least-annotated ones");
});

Deno.test("index: a held trace the annotator could take is waited for; others are not", () => {
  const index = new AssignmentIndex(["a", "b", "c"], 1);
  index.update("a", [], ["x"]);
  index.update("c", [], ["z"]);
  const hold = index.hold("b"); // y is reserving b
  assertEquals(index.pick("x"), undefined);
  assertEquals(index.heldForAnnotator("x"), true, "y's reservation may still fail");
  index.update("b", [], ["y"]);
  hold.release();
  assertEquals(index.heldForAnnotator("x"), false);
  const other = index.hold("a"); // a is full: a hold there frees nothing up for x
  assertEquals(index.heldForAnnotator("w"), false);
  other.release();
});

/** A catalog of `count` small task traces named t00000, t00001, …; `reads` counts reads. */
function syntheticCatalog(count: number): { catalog: Catalog; reads: { n: number } } {
  const turns = [
    {
      observation: { time: "1717338000", event: "The user opens the editor." },
      agent_response: { candidate_task: ["Explain", "Test"] },
      task_status: false,
    },
  ] as unknown as Trace;
  const list = Array.from(
    { length: count },
    (_, i) => catalogTrace(`t${String(i).padStart(5, "0")}`, turns, []),
  );
  const byName = new Map(list.map((t) => [t.name, t]));
  const reads = { n: 0 };
  // Counts every element read of `traces`: a scan of the catalogue reads them all.
  const traces = new Proxy(list, {
    get(target, key, receiver) {
      if (typeof key === "string" && /^\d+$/.test(key)) reads.n++;
      return Reflect.get(target, key, receiver);
    },
  });
  return { catalog: { traces, get: (name) => byName.get(name), source: "synthetic" }, reads };
}

/** Index steps per Next (and catalogue reads) for 60 annotators after a warm-up Next. */
async function costOfNext(traces: number): Promise<{ steps: number; reads: number }> {
  const { catalog, reads } = syntheticCatalog(traces);
  let result = { steps: 0, reads: 0 };
  await withContext({ catalog, annotatorsPerTrace: 3 }, async (ctx) => {
    await nextAssignment(ctx, "warm-up"); // builds the index; the first scan for idle ones
    const index = ctx.records.assignmentIndex(catalog, 3);
    const steps = index.cost.steps;
    const before = reads.n;
    for (let i = 0; i < 60; i++) {
      const next = await nextAssignment(ctx, `a${i}`);
      assert(next !== undefined);
      await submitLabel(ctx, { annotator: `a${i}`, trace: next.trace, turn: 0, label: [0] }); // finished: Next gives another
      assertEquals((await nextAssignment(ctx, `a${i}`))?.resumed, false);
    }
    result = { steps: (index.cost.steps - steps) / 120, reads: reads.n - before };
  });
  return result;
}

Deno.test("Next does not scan the catalogue: its work grows with log(traces)", async () => {
  const small = await costOfNext(100);
  const large = await costOfNext(10_000);
  assertEquals([small.reads, large.reads], [0, 0], "no trace list read after the first Next");
  assert(large.steps < 300, `${large.steps} index steps per Next on 10,000 traces`);
  // log2(10,000) / log2(100) = 2 (plus constant work); a scan would be 100 times the work.
  assert(large.steps < 4 * small.steps, `${large.steps} vs ${small.steps} steps per Next`);
});

Deno.test("the index follows reservations, releases and finished traces", async () => {
  const { catalog } = syntheticCatalog(3);
  await withContext({ catalog, annotatorsPerTrace: 2, reclaimAfterMs: 2 * HOUR }, async (ctx) => {
    const index = ctx.records.assignmentIndex(catalog, 2);
    const a = await nextAssignment(ctx, "a");
    assertEquals([a?.trace.name, index.count("t00000"), index.holds], ["t00000", 1, 0]);
    const b = await nextAssignment(ctx, "b");
    assertEquals([b?.trace.name, index.count("t00001")], ["t00001", 1]);
    await submitLabel(ctx, { annotator: "a", trace: a!.trace, turn: 0, label: [1] }); // a finishes t00000: still counted
    assertEquals(index.count("t00000"), 1);
    assertEquals((await nextAssignment(ctx, "a"))?.trace.name, "t00002");
    ctx.clock.now += 2 * HOUR; // b idle on t00001 (unfinished), a idle on t00002
    assertEquals(await releaseAllStale(ctx), 2);
    assertEquals(
      ["t00000", "t00001", "t00002"].map((t) => index.count(t)),
      [1, 0, 0],
      "released slots are free again; the finished one stays",
    );
    assertEquals(index.pick("c"), "t00001");
    assertEquals(index.pick("a"), "t00001");
  });
});

Deno.test("100 racing Nexts on 40 traces with N=3: spread, never over N, no retry", async () => {
  const { catalog } = syntheticCatalog(40);
  await withContext({ catalog, annotatorsPerTrace: 3 }, async (ctx) => {
    const commit = ctx.commits.commit.bind(ctx.commits);
    let failed = 0;
    ctx.commits.commit = async (op) => {
      const result = await commit(op);
      if (!result.ok) failed++;
      return result;
    };
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => nextAssignment(ctx, `r${i}`)),
    );
    const counts = new Map<string, number>();
    for (const r of results) counts.set(r!.trace.name, (counts.get(r!.trace.name) ?? 0) + 1);
    // Least-annotated first: 40 traces get 2 or 3 each (100 = 40 × 2 + 20).
    assertEquals(counts.size, 40);
    assertEquals([...counts.values()].filter((n) => n === 3).length, 20);
    assertEquals([...counts.values()].filter((n) => n === 2).length, 20);
    // Racing requests pick different traces, and the writers of one trace queue instead of
    // failing each other's checks: no retries.
    assertEquals(failed, 0);
  });
});
