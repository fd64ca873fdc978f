import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { createMemoryLogger } from "../cli/testing/memory_logger.ts";
import { sceneConfigOf } from "../formats/scene.ts";
import { SimClock } from "./clock.ts";
import { sampleUpTo, SceneContext, schemaNameOf } from "./scene_context.ts";
import { createGymTestLlm, memoryLogSink } from "./testing/scripted_gym_models.ts";
import type { SceneRunDeps } from "./gym_types.ts";

const scene = sceneConfigOf({
  environment: {
    theme: "t",
    description: "d",
    entities: [],
    agent_ops: [],
    events_example: ["e"],
  },
  user: { goal: "g", description: "u" },
}, "s");

function context(name: string, seed: number, deps: Partial<SceneRunDeps> = {}): SceneContext {
  return new SceneContext({ name, config: scene, logPath: "x" }, {
    llm: createGymTestLlm("http://127.0.0.1:9/v1", null),
    log: memoryLogSink(),
    logger: createMemoryLogger(),
    signal: new AbortController().signal,
    ...deps,
  }, seed);
}

Deno.test("schema names are the step's kind without its number", () => {
  assertEquals(schemaNameOf("setup/env-setting"), "env_setting");
  assertEquals(schemaNameOf("step-3/action-2/env-events"), "env_events");
  assertEquals(schemaNameOf("step-3/agent-predict-2"), "agent_predict");
  assertEquals(schemaNameOf("step-1/reward-filter-0"), "reward_filter");
});

Deno.test("sampling is seeded by --seed, the scene's name and the step alone", async () => {
  const items = Array.from({ length: 20 }, (_, i) => `event ${i}`);
  const draw = async (name: string, seed: number, step: string) =>
    sampleUpTo(await context(name, seed).random(step), items, 5);
  const a = await draw("scene_a", 1, "step-1/example-events");
  assertEquals(a, await draw("scene_a", 1, "step-1/example-events"));
  assertEquals(new Set(a).size, 5);
  assert(a.every((item) => items.includes(item)));
  for (const other of [["scene_b", 1, "step-1"], ["scene_a", 2, "step-1"]] as const) {
    const b = await draw(other[0], other[1], `${other[2]}/example-events`);
    assert(JSON.stringify(a) !== JSON.stringify(b), `${other} drew the same sample`);
  }
  assertNotSame(a, await draw("scene_a", 1, "step-2/example-events"));
  const three = ["x", "y", "z"];
  assertEquals(sampleUpTo(await context("s", 0).random("r"), three, 5).sort(), three);
  assertEquals(sampleUpTo(await context("s", 0).random("r"), [], 5), []);
});

function assertNotSame(a: unknown, b: unknown) {
  assert(JSON.stringify(a) !== JSON.stringify(b), "expected different samples");
}

Deno.test("records carry the simulated time; nothing is written before it is known", async () => {
  const log = memoryLogSink();
  const ctx = context("s", 0, { log });
  await assertRejects(() => ctx.write("system", "setup", "x"), Error, "start time");
  assertEquals(log.records, []);
  ctx.clock = SimClock.at("1-2 3:04:05");
  await ctx.write("EnvManager", "events", "The user sits down.");
  assertEquals(log.records, [{
    source: "EnvManager",
    time: "01-02 03:04:05",
    tags: ["events"],
    content: "The user sits down.",
  }]);
  assertEquals(ctx.records, log.records);
});
