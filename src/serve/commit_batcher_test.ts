import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { CommitBatcher } from "./commit_batcher.ts";

async function withKv(fn: (kv: Deno.Kv) => Promise<void>) {
  const kv = await Deno.openKv(":memory:");
  try {
    await fn(kv);
  } finally {
    kv.close();
  }
}

const set = (key: Deno.KvKey, value: unknown): Deno.KvMutation => ({ type: "set", key, value });

Deno.test("concurrent operations share commits and all land", async () => {
  await withKv(async (kv) => {
    const batcher = new CommitBatcher(kv);
    const results = await Promise.all(
      Array.from(
        { length: 50 },
        (_, i) =>
          batcher.commit({
            checks: [{ key: ["a", i], versionstamp: null }],
            mutations: [set(["a", i], i)],
          }),
      ),
    );
    assert(results.every((r) => r.ok));
    assert(batcher.commits < 50, `${batcher.commits} commits for 50 operations`);
    for (let i = 0; i < 50; i++) assertEquals((await kv.get(["a", i])).value, i);
    // Operations in one commit share its versionstamp.
    const stamps = new Set(results.map((r) => (r.ok ? r.versionstamp : "")));
    assertEquals(stamps.size, batcher.commits);
  });
});

Deno.test("racing operations on one key: exactly one wins, no lost update", async () => {
  await withKv(async (kv) => {
    const batcher = new CommitBatcher(kv);
    const base = await kv.set(["counter"], 0);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        batcher.commit({
          checks: [{ key: ["counter"], versionstamp: base.versionstamp }],
          mutations: [set(["counter"], i + 1), set(["log", i], true)],
        })),
    );
    assertEquals(results.filter((r) => r.ok).length, 1);
    const winner = results.findIndex((r) => r.ok);
    assertEquals((await kv.get(["counter"])).value, winner + 1);
    let logged = 0;
    for await (const _ of kv.list({ prefix: ["log"] })) logged++;
    assertEquals(logged, 1);
    // The losers failed without extra commits (their check was known to fail).
    assert(batcher.commits <= 2, `${batcher.commits} commits`);
  });
});

Deno.test("retries with fresh versionstamps succeed in turn (an optimistic counter)", async () => {
  await withKv(async (kv) => {
    const batcher = new CommitBatcher(kv);
    await kv.set(["n"], 0);
    await Promise.all(Array.from({ length: 15 }, async () => {
      for (let attempt = 0; attempt < 100; attempt++) {
        const entry = await kv.get<number>(["n"]);
        const result = await batcher.commit({
          checks: [entry],
          mutations: [set(["n"], entry.value! + 1)],
        });
        if (result.ok) return;
      }
      throw new Error("never committed");
    }));
    assertEquals((await kv.get(["n"])).value, 15);
  });
});

Deno.test("a failing check from outside fails only its own operation", async () => {
  await withKv(async (kv) => {
    const batcher = new CommitBatcher(kv);
    const stale = await kv.set(["x"], "old");
    await kv.set(["x"], "changed elsewhere"); // unknown to the batcher
    // Keep a commit running so the next operations are merged into one batch.
    const first = batcher.commit({ checks: [], mutations: [set(["first"], 1)] });
    const merged = [
      batcher.commit({
        checks: [{ key: ["x"], versionstamp: stale.versionstamp }],
        mutations: [set(["x"], "mine")],
      }),
      batcher.commit({ checks: [], mutations: [set(["y"], 1)] }),
      batcher.commit({ checks: [{ key: ["z"], versionstamp: null }], mutations: [set(["z"], 1)] }),
    ];
    assertEquals((await first).ok, true);
    assertEquals((await Promise.all(merged)).map((r) => r.ok), [false, true, true]);
    assertEquals((await kv.get(["x"])).value, "changed elsewhere");
    assertEquals((await kv.get(["y"])).value, 1);
  });
});

Deno.test("batches respect the check limit and a bad operation rejects alone", async () => {
  await withKv(async (kv) => {
    const batcher = new CommitBatcher(kv, { maxChecks: 10 });
    const ops = Array.from(
      { length: 30 },
      (_, i) =>
        batcher.commit({
          checks: [{ key: ["c", i], versionstamp: null }],
          mutations: [set(["c", i], i)],
        }),
    );
    const tooBig = batcher.commit({
      checks: [],
      mutations: Array.from({ length: 1001 }, (_, i) => set(["big", i], i)),
    });
    assert((await Promise.all(ops)).every((r) => r.ok));
    await assertRejects(() => tooBig, Error, "Too many mutations");
    assert(batcher.commits >= 3);
  });
});
