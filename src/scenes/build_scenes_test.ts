import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import { runtimeError } from "../cli/errors.ts";
import { createMemoryLogger } from "../cli/testing/memory_logger.ts";
import { parseSceneList } from "../formats/scene.ts";
import { ResponseFormatRefusedError } from "../llm/structured_completion.ts";
import type { askSeedTask } from "./ask_seed_task.ts";
import { buildScenes, endpointRefusal } from "./build_scenes.ts";
import type { SeedTask } from "./seed_file.ts";
import { defaultScenes } from "./testing/fake_scenes_model.ts";

const seeds: SeedTask[] = [0, 1, 2, 3].map((taskIndex) => ({
  kind: "k",
  taskIndex,
  task: `task ${taskIndex}`,
  sampleEvents: ["e"],
}));

const client = {
  chat: () => Promise.reject(new Error("not used")),
  responseFormat: () => undefined,
};

/** A conversation that fails for the tasks in `failing` and answers the others. */
function fakeAsk(failing: Set<number>): typeof askSeedTask {
  return async (_client, seed) => {
    await new Promise((resolve) => setTimeout(resolve, (4 - seed.taskIndex) * 5));
    if (failing.has(seed.taskIndex)) throw new Error(`500 for ${seed.task}`);
    const list = parseSceneList([...defaultScenes(seed.task), { user: {} }], seed.task);
    return { ...list, repairs: seed.taskIndex === 0 ? 1 : 0 };
  };
}

Deno.test("buildScenes: a failing seed task is recorded; the others go on", async () => {
  const logger = createMemoryLogger();
  const done: number[] = [];
  const ticks: boolean[] = [];
  const result = await buildScenes(seeds, { seed: 1n, maxRepairs: 1, workers: 4 }, {
    client,
    logger,
    progress: { tick: (_n, options) => ticks.push(options?.failed ?? false) },
    onDone: (index) => {
      done.push(index);
    },
    ask: fakeAsk(new Set([2, 0])),
  });
  assertEquals(done, [3, 1], "in completion order");
  assertEquals(result.succeeded, 2);
  assertEquals(result.failures.map((f) => [f.index, f.kind, f.taskIndex]), [[0, "k", 0], [
    2,
    "k",
    2,
  ]]);
  assertEquals(result.failures[0].reason, "500 for task 0");
  assertEquals(result.dropped, 2);
  assertEquals(ticks.filter((failed) => failed).length, 2);
  assertEquals(ticks.length, 4);
  assertStringIncludes(logger.lines.join("\n"), "error: k task 2 failed: 500 for task 2");
  assertStringIncludes(logger.lines.join("\n"), `Dropped: Scene 2 of "task 1" at $[2].environment`);
});

Deno.test("buildScenes: an output error or an interruption stops the run", async () => {
  const logger = createMemoryLogger();
  await assertRejects(
    () =>
      buildScenes(seeds, { seed: 1n, maxRepairs: 1, workers: 1 }, {
        client,
        logger,
        onDone: () => Promise.reject(new Error("disk full")),
        ask: fakeAsk(new Set()),
      }),
    Error,
    "disk full",
  );

  const controller = new AbortController();
  const started: number[] = [];
  const ask: typeof askSeedTask = (_client, seed, _settings, options) => {
    started.push(seed.taskIndex);
    controller.abort(new Error("interrupted"));
    return Promise.reject(options?.signal?.reason ?? new Error("no signal"));
  };
  await assertRejects(
    () =>
      buildScenes(seeds, { seed: 1n, maxRepairs: 1, workers: 1 }, {
        client,
        logger,
        signal: controller.signal,
        onDone: () => {},
        ask,
      }),
    Error,
    "interrupted",
  );
  assertEquals(started, [0], "no seed task starts after the interruption");
});

Deno.test("buildScenes: a refused key or an unknown model stops the run", async () => {
  const refused = runtimeError(`Request to endpoint "default" (…) failed: 401 Incorrect API key`);
  assert(endpointRefusal(refused));
  assert(endpointRefusal(runtimeError(`Request to x failed: 404 The model does not exist`)));
  assert(!endpointRefusal(runtimeError(`Request to x failed after 6 attempts: 500 overloaded`)));
  assert(!endpointRefusal(runtimeError(`Request to x failed: 400 context too long`)));
  assert(!endpointRefusal(new Error("failed: 401")));
  // Step 6's response_format refused: every seed task would be refused the same way.
  assert(endpointRefusal(new ResponseFormatRefusedError("failed: 400 … (pass --response-format")));

  const started: number[] = [];
  const ask: typeof askSeedTask = (_client, seed) => {
    started.push(seed.taskIndex);
    return Promise.reject(refused);
  };
  await assertRejects(
    () =>
      buildScenes(seeds, { seed: 1n, maxRepairs: 1, workers: 1 }, {
        client,
        logger: createMemoryLogger(),
        onDone: () => {},
        ask,
      }),
    Error,
    "401 Incorrect API key",
  );
  assertEquals(started, [0]);
});
