import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { runWorkerPool } from "./worker_pool.ts";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

Deno.test("runWorkerPool runs every job once, in index order, never more than `workers` at once", async () => {
  const started: number[] = [];
  let running = 0;
  let most = 0;
  await runWorkerPool(20, 3, async (index) => {
    started.push(index);
    most = Math.max(most, ++running);
    await tick();
    running--;
  });
  assertEquals(started, Array.from({ length: 20 }, (_, i) => i));
  assertEquals(most, 3);
});

Deno.test("runWorkerPool stops at the first failure and throws it after the others settle", async () => {
  const started: number[] = [];
  const sawAbort: number[] = [];
  await assertRejects(
    () =>
      runWorkerPool(50, 2, async (index, signal) => {
        started.push(index);
        if (index === 3) throw new Error("job 3 failed");
        await tick();
        if (signal.aborted) sawAbort.push(index);
      }),
    Error,
    "job 3 failed",
  );
  // Workers took 0 and 1, then 2 and 3; job 2 was still running when 3 failed.
  assertEquals(started, [0, 1, 2, 3]);
  assertEquals(sawAbort, [2]);
});

Deno.test("runWorkerPool throws the reason of an abort and starts nothing after it", async () => {
  const controller = new AbortController();
  const started: number[] = [];
  await assertRejects(
    () =>
      runWorkerPool(10, 1, async (index) => {
        started.push(index);
        if (index === 1) controller.abort(new Error("interrupted"));
        await tick();
      }, controller.signal),
    Error,
    "interrupted",
  );
  assertEquals(started, [0, 1]);
  const none: number[] = [];
  await assertRejects(
    () => runWorkerPool(5, 2, (i) => Promise.resolve(void none.push(i)), controller.signal),
    Error,
    "interrupted",
  );
  assertEquals(none, []);
});
