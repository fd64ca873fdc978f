import { assert, assertEquals } from "../../tests/assert.ts";
import { createKvLeaseStore, isBusyError, openKvLeaseStore } from "./kv_lease_store.ts";

function fakeClock(start = 1_000_000) {
  let time = start;
  return { now: () => time, advance: (ms: number) => void (time += ms) };
}

async function memoryStore(clock = fakeClock()) {
  const kv = await Deno.openKv(":memory:");
  return { store: createKvLeaseStore(kv, { now: clock.now }), clock, kv };
}

Deno.test("a free key is leased once; the holder is named until release", async () => {
  const { store } = await memoryStore();
  const lease = await store.tryAcquire("scene_a", "run A", 60_000);
  assert(lease, "the first caller gets the lease");
  assertEquals(lease.owner, "run A");
  assertEquals(await store.tryAcquire("scene_a", "run B", 60_000), undefined);
  assertEquals((await store.holder("scene_a"))?.owner, "run A");
  assert(await store.tryAcquire("scene_b", "run B", 60_000), "other keys are independent");
  await store.release(lease);
  assertEquals(await store.holder("scene_a"), undefined);
  assertEquals((await store.tryAcquire("scene_a", "run B", 60_000))?.owner, "run B");
  store.close();
});

Deno.test("many acquirers racing for one key: exactly one wins", async () => {
  const path = `${await Deno.makeTempDir()}/leases.kv`;
  // Several KV handles on one file, as several processes would have.
  const stores = await Promise.all(
    Array.from({ length: 6 }, () => openKvLeaseStore(path)),
  );
  try {
    for (let round = 0; round < 5; round++) {
      const key = `scene_${round}`;
      const results = await Promise.all(
        stores.flatMap((store, s) =>
          Array.from({ length: 5 }, (_, i) => store.tryAcquire(key, `owner ${s}.${i}`, 60_000))
        ),
      );
      const winners = results.filter((lease) => lease !== undefined);
      assertEquals(winners.length, 1, `round ${round}: ${winners.length} winners`);
      assertEquals((await stores[0].holder(key))?.owner, winners[0]!.owner);
    }
  } finally {
    for (const store of stores) store.close();
  }
});

Deno.test("an expired lease is taken over; the old holder can neither renew nor release it", async () => {
  const { store, clock } = await memoryStore();
  const old = await store.tryAcquire("scene_a", "killed run", 60_000);
  assert(old);
  clock.advance(59_999);
  assertEquals(await store.tryAcquire("scene_a", "next run", 60_000), undefined);
  clock.advance(1);
  assertEquals(await store.holder("scene_a"), undefined, "expired at expiresAt");
  const next = await store.tryAcquire("scene_a", "next run", 60_000);
  assert(next, "the expired lease is taken over");
  assertEquals(await store.renew(old, 60_000), undefined, "the old holder lost it");
  await store.release(old);
  assertEquals((await store.holder("scene_a"))?.owner, "next run", "release of a lost lease");
  store.close();
});

Deno.test("renewal extends the lease from now and keeps others out", async () => {
  const { store, clock } = await memoryStore();
  let lease = await store.tryAcquire("scene_a", "run A", 30_000);
  assert(lease);
  for (let i = 0; i < 5; i++) {
    clock.advance(20_000);
    const renewed = await store.renew(lease, 30_000);
    assert(renewed, `renewal ${i}`);
    assertEquals(renewed.expiresAt, clock.now() + 30_000);
    lease = renewed;
    assertEquals(await store.tryAcquire("scene_a", "run B", 30_000), undefined);
  }
  // A late renewal still succeeds while nobody took the lease over.
  clock.advance(45_000);
  assert(await store.renew(lease, 30_000));
  store.close();
});

Deno.test("a lease token is unique: the same owner name does not share a lease", async () => {
  const { store, clock } = await memoryStore();
  const first = await store.tryAcquire("k", "same", 1_000);
  assert(first);
  clock.advance(1_000);
  const second = await store.tryAcquire("k", "same", 1_000);
  assert(second);
  assert(first.token !== second.token);
  assertEquals(await store.renew(first, 1_000), undefined);
  assert(await store.renew(second, 1_000));
  store.close();
});

Deno.test("opening a lease store in a folder that cannot be created names the path", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/file`, "x");
  let message = "";
  try {
    await openKvLeaseStore(`${dir}/file/state/leases.kv`);
  } catch (error) {
    message = (error as Error).message;
  }
  assert(message.includes(`${dir}/file/state`), message);
});

Deno.test("only SQLite's busy errors are retried", () => {
  assert(isBusyError(new TypeError("database is locked")));
  assert(!isBusyError(new TypeError("file is not a database")));
});

Deno.test("an unexpired lease is taken over at once when its holder is abandoned", async () => {
  const { store } = await memoryStore();
  assert(await store.tryAcquire("scene_a", "dead run", 60_000));
  assert(await store.tryAcquire("scene_b", "live run", 60_000));
  const isAbandoned = (holder: { owner: string }) => holder.owner === "dead run";
  const taken = await store.tryAcquire("scene_a", "new run", 60_000, { isAbandoned });
  assertEquals(taken?.owner, "new run");
  assertEquals((await store.holder("scene_a"))?.owner, "new run");
  assertEquals(await store.tryAcquire("scene_b", "new run", 60_000, { isAbandoned }), undefined);
  store.close();
});

Deno.test("a lease store file planted as a link is refused, and its target left alone", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/victim`, "keep");
  await Deno.symlink(`${dir}/victim`, `${dir}/leases.kv`);
  let message = "";
  await openKvLeaseStore(`${dir}/leases.kv`).catch((error) => message = error.message);
  assert(message.includes(`"${dir}/leases.kv" is a symbolic link`), message);
  assertEquals(await Deno.readTextFile(`${dir}/victim`), "keep");
  await Deno.remove(dir, { recursive: true });
});
