/**
 * Test support: the behavioural suite every `WorkStore` engine must pass (`work_store.ts`),
 * run by `kv_work_store_test.ts` and `postgres_work_store_test.ts` as the steps of one
 * test each. `open(clock)` gives a fresh, empty store on the test's clock.
 */
import { assert, assertEquals } from "../../../tests/assert.ts";
import type { Completion } from "../../llm/completion_cache.ts";
import { expiredReason, type SceneClaim, type WorkStore } from "../work_store.ts";

export interface SuiteClock {
  now: number;
}

type Open = (clock: SuiteClock) => Promise<WorkStore>;

const TTL = { ttlMs: 1_000, maxAttempts: 3 };
const scenes = (...keys: string[]) => keys.map((key) => ({ key, payload: `{"scene":"${key}"}` }));

async function withStore(open: Open, body: (s: WorkStore, clock: SuiteClock) => Promise<void>) {
  const clock = { now: 1_000_000 };
  const store = await open(clock);
  try {
    await body(store, clock);
  } finally {
    await store.close();
  }
}

/** Every step of the suite, as `[name, body]`. */
export const WORK_STORE_CASES: [string, (s: WorkStore, clock: SuiteClock) => Promise<void>][] = [
  ["enqueue adds new keys once; list is in key order", async (store) => {
    assertEquals(await store.scenes.enqueue(scenes("b", "a")), { added: 2, known: 0 });
    assertEquals(await store.scenes.enqueue(scenes("a", "c")), { added: 1, known: 1 });
    const rows = await store.scenes.list();
    assertEquals(rows.map((r) => [r.key, r.status, r.attempts]), [
      ["a", "pending", 0],
      ["b", "pending", 0],
      ["c", "pending", 0],
    ]);
  }],
  ["open work: while some scene is pending or leased", async (store) => {
    assertEquals(await store.scenes.hasOpenWork(), false);
    await store.scenes.enqueue(scenes("o1", "o2"));
    assertEquals(await store.scenes.hasOpenWork(), true);
    const first = (await store.scenes.claim("w", TTL))!;
    const second = (await store.scenes.claim("w", TTL))!;
    assertEquals(await store.scenes.hasOpenWork(), true, "leased");
    await store.scenes.complete(first, "log");
    await store.scenes.fail(second, "no", 1);
    assertEquals(await store.scenes.hasOpenWork(), false, "done and failed");
  }],
  ["claims come in key order, one scene each, until none is left", async (store, clock) => {
    await store.scenes.enqueue(scenes("s2", "s1"));
    const first = await store.scenes.claim("w1", TTL);
    assertEquals([first?.key, first?.payload, first?.attempt], ["s1", '{"scene":"s1"}', 1]);
    assertEquals(first?.expiresAt, clock.now + 1_000);
    const second = await store.scenes.claim("w2", TTL);
    assertEquals(second?.key, "s2");
    assertEquals(await store.scenes.claim("w3", TTL), undefined);
    const leased = await store.scenes.list();
    assertEquals(leased.map((r) => [r.status, r.owner]), [["leased", "w1"], ["leased", "w2"]]);
  }],
  ["racing workers each get other scenes: every scene exactly once", async (store) => {
    const keys = Array.from({ length: 40 }, (_, i) => `scene_${String(i).padStart(2, "0")}`);
    await store.scenes.enqueue(scenes(...keys));
    const got: string[] = [];
    await Promise.all(Array.from({ length: 8 }, async (_, w) => {
      for (;;) {
        const claim = await store.scenes.claim(`w${w}`, TTL);
        if (!claim) return;
        got.push(claim.key);
        assert(await store.scenes.complete(claim, `log of ${claim.key}`));
      }
    }));
    assertEquals(got.toSorted(), keys);
    const rows = await store.scenes.list();
    assert(rows.every((r) => r.status === "done"));
  }],
  [
    "an expired lease is taken over (attempt 2); the old claim is fenced off",
    async (store, clock) => {
      await store.scenes.enqueue(scenes("x"));
      const old = (await store.scenes.claim("w1", TTL))!;
      clock.now += 999;
      assertEquals(await store.scenes.claim("w2", TTL), undefined, "not expired yet");
      clock.now += 1;
      const taken = (await store.scenes.claim("w2", TTL))!;
      assertEquals([taken.key, taken.owner, taken.attempt], ["x", "w2", 2]);
      assertEquals(await store.scenes.renew(old, 1_000), undefined);
      assertEquals(await store.scenes.complete(old, "stale log"), false);
      assertEquals(await store.scenes.fail(old, "late", 3), "lost");
      await store.scenes.release(old); // not ours: nothing happens
      assertEquals((await store.scenes.list())[0].owner, "w2");
      assert(await store.scenes.complete(taken, "the log"));
      const logs = [];
      for await (const entry of store.scenes.logs()) logs.push(entry);
      assertEquals(logs, [{ key: "x", log: "the log" }]);
      const [row] = await store.scenes.list();
      assertEquals([row.status, row.owner, row.attempts, row.doneAt], ["done", "w2", 2, clock.now]);
    },
  ],
  ["renew extends a claim that is still ours, expired or not", async (store, clock) => {
    await store.scenes.enqueue(scenes("r"));
    const claim = (await store.scenes.claim("w1", TTL))!;
    clock.now += 600;
    const renewed = (await store.scenes.renew(claim, 1_000))!;
    assertEquals(renewed.expiresAt, clock.now + 1_000);
    clock.now += 900;
    assertEquals(await store.scenes.claim("w2", TTL), undefined, "renewed: still w1's");
    clock.now += 500; // expired, but nobody took it over
    assert(await store.scenes.renew(renewed, 1_000));
    assert(await store.scenes.complete(renewed, "log"));
  }],
  ["a failed attempt is retried until the limit, then failed with its reason", async (store) => {
    await store.scenes.enqueue(scenes("f", "g"));
    for (let attempt = 1; attempt <= 3; attempt++) {
      const claim = (await store.scenes.claim("w", TTL))!;
      assertEquals([claim.key, claim.attempt], ["f", attempt]);
      const outcome = await store.scenes.fail(claim, `boom ${attempt}`, 3);
      assertEquals(outcome, attempt < 3 ? "pending" : "failed");
    }
    const next = (await store.scenes.claim("w", TTL))!;
    assertEquals(next.key, "g", "a failed scene is not claimed");
    const [row] = await store.scenes.list();
    assertEquals([row.status, row.attempts, row.reason], ["failed", 3, "boom 3"]);
    assertEquals(await store.scenes.retryFailed(), 1);
    const again = (await store.scenes.claim("w", TTL))!;
    assertEquals([again.key, again.attempt], ["f", 1]);
  }],
  ["a lease that ran out on its last attempt fails the scene", async (store, clock) => {
    await store.scenes.enqueue(scenes("e"));
    for (let attempt = 1; attempt <= 3; attempt++) {
      const claim = (await store.scenes.claim(`w${attempt}`, TTL))!;
      assertEquals(claim.attempt, attempt);
      clock.now += 1_000; // its worker died
    }
    assertEquals(await store.scenes.claim("w4", TTL), undefined);
    const [row] = await store.scenes.list();
    assertEquals([row.status, row.reason], ["failed", expiredReason(3)]);
  }],
  ["release gives the scene back without counting the attempt", async (store) => {
    await store.scenes.enqueue(scenes("q"));
    const claim = (await store.scenes.claim("w1", TTL))!;
    await store.scenes.release(claim);
    const [row] = await store.scenes.list();
    assertEquals([row.status, row.attempts], ["pending", 0]);
    const again = (await store.scenes.claim("w2", TTL))!;
    assertEquals(again.attempt, 1);
    assertEquals(await store.scenes.complete(claim, "old token"), false);
  }],
  ["logs: only done scenes, in key order, any size and any text", async (store) => {
    await store.scenes.enqueue(scenes("b", "a", "c"));
    const big = "é😀 line\n".repeat(30_000); // ~330 KB
    const claims: SceneClaim[] = [];
    for (let i = 0; i < 3; i++) claims.push((await store.scenes.claim("w", TTL))!);
    assert(await store.scenes.complete(claims[2], "c's log"));
    assert(await store.scenes.complete(claims[0], big));
    const logs = [];
    for await (const entry of store.scenes.logs()) logs.push(entry);
    assertEquals(logs.map((l) => l.key), ["a", "c"]);
    assertEquals(logs[0].log, big);
    assertEquals(logs[1].log, "c's log");
  }],
  ["run accounts: one per worker run, replaced when it reports again", async (store) => {
    const account = (owner: string, done: number) => ({
      owner,
      at: 5,
      scenes: { done, failed: 1, taken: 0, interrupted: 0 },
      requests: 10 * done,
      promptTokens: 100,
      completionTokens: 20,
      durationMs: 1_000,
    });
    assertEquals(await store.runs.list(), []);
    await store.runs.record(account("w2", 1));
    await store.runs.record(account("w1", 2));
    await store.runs.record(account("w2", 3));
    assertEquals(await store.runs.list(), [account("w1", 2), account("w2", 3)]);
  }],
  ["stored files: put replaces, get reads back any size, keys by prefix", async (store) => {
    assertEquals(await store.files.get("eval-agent/m/a.json"), undefined);
    const big = "[" + '"é😀",'.repeat(40_000) + '""]'; // ~360 KB
    await store.files.put("eval-agent/m/b.json", "first");
    await store.files.put("eval-agent/m/b.json", big);
    await store.files.put("eval-agent/m/a.json", "[]");
    await store.files.put("eval-agent/n/a.json", "[1]");
    assertEquals(await store.files.get("eval-agent/m/b.json"), big);
    assertEquals(await store.files.keys("eval-agent/m/"), [
      "eval-agent/m/a.json",
      "eval-agent/m/b.json",
    ]);
    assertEquals(await store.files.keys("nothing/"), []);
  }],
  ["the completion cache keeps the first answer of a key", async (store) => {
    const completion = (text: string): Completion => ({
      choices: [{ text, finishReason: "stop" }],
      usage: { promptTokens: 3, completionTokens: 1 },
    });
    const request = { model: "m", messages: [{ role: "user", content: "hi" }], params: {} };
    assertEquals(store.completions.enabled, true);
    assertEquals(await store.completions.get("k1"), undefined);
    await store.completions.put("k1", request, completion("first"));
    await store.completions.put("k1", request, completion("second"));
    assertEquals(await store.completions.get("k1"), completion("first"));
    const large = completion("x".repeat(200_000));
    await Promise.all([
      store.completions.put("k2", request, large),
      store.completions.put("k2", request, large),
    ]);
    assertEquals(await store.completions.get("k2"), large);
  }],
];

/** Runs every case against `open` as steps of the caller's test. */
export async function runWorkStoreSuite(t: Deno.TestContext, open: Open): Promise<void> {
  for (const [name, body] of WORK_STORE_CASES) {
    await t.step(name, () => withStore(open, body));
  }
}
