import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { withTempDir } from "../../tests/temp_dir.ts";
import { ProactiveError, runtimeError } from "../cli/errors.ts";
import { createMemoryLogger } from "../cli/testing/memory_logger.ts";
import { parseLlmFlags } from "../llm/llm_config.ts";
import { runStage, type StageContext, type StageOutline } from "./run_stage.ts";

const llm = { options: parseLlmFlags({ model: "m", "no-cache": true }, () => undefined) };

/** The clock stands still but for `tick`, so elapsed times are exact. */
const clock = { now: 1_000, tick: (ms: number) => clock.now += ms };

function context(signal = new AbortController().signal): StageContext {
  return { logger: createMemoryLogger(), isTerminal: false, now: () => clock.now, signal };
}

/** An outline that records its phases; `work` runs `body`. */
function recording(
  phases: string[],
  body: () => Promise<number>,
): StageOutline<{ total: number }, number, string> {
  return {
    name: "demo",
    llm,
    before: () => Promise.resolve(void phases.push("before")),
    read: (tools) => {
      phases.push(`read at ${tools.startedAt}`);
      return Promise.resolve({ total: 3 });
    },
    work: async (_, tools) => {
      phases.push(`work (${tools.progress ? "with" : "without"} progress)`);
      clock.tick(25);
      return await body();
    },
    stopped: () => {
      phases.push("stopped");
      return Promise.resolve({ kept: "2 of 3 saved", keptOnFailure: true });
    },
    finish: (_, worked, tools) => {
      phases.push("finish");
      return Promise.resolve(`worked ${worked} in ${tools.now() - tools.startedAt} ms`);
    },
  };
}

Deno.test("runStage: before, read, work, finish in order, with the clock's start", async () => {
  const phases: string[] = [];
  clock.now = 1_000;
  const result = await runStage(recording(phases, () => Promise.resolve(7)), context());
  assertEquals(phases, ["before", "read at 1000", "work (with progress)", "finish"]);
  assertEquals(result, "worked 7 in 25 ms");
});

Deno.test("runStage: an interruption says what is kept; an expected failure adds it", async () => {
  const controller = new AbortController();
  const phases: string[] = [];
  const interrupted = recording(phases, () => {
    controller.abort();
    return Promise.reject(new Error("aborted"));
  });
  const error = await assertRejects(() => runStage(interrupted, context(controller.signal)));
  assertEquals((error as Error).message, "Interrupted: 2 of 3 saved");
  assertEquals(phases.slice(-1), ["stopped"]);

  const failing = recording([], () => Promise.reject(runtimeError("the endpoint refused")));
  const failure = await assertRejects(() => runStage(failing, context()), ProactiveError);
  assertEquals(failure.message, "the endpoint refused (2 of 3 saved)");
  const bug = recording([], () => Promise.reject(new TypeError("a bug")));
  assertEquals((await assertRejects(() => runStage(bug, context()))).message, "a bug");
});

Deno.test("runStage: the outputs' folders are made and locked while the stage runs", () =>
  withTempDir(async (dir) => {
    const out = join(dir, "deep", "out.json");
    let inner: Promise<unknown> | undefined;
    const outline = {
      ...recording([], async () => {
        // A second run on the same output while this one works is refused, naming it.
        inner = runStage({ ...outline, work: () => Promise.resolve(0) }, context());
        await inner.catch(() => {});
        return 1;
      }),
      outputs: [{ path: out, kind: "file" as const, what: "The demo output" }],
    };
    assertEquals(await runStage(outline, context()), "worked 1 in 25 ms");
    assert((await Deno.stat(join(dir, "deep"))).isDirectory);
    const busy = await assertRejects(() => inner!, ProactiveError);
    assert(busy.message.includes("The demo output"), busy.message);
    // Released at the end: a third run takes it.
    await runStage({ ...outline, work: () => Promise.resolve(2) }, context());
  }));

Deno.test("runStage --db: the stage's cache is the store's, shared by runs, closed after", async () => {
  await withTempDir(async (dir) => {
    const db = join(dir, "work.kv");
    const options = parseLlmFlags({ model: "m", db }, () => undefined);
    const completion = {
      choices: [{ text: "hi", finishReason: "stop" }],
      usage: { promptTokens: 1, completionTokens: 1 },
    };
    const request = { model: "m", messages: [], params: {} };
    const stage = (work: StageOutline<{ total: number }, unknown, unknown>["work"]) =>
      runStage({
        name: "demo",
        llm: { options },
        read: () => Promise.resolve({ total: 0 }),
        work,
        finish: (_, worked) => Promise.resolve(worked),
      }, context());
    await stage(async (_, tools) => {
      assertEquals(tools.llm.cache.enabled, true);
      await tools.llm.cache.put("k", request, completion);
    });
    // Another run (a second machine on the same store) finds the answer.
    const found = await stage((_, tools) => tools.llm.cache.get("k"));
    assertEquals(found, completion);
    // (Each run closes its store: the test's resource check fails on a KV left open.)
  });
});
