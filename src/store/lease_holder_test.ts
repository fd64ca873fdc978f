import { assert, assertEquals } from "../../tests/assert.ts";
import { createMemoryLogger } from "../cli/testing/memory_logger.ts";
import { createKvLeaseStore } from "./kv_lease_store.ts";
import type { LeaseStore } from "./lease_store.ts";
import { holdLease, type LeaseTimers } from "./lease_holder.ts";

/** A fake clock with timers that fire only when the test advances it. */
function fakeTime() {
  let time = 0;
  let nextId = 1;
  const pending = new Map<number, { at: number; callback: () => void }>();
  const timers: LeaseTimers = {
    setTimeout(callback, ms) {
      const id = nextId++;
      pending.set(id, { at: time + ms, callback });
      return id;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
  };
  return {
    now: () => time,
    timers,
    pendingCount: () => pending.size,
    /**
     * Moves the clock, firing due timers in order; after each, waits (in real time) until the
     * renewal it started has settled: a new timer is scheduled, or `stopped()` holds.
     */
    async advance(ms: number, stopped: () => boolean = () => false) {
      const end = time + ms;
      for (;;) {
        const due = [...pending.entries()].filter(([, t]) => t.at <= end)
          .sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        pending.delete(due[0]);
        time = due[1].at;
        due[1].callback();
        const deadline = Date.now() + 10_000;
        while (pending.size === 0 && !stopped()) {
          if (Date.now() > deadline) throw new Error("the renewal never settled");
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      }
      time = end;
    },
  };
}

async function setup() {
  const clock = fakeTime();
  const kv = await Deno.openKv(":memory:");
  const store = createKvLeaseStore(kv, { now: clock.now });
  return { clock, store };
}

Deno.test("a held lease is renewed every third of its ttl and keeps others out", async () => {
  const { clock, store } = await setup();
  const held = await holdLease(store, "scene_a", "run A", {
    ttlMs: 60_000,
    now: clock.now,
    timers: clock.timers,
  });
  assert(held);
  for (let i = 0; i < 6; i++) {
    await clock.advance(20_000);
    assertEquals(held.lease.expiresAt, clock.now() + 60_000, `renewed at ${clock.now()}`);
    assertEquals(await store.tryAcquire("scene_a", "run B", 60_000), undefined);
  }
  assert(!held.signal.aborted);
  await held.release();
  assertEquals(clock.pendingCount(), 0, "no timer is left after release");
  assert(await store.tryAcquire("scene_a", "run B", 60_000), "released");
  store.close();
});

Deno.test("holding a lease someone else has resolves to undefined", async () => {
  const { clock, store } = await setup();
  await store.tryAcquire("scene_a", "run B", 60_000);
  const held = await holdLease(store, "scene_a", "run A", { now: clock.now, timers: clock.timers });
  assertEquals(held, undefined);
  assertEquals(clock.pendingCount(), 0);
  store.close();
});

Deno.test("a lease taken over by another run aborts the holder's signal", async () => {
  const { clock, store } = await setup();
  const held = await holdLease(store, "scene_a", "run A", {
    ttlMs: 30_000,
    renewEveryMs: 40_000, // too late on purpose: the lease expires before renewal
    now: clock.now,
    timers: clock.timers,
  });
  assert(held);
  await clock.advance(30_000);
  assert(await store.tryAcquire("scene_a", "run B", 30_000), "expired, taken over");
  await clock.advance(10_000, () => held.signal.aborted);
  assert(held.signal.aborted);
  assert(String(held.signal.reason).includes(`"scene_a" was lost`), String(held.signal.reason));
  await held.release();
  assertEquals((await store.holder("scene_a"))?.owner, "run B", "release leaves B's lease");
  store.close();
});

Deno.test("a store that fails renewals aborts only once the lease has run out", async () => {
  const { clock, store: real } = await setup();
  let failing = false;
  const store: LeaseStore = {
    ...real,
    renew: (lease, ttl) =>
      failing ? Promise.reject(new Error("disk I/O error")) : real.renew(lease, ttl),
  };
  const logger = createMemoryLogger();
  const held = await holdLease(store, "scene_a", "run A", {
    ttlMs: 30_000,
    now: clock.now,
    timers: clock.timers,
    logger,
  });
  assert(held);
  failing = true;
  await clock.advance(20_000);
  assert(!held.signal.aborted, "one failed renewal is retried");
  assert(logger.lines.some((l) => l.includes("Cannot renew the lease")), logger.lines.join("\n"));
  await clock.advance(10_000, () => held.signal.aborted);
  assert(held.signal.aborted, "aborted once the lease expired");
  assert(String(held.signal.reason).includes("disk I/O error"));
  await held.release();
  real.close();
});
