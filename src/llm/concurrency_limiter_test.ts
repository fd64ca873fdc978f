import { assertEquals, assertRejects, assertThrows } from "../../tests/assert.ts";
import { ConcurrencyLimiter } from "./concurrency_limiter.ts";

Deno.test("ConcurrencyLimiter never runs more than its limit and runs everything", async () => {
  const limiter = new ConcurrencyLimiter(3);
  let running = 0;
  let peak = 0;
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) =>
    limiter.run(async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 1));
      running--;
      return i;
    })));
  assertEquals(results, Array.from({ length: 20 }, (_, i) => i));
  assertEquals(peak, 3);
  assertEquals(limiter.maxInFlight, 3);
  assertEquals(limiter.inFlight, 0);
});

Deno.test("ConcurrencyLimiter frees the slot of a failed task", async () => {
  const limiter = new ConcurrencyLimiter(1);
  await assertRejects(() => limiter.run(() => Promise.reject(new Error("boom"))), Error, "boom");
  assertEquals(await limiter.run(() => Promise.resolve("next")), "next");
});

Deno.test("ConcurrencyLimiter drops a waiting task when its signal aborts", async () => {
  const limiter = new ConcurrencyLimiter(1);
  let release!: () => void;
  const blocker = limiter.run(() => new Promise<void>((resolve) => release = resolve));
  const controller = new AbortController();
  const waiting = limiter.run(() => Promise.resolve("never"), controller.signal);
  assertEquals(limiter.waiting, 1);
  controller.abort(new Error("stop"));
  await assertRejects(() => waiting, Error, "stop");
  assertEquals(limiter.waiting, 0);
  release();
  await blocker;
  assertThrows(() => new ConcurrencyLimiter(0), RangeError);
});

Deno.test("ConcurrencyLimiter gives a freed slot to the highest priority, earliest first", async () => {
  const limiter = new ConcurrencyLimiter(1);
  const order: string[] = [];
  let release!: () => void;
  const first = limiter.run(() => new Promise<void>((resolve) => release = resolve));
  const queued = [
    ["low-1", 0],
    ["high-1", 1],
    ["low-2", 0],
    ["high-2", 1],
    ["lowest", -1],
  ] as const;
  const runs = queued.map(([name, priority]) =>
    limiter.run(
      () => {
        order.push(name);
        return Promise.resolve();
      },
      undefined,
      priority,
    )
  );
  // A waiting high-priority task that aborts is skipped.
  const stop = new AbortController();
  const dropped = limiter.run(() => Promise.resolve(order.push("dropped")), stop.signal, 5);
  stop.abort(new Error("gone"));
  await assertRejects(() => dropped, Error, "gone");
  assertEquals(limiter.waiting, 5);
  release();
  await Promise.all([first, ...runs]);
  assertEquals(order, ["high-1", "high-2", "low-1", "low-2", "lowest"]);
  assertEquals([limiter.waiting, limiter.inFlight], [0, 0]);
});
