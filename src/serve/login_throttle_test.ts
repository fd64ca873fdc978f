import { assertEquals } from "../../tests/assert.ts";
import { KEY, type LoginFailures } from "./kv_schema.ts";
import { LOGIN_FAILURE_WINDOW_MS, LoginThrottle, minutesText } from "./login_throttle.ts";

async function withKv(fn: (kv: Deno.Kv) => Promise<void>): Promise<void> {
  const kv = await Deno.openKv(":memory:");
  try {
    await fn(kv);
  } finally {
    kv.close();
  }
}

Deno.test("five failures of one username lock it until the window ends; other names go on", async () => {
  await withKv(async (kv) => {
    let clock = 0;
    const throttle = new LoginThrottle(kv, () => clock);
    for (let i = 1; i <= 5; i++) {
      assertEquals(await throttle.attempt("x", "10.0.0.1", false), {
        kind: "wrong",
        usernameFailures: i,
        addressFailures: i,
      });
      clock += 1000;
    }
    // First failure at 0, now 5 s later: 15 min − 5 s left, right password or not.
    assertEquals(await throttle.attempt("x", "10.0.0.1", true), {
      kind: "locked",
      scope: "username",
      retryAfterMs: LOGIN_FAILURE_WINDOW_MS - 5000,
    });
    assertEquals((await throttle.attempt("y", "10.0.0.1", true)).kind, "ok");
    clock = LOGIN_FAILURE_WINDOW_MS;
    assertEquals((await throttle.attempt("x", "10.0.0.1", true)).kind, "ok");
  });
});

Deno.test("twenty failures from one address lock the address for every username", async () => {
  await withKv(async (kv) => {
    const throttle = new LoginThrottle(kv, () => 100);
    for (let i = 0; i < 20; i++) {
      assertEquals((await throttle.attempt(`u${i}`, "10.0.0.9", false)).kind, "wrong");
    }
    const locked = await throttle.attempt("fresh", "10.0.0.9", true);
    assertEquals([locked.kind, locked.kind === "locked" && locked.scope], ["locked", "address"]);
    assertEquals((await throttle.attempt("fresh", "10.0.0.10", true)).kind, "ok");
  });
});

Deno.test("a right password forgets only its own username's failures", async () => {
  await withKv(async (kv) => {
    const throttle = new LoginThrottle(kv, () => 5);
    for (let i = 0; i < 4; i++) await throttle.attempt("a", "addr", false);
    await throttle.attempt("b", "addr", false);
    assertEquals((await throttle.attempt("a", "addr", true)).kind, "ok");
    // a starts again at 1; b and the address keep counting.
    assertEquals(await throttle.attempt("a", "addr", false), {
      kind: "wrong",
      usernameFailures: 1,
      addressFailures: 6,
    });
    assertEquals(await throttle.attempt("b", "addr", false), {
      kind: "wrong",
      usernameFailures: 2,
      addressFailures: 7,
    });
  });
});

Deno.test("parallel attempts: exactly the limit is counted, the rest are locked", async () => {
  await withKv(async (kv) => {
    const throttle = new LoginThrottle(kv, () => 5);
    const verdicts = await Promise.all(
      Array.from({ length: 300 }, (_, i) => throttle.attempt(`n${i % 7}`, "burst", false)),
    );
    assertEquals(verdicts.filter((v) => v.kind === "wrong").length, 20);
    assertEquals(verdicts.filter((v) => v.kind === "locked").length, 280);
  });
});

Deno.test("counters survive a restart through KV, and expire with their window", async () => {
  await withKv(async (kv) => {
    let clock = 1_000;
    const first = new LoginThrottle(kv, () => clock);
    for (let i = 0; i < 5; i++) await first.attempt("x", "a1", false);
    await first.attempt("y", "a1", false);
    await first.attempt("y", "a1", true); // y is forgotten in KV too
    const stored = await kv.get<LoginFailures>(KEY.loginFailures("username", "x"));
    assertEquals(stored.value, { count: 5, firstAt: 1_000 });
    assertEquals((await kv.get(KEY.loginFailures("username", "y"))).value, null);
    assertEquals((await kv.get<LoginFailures>(KEY.loginFailures("address", "a1"))).value?.count, 6);

    clock += 60_000;
    const second = new LoginThrottle(kv, () => clock);
    const verdict = await second.attempt("x", "a2", true);
    assertEquals(verdict, {
      kind: "locked",
      scope: "username",
      retryAfterMs: LOGIN_FAILURE_WINDOW_MS - 60_000,
    });
    clock = 1_000 + LOGIN_FAILURE_WINDOW_MS;
    const third = new LoginThrottle(kv, () => clock);
    assertEquals((await third.attempt("x", "a2", true)).kind, "ok");
  });
});

Deno.test("expired counters are swept so memory stays bounded", async () => {
  await withKv(async (kv) => {
    let clock = 0;
    const throttle = new LoginThrottle(kv, () => clock);
    for (let i = 0; i < 6000; i++) throttle.decide(`user${i}`, `addr${i}`, false);
    clock = LOGIN_FAILURE_WINDOW_MS + 1;
    // The map is swept when it reaches 20,000 counters: the 12,000 expired ones go.
    for (let i = 0; i < 4001; i++) throttle.decide(`late${i}`, `late${i}`, false);
    assertEquals(throttle.size, 8002);
    await throttle.flush();
  });
});

Deno.test("minutesText rounds up to whole minutes", () => {
  assertEquals(minutesText(1), "1 minute");
  assertEquals(minutesText(60_000), "1 minute");
  assertEquals(minutesText(60_001), "2 minutes");
  assertEquals(minutesText(12 * 60_000 - 5), "12 minutes");
});
