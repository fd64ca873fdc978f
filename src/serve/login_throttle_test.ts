import { assertEquals } from "../../tests/assert.ts";
import {
  clearLoginFailures,
  LOGIN_FAILURE_WINDOW_MS,
  loginRetryAfter,
  recordLoginFailure,
} from "./login_throttle.ts";

Deno.test("five failures within 15 minutes lock one client out until the window ends", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    let clock = 0;
    const now = () => clock;
    for (let i = 1; i <= 4; i++) {
      assertEquals(await recordLoginFailure(kv, "10.0.0.1", now), i);
      clock += 1000;
    }
    assertEquals(await loginRetryAfter(kv, "10.0.0.1", now), 0);
    assertEquals(await recordLoginFailure(kv, "10.0.0.1", now), 5);
    // First failure at 0, now 4 s later: 15 min − 4 s left.
    assertEquals(await loginRetryAfter(kv, "10.0.0.1", now), 15 * 60 - 4);
    assertEquals(await loginRetryAfter(kv, "10.0.0.2", now), 0);
    clock = LOGIN_FAILURE_WINDOW_MS;
    assertEquals(await loginRetryAfter(kv, "10.0.0.1", now), 0);
    assertEquals(await recordLoginFailure(kv, "10.0.0.1", now), 1);
  } finally {
    kv.close();
  }
});

Deno.test("a successful login clears the failures", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const now = () => 5;
    for (let i = 0; i < 5; i++) await recordLoginFailure(kv, "c", now);
    assertEquals((await loginRetryAfter(kv, "c", now)) > 0, true);
    await clearLoginFailures(kv, "c");
    assertEquals(await loginRetryAfter(kv, "c", now), 0);
  } finally {
    kv.close();
  }
});

Deno.test("parallel failures are all counted", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const now = () => 5;
    await Promise.all(Array.from({ length: 8 }, () => recordLoginFailure(kv, "p", now)));
    const entry = await kv.get<{ count: number }>(["login_failures", "p"]);
    assertEquals(entry.value?.count, 8);
  } finally {
    kv.close();
  }
});
