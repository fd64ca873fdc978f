import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { runWorkStoreSuite } from "./testing/work_store_suite.ts";
import { createKvWorkStore, openKvWorkStore } from "./kv_work_store.ts";

const TTL = { ttlMs: 1_000, maxAttempts: 3 };

Deno.test("work store on Deno KV (:memory:)", async (t) => {
  await runWorkStoreSuite(
    t,
    async (clock) => createKvWorkStore(await Deno.openKv(":memory:"), { now: () => clock.now }),
  );
});

Deno.test("a KV file work store keeps a done scene's log across close and reopen", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/nested/work.kv`;
    const log = "first line\nsecond line é😀\n".repeat(5_000); // several chunks
    const store = await openKvWorkStore(path);
    assertEquals(store.engine, "kv");
    assertEquals(store.where, path);
    await store.scenes.enqueue([{ key: "s1", payload: "{}" }, { key: "s2", payload: "{}" }]);
    const claim = (await store.scenes.claim("w1", TTL))!;
    assert(await store.scenes.complete(claim, log));
    await store.close();

    const reopened = await openKvWorkStore(path);
    try {
      const logs = [];
      for await (const entry of reopened.scenes.logs()) logs.push(entry);
      assertEquals(logs, [{ key: "s1", log }]);
      const rows = await reopened.scenes.list();
      assertEquals(rows.map((r) => [r.key, r.status, r.owner]), [
        ["s1", "done", "w1"],
        ["s2", "pending", undefined],
      ]);
    } finally {
      await reopened.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a scene payload over 60,000 bytes is refused, naming the scene", async () => {
  const store = createKvWorkStore(await Deno.openKv(":memory:"));
  try {
    // 60,000 bytes of UTF-8 with a character outside Latin-1 still fits.
    const fits = "😀" + "a".repeat(59_996);
    assertEquals(await store.scenes.enqueue([{ key: "fits", payload: fits }]), {
      added: 1,
      known: 0,
    });
    assertEquals((await store.scenes.claim("w", TTL))?.payload, fits);
    await assertRejects(
      () => store.scenes.enqueue([{ key: "too_big", payload: "a".repeat(60_001) }]),
      Error,
      '"too_big"',
    );
    assertEquals((await store.scenes.list()).map((r) => r.key), ["fits"]);
  } finally {
    await store.close();
  }
});
