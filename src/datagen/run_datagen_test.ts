import { createTestCommandContext } from "../cli/testing/test_command_context.ts";
import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { isCompleteLog } from "../gym/log_writer.ts";
import { openKvLeaseStore } from "../store/kv_lease_store.ts";
import { runDatagenCommand } from "./command.ts";
import type { DatagenSummary } from "./datagen_summary.ts";
import { createFakeSceneRunner, type FakeSceneRunnerOptions } from "./testing/fake_scene_runner.ts";
import { sceneConfig, writeSceneConfigs } from "./testing/scene_fixtures.ts";
import { stringify } from "yaml";

const EXAMPLE = new URL("../../tests/testdata/gym/scenes_example.yaml", import.meta.url).pathname;
const NAMES = ["scene_c-000-0", "scene_a-000-0", "scene_b-000-1"];
const SORTED = [...NAMES].sort();
const LLM_ARGS = ["--model", "fake-model", "--base-url", "http://127.0.0.1:9/v1", "--no-cache"];

const context = createTestCommandContext;

/** Runs datagen with the fake runner; resolves to what it ran, its output and its error. */
async function datagen(
  args: string[],
  runner: FakeSceneRunnerOptions = {},
  signal?: AbortSignal,
) {
  const ran: string[] = [];
  const { ctx, out, logger } = context(signal);
  const run = createFakeSceneRunner({ ...runner, onStart: (name) => void ran.push(name) });
  let error: Error | undefined;
  let code: number | undefined;
  try {
    code = await runDatagenCommand([...args, ...LLM_ARGS], ctx, { runner: run });
  } catch (e) {
    error = e as Error;
  }
  return { ran, code, error, out: out.join(""), log: logger.lines.join("\n") };
}

async function readSummary(dir: string): Promise<DatagenSummary> {
  return JSON.parse(await Deno.readTextFile(`${dir}/datagen_summary.json`));
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("every scene is played into its complete log and summarised", async () => {
  const dir = await Deno.makeTempDir();
  await writeSceneConfigs(dir, NAMES);
  const result = await datagen(["--scenes-dir", dir, "--seed", "7", "--concurrency", "2"]);
  assertEquals(result.error, undefined);
  assertEquals(result.code, 0);
  assertEquals([...result.ran].sort(), SORTED);
  for (const name of NAMES) {
    assert(await isCompleteLog(`${dir}/${name}.jsonl`), name);
    assert(!(await exists(`${dir}/${name}.jsonl.partial`)));
  }
  const first = JSON.parse((await Deno.readTextFile(`${dir}/scene_a-000-0.jsonl`)).split("\n")[0]);
  assertEquals(JSON.parse(first.content), { scene: "scene_a-000-0", seed: 7 });
  const summary = await readSummary(dir);
  assertEquals(summary.scenes.map((s) => [s.name, s.status]), SORTED.map((n) => [n, "done"]));
  assertEquals(summary.counts, {
    scenes: 3,
    done: 3,
    complete: 0,
    taken: 0,
    failed: 0,
    interrupted: 0,
  });
  assertEquals(summary.totals, {
    events: 9,
    proposals: 3,
    accepted: 0,
    requests: 18,
    tokens: 900,
    prompt_tokens: 0,
    completion_tokens: 0,
  });
  assertEquals(summary.scenes[0].summary?.events, 3);
  assertEquals(summary.settings.concurrency, 2);
  assertEquals(summary.settings.seed, 7);
  assertEquals(summary.kv, `${dir}/.state/datagen.kv`);
  assert(await exists(summary.kv));
  assertEquals(typeof summary.llm.requests, "number");
  assert(result.out.includes("3 done"), result.out);
  assert(result.out.includes("scene_b-000-1  done"), result.out);
  assert(result.out.includes("LLM: "), result.out);
});

Deno.test("complete logs are skipped; --force plays them again", async () => {
  const dir = await Deno.makeTempDir();
  await writeSceneConfigs(dir, NAMES);
  await datagen(["--scenes-dir", dir]);
  const before = await Deno.readTextFile(`${dir}/scene_a-000-0.jsonl`);
  const again = await datagen(["--scenes-dir", dir]);
  assertEquals(again.code, 0);
  assertEquals(again.ran, []);
  assertEquals((await readSummary(dir)).counts.complete, 3);
  const forced = await datagen(["--scenes-dir", dir, "--force", "--seed", "9"]);
  assertEquals([...forced.ran].sort(), SORTED);
  const after = await Deno.readTextFile(`${dir}/scene_a-000-0.jsonl`);
  assert(before !== after && after.includes('"seed\\":9'), after);
});

Deno.test("a failing scene keeps its partial log, the others go on, the exit is non-zero", async () => {
  const dir = await Deno.makeTempDir();
  await writeSceneConfigs(dir, NAMES);
  const result = await datagen(["--scenes-dir", dir, "--concurrency", "1"], {
    failure: (name) => (name === "scene_a-000-0" ? "the environment gave up" : undefined),
  });
  assert(result.error instanceof ProactiveError, String(result.error));
  assert(result.error.message.includes("1 of 3 scene(s) failed"), result.error.message);
  assertEquals(result.ran, SORTED, "the failure did not stop the pool");
  assert(!(await exists(`${dir}/scene_a-000-0.jsonl`)));
  const partial = await Deno.readTextFile(`${dir}/scene_a-000-0.jsonl.partial`);
  assertEquals(partial.trimEnd().split("\n").length, 2, "setup and one event");
  const summary = await readSummary(dir);
  const failed = summary.scenes.find((s) => s.name === "scene_a-000-0")!;
  assertEquals(failed.status, "failed");
  assert(failed.reason?.includes("the environment gave up"), failed.reason);
  assertEquals(summary.counts.done, 2);
  assert(result.out.includes("the environment gave up"), result.out);
  // The next run plays the failed scene again, from scratch, and only it.
  const rerun = await datagen(["--scenes-dir", dir]);
  assertEquals(rerun.ran, ["scene_a-000-0"]);
  assert(await isCompleteLog(`${dir}/scene_a-000-0.jsonl`));
  assert(!(await exists(`${dir}/scene_a-000-0.jsonl.partial`)));
});

Deno.test("a scene that ends without its end record stays partial and fails", async () => {
  const dir = await Deno.makeTempDir();
  await writeSceneConfigs(dir, ["scene_x"]);
  const result = await datagen(["--scenes-dir", dir], { skipEnd: () => true });
  assert(result.error?.message.includes("1 of 1 scene(s) failed"));
  assert(!(await exists(`${dir}/scene_x.jsonl`)));
  assert(await exists(`${dir}/scene_x.jsonl.partial`));
  assert((await readSummary(dir)).scenes[0].reason?.includes("no end record"));
});

Deno.test("--limit plays only the first scenes by name", async () => {
  const dir = await Deno.makeTempDir();
  await writeSceneConfigs(dir, NAMES);
  const result = await datagen(["--scenes-dir", dir, "--limit", "2", "--concurrency", "1"]);
  assertEquals(result.ran, SORTED.slice(0, 2));
  assertEquals((await readSummary(dir)).scenes.length, 2);
  assertEquals((await readSummary(dir)).settings.limit, 2);
});

Deno.test("--scene-file names scenes by index and writes into --out-dir", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.copyFile(EXAMPLE, `${dir}/scenes_example.yaml`);
  const out = `${dir}/logs`;
  const result = await datagen(["--scene-file", `${dir}/scenes_example.yaml`, "--out-dir", out]);
  assertEquals(result.code, 0);
  const names = [0, 1, 2, 3, 4, 5].map((i) => `scene_scenes_example-00${i}`);
  assertEquals([...result.ran].sort(), names);
  for (const name of names) assert(await isCompleteLog(`${out}/${name}.jsonl`), name);
  const summary = await readSummary(out);
  assertEquals(summary.input, { sceneFile: `${dir}/scenes_example.yaml` });
  assertEquals(summary.kv, `${out}/.state/datagen.kv`);
});

Deno.test("a log path escaping the folder fails that scene and writes nothing outside", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/scenes`;
  await writeSceneConfigs(dir, ["scene_ok"]);
  await Deno.writeTextFile(`${dir}/scene_evil.yaml`, stringify(sceneConfig("sub/..")));
  await Deno.writeTextFile(`${dir}/scene_path.yaml`, stringify(sceneConfig("../path.jsonl")));
  const result = await datagen(["--scenes-dir", dir]);
  assert(result.error?.message.includes("1 of 3 scene(s) failed"), result.error?.message);
  // A path's file name is used inside the folder: nothing is written outside it.
  assert(!(await exists(`${root}/path.jsonl`)) && await exists(`${dir}/path.jsonl`));
  const evil = (await readSummary(dir)).scenes.find((s) => s.name === "scene_evil")!;
  assertEquals(evil.status, "failed");
  assert(evil.reason?.includes("out_file"), evil.reason);
});

Deno.test("a scene leased by another run is skipped as taken, not failed", async () => {
  const dir = await Deno.makeTempDir();
  await writeSceneConfigs(dir, NAMES);
  const store = await openKvLeaseStore(`${dir}/.state/datagen.kv`);
  await store.tryAcquire("scene_b-000-1", "other host pid 1, run abc", 60_000);
  store.close();
  const result = await datagen(["--scenes-dir", dir]);
  assertEquals(result.code, 0);
  assertEquals([...result.ran].sort(), ["scene_a-000-0", "scene_c-000-0"]);
  const taken = (await readSummary(dir)).scenes.find((s) => s.name === "scene_b-000-1")!;
  assertEquals(taken.status, "taken");
  assertEquals(taken.reason, "taken by another run (other host pid 1, run abc)");
});

Deno.test("Ctrl-C aborts running scenes, starts no more and releases the leases", async () => {
  const dir = await Deno.makeTempDir();
  await writeSceneConfigs(dir, NAMES);
  const controller = new AbortController();
  const promise = datagen(["--scenes-dir", dir, "--concurrency", "2"], {
    delayMs: 20,
    events: 1000,
  }, controller.signal);
  // Stop once both first scenes have written something.
  for (let i = 0; i < 3000; i++) {
    const sizes = await Promise.all(
      SORTED.slice(0, 2).map((n) =>
        Deno.stat(`${dir}/${n}.jsonl.partial`).then((s) => s.size, () => 0)
      ),
    );
    if (sizes.every((s) => s > 0)) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  controller.abort();
  const result = await promise;
  assert(
    /^Interrupted: the complete logs are saved in ".*", 3 of 3 scene\(s\) not done; run the same command again to continue$/
      .test(result.error?.message ?? ""),
    result.error?.message,
  );
  // The two first scenes start at once; either may take its lease first.
  assertEquals([...result.ran].sort(), SORTED.slice(0, 2));
  const summary = await readSummary(dir);
  assertEquals(summary.counts.interrupted, 3);
  const store = await openKvLeaseStore(`${dir}/.state/datagen.kv`);
  for (const name of NAMES) assertEquals(await store.holder(name), undefined, `${name} released`);
  store.close();
  assert(await exists(`${dir}/scene_a-000-0.jsonl.partial`));
});

Deno.test("an empty scenes folder is an input error", async () => {
  const dir = await Deno.makeTempDir();
  const { ctx } = context();
  await assertRejects(
    () =>
      runDatagenCommand(["--scenes-dir", dir, ...LLM_ARGS], ctx, {
        runner: createFakeSceneRunner(),
      }),
    ProactiveError,
    "holds no scene configuration",
  );
});

Deno.test("an output folder that cannot be created is named in the error", async () => {
  const dir = await Deno.makeTempDir();
  await writeSceneConfigs(`${dir}/scenes`, ["scene_a"]);
  await Deno.writeTextFile(`${dir}/file`, "x");
  const result = await datagen(["--scenes-dir", `${dir}/scenes`, "--out-dir", `${dir}/file/out`]);
  assert(
    result.error?.message.includes(`Cannot create the output folder "${dir}/file/out"`),
    result.error?.message,
  );
  assertEquals(result.ran, []);
});

Deno.test("scenes run in parallel, never more than --concurrency at once", async () => {
  const dir = await Deno.makeTempDir();
  const names = Array.from({ length: 7 }, (_, i) => `scene_p-${i}`);
  await writeSceneConfigs(dir, names);
  let running = 0;
  let most = 0;
  const fake = createFakeSceneRunner({ delayMs: 5, events: 4 });
  const { ctx } = context();
  const code = await runDatagenCommand(
    ["--scenes-dir", dir, "--concurrency", "3", ...LLM_ARGS],
    ctx,
    {
      runner: async (job, options, deps) => {
        most = Math.max(most, ++running);
        try {
          return await fake(job, options, deps);
        } finally {
          running--;
        }
      },
    },
  );
  assertEquals(code, 0);
  assertEquals(most, 3);
  assertEquals((await readSummary(dir)).counts.done, 7);
});
