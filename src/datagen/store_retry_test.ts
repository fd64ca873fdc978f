import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { createMemoryLogger } from "../cli/testing/memory_logger.ts";
import { createKvWorkStore } from "../store/kv_work_store.ts";
import { holdClaim, isStoreUnavailable, withStoreRetry } from "./store_retry.ts";

const refused = () =>
  Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5"), { code: "ECONNREFUSED" });

Deno.test("isStoreUnavailable: lost connections and restarts, not SQL errors", () => {
  for (
    const error of [
      refused(),
      Object.assign(new Error("x"), { code: "CONNECTION_CLOSED" }),
      Object.assign(new Error("terminating connection due to administrator command"), {
        code: "57P01",
      }),
      Object.assign(new Error("the database system is starting up"), { code: "57P03" }),
      new Error("Cannot open the database postgres://h/db", { cause: refused() }),
      new Error("database is locked"),
    ]
  ) {
    assert(isStoreUnavailable(error), error.message);
  }
  for (
    const error of [
      Object.assign(new Error('relation "x" does not exist'), { code: "42P01" }),
      new TypeError("x is not a function"),
    ]
  ) {
    assert(!isStoreUnavailable(error), error.message);
  }
});

Deno.test("withStoreRetry: retried while unreachable, then the answer; a timeout names the store", async () => {
  const clock = { now: 0 };
  const pauses: number[] = [];
  const logger = createMemoryLogger();
  const retry = {
    timeoutMs: 5_000,
    where: "postgres://u:***@db/gym",
    logger,
    now: () => clock.now,
    sleep: (ms: number) => {
      pauses.push(ms);
      clock.now += ms;
      return Promise.resolve();
    },
  };
  let calls = 0;
  const answer = await withStoreRetry(() => {
    if (++calls < 4) return Promise.reject(refused());
    return Promise.resolve("ok");
  }, retry);
  assertEquals([answer, calls, pauses], ["ok", 4, [250, 500, 1000]]);
  assert(logger.lines.some((l) => l.includes("Cannot reach the database postgres://u:***@db/gym")));
  assert(logger.lines.some((l) => l.includes("answers again")));

  const error = await assertRejects(
    () => withStoreRetry(() => Promise.reject(refused()), retry),
    ProactiveError,
  );
  assertStringIncludes(
    error.message,
    "Lost the database postgres://u:***@db/gym: no answer for 5 s",
  );
  const sqlError = Object.assign(new Error("syntax"), { code: "42601" });
  const thrown = await assertRejects(() => withStoreRetry(() => Promise.reject(sqlError), retry));
  assertEquals(thrown, sqlError, "other errors at once");
});

Deno.test("holdClaim renews the lease and aborts when it is taken over", async () => {
  const clock = { now: 1_000 };
  const store = createKvWorkStore(await Deno.openKv(":memory:"), { now: () => clock.now });
  try {
    await store.scenes.enqueue([{ key: "s", payload: "{}" }]);
    const claim = (await store.scenes.claim("w1", { ttlMs: 60, maxAttempts: 3 }))!;
    const held = holdClaim(store, claim, {
      ttlMs: 60,
      now: () => clock.now,
      logger: createMemoryLogger(),
    });
    clock.now += 50;
    await new Promise((resolve) => setTimeout(resolve, 60)); // a renewal runs (every 20 ms)
    assert(held.current().expiresAt > claim.expiresAt, "renewed");
    assert(!held.signal.aborted);
    await store.scenes.release(held.current()); // as if another worker took it over
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert(held.signal.aborted);
    assertStringIncludes(String(held.signal.reason), "taken over by another worker");
    held.stop();
  } finally {
    await store.close();
  }
});
