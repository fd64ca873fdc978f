import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { DeadlineExceededError, withDeadline } from "./deadline.ts";

Deno.test("withDeadline passes the result through when in time", async () => {
  assertEquals(await withDeadline(1_000, () => Promise.resolve(7)), 7);
});

Deno.test("withDeadline rejects and aborts work that ignores its signal", async () => {
  let seen: AbortSignal | undefined;
  let finish!: () => void;
  const error = await assertRejects(
    () =>
      withDeadline(20, (signal) => {
        seen = signal;
        return new Promise<void>((resolve) => finish = resolve); // never looks at signal
      }),
    DeadlineExceededError,
  );
  assertEquals(error.timeoutMs, 20);
  assert(seen?.aborted);
  finish();
});

Deno.test("withDeadline stops when the outer signal aborts", async () => {
  const outer = new AbortController();
  const running = withDeadline(
    10_000,
    (signal) =>
      new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
    outer.signal,
  );
  outer.abort(new Error("interrupted"));
  await assertRejects(() => running, Error, "interrupted");
});
