/**
 * `proactive scenes` end to end: `deno run --unstable-kv -A main.ts scenes …` in a child
 * process, against the fake OpenAI server running in this test process, through the real
 * `openai` client. The scripted model (src/scenes/testing/fake_scenes_model.ts) tells the
 * steps apart by the last user message and answers step 6 with two valid scenes and a
 * trailing "and more ..." entry unless a test says otherwise.
 */
import { fileURLToPath } from "node:url";
import { runDeno } from "./run_deno.ts";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { startFakeOpenAiServer } from "../src/llm/testing/fake_openai_server.ts";
import {
  createFakeScenesModel,
  defaultScenes,
  type FakeScenesModelOptions,
} from "../src/scenes/testing/fake_scenes_model.ts";
import { parseSceneConfig, parseSceneList, parseYamlText } from "../src/formats/scene.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SEEDS = `${ROOT}tests/testdata/scenes/seeds.yaml`;
const TASKS = [
  "Write a binary search in Python.",
  "Build a Flask API that adds two numbers.",
  "Parse a log file in Go and count errors.",
  "Draft a cover letter for a museum job.",
  "Summarise a long report in five bullets.",
];
const STEMS = [
  "scene_alpha-000",
  "scene_alpha-001",
  "scene_alpha-002",
  "scene_beta_kind-000",
  "scene_beta_kind-001",
];

async function fixture(options?: FakeScenesModelOptions) {
  const model = createFakeScenesModel(options);
  const server = await startFakeOpenAiServer({ handler: model.handler });
  const dir = await Deno.makeTempDir({ prefix: "scenes-cli-" });
  const out = `${dir}/out/scenes.yaml`;
  const scenesDir = `${dir}/out/scenes`;
  const scenes = (...extra: string[]) =>
    runDeno([
      "run",
      "--unstable-kv",
      "-A",
      `${ROOT}main.ts`,
      "scenes",
      "--seeds",
      SEEDS,
      "--out",
      out,
      "--scenes-dir",
      scenesDir,
      "--cache-dir",
      `${dir}/cache`,
      "--base-url",
      server.baseUrl,
      "--api-key",
      "sk-test",
      "--model",
      "fake-model",
      "--max-retries",
      "0",
      ...extra,
    ], dir);
  return {
    model,
    server,
    dir,
    out,
    scenesDir,
    scenes,
    async [Symbol.asyncDispose]() {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function fileNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

/** The scene list written to `path`, validated. */
async function readSceneList(path: string) {
  const list = parseSceneList(parseYamlText(await Deno.readTextFile(path), path), path);
  assertEquals(list.dropped, []);
  return list.scenes;
}

/** The goals of the default scenes of the seed tasks at `indices`, in order. */
const goals = (indices: number[]) =>
  indices.flatMap((i) => [0, 1].map((v) => `${TASKS[i]} (variant ${v})`));

/** `<stem>_<task × 1000 + scene>.yaml`, the task index being the stem's last digits. */
const allNames = STEMS.flatMap((stem) => {
  const task = Number(stem.slice(-3));
  return [`${stem}_${task * 1000}.yaml`, `${stem}_${task * 1000 + 1}.yaml`];
}).sort();

Deno.test("scenes: a full run writes the list and one valid configuration per scene; a re-run costs nothing", async () => {
  await using t = await fixture();
  const result = await t.scenes("--concurrency", "3");
  assertEquals(result.code, 0, result.stderr);
  assertStringIncludes(result.stdout, "Asked 5 of 5 seed task(s)");
  assertStringIncludes(result.stdout, "5 succeeded, 0 failed");
  assertStringIncludes(result.stdout, `Wrote 10 scene(s) to "${t.out}"`);
  assertStringIncludes(result.stdout, "10 written, 0 unchanged, 0 stale removed");
  assert(!result.stderr.includes("Dropped"), "the 'and more ...' entry is dropped silently");

  // Six requests per seed task, the conversation growing by one instruction and answer.
  assertEquals(t.server.requests.length, 30);
  for (const task of TASKS) {
    const asked = t.model.asked.filter((r) => r.task === task);
    assertEquals(asked.map((r) => r.step), [1, 2, 3, 4, 5, 6]);
    assertEquals(asked.map((r) => r.body.temperature), [1, 1, 1, 1, 1, 0.3]);
    assertEquals(asked.map((r) => r.body.messages.length), [2, 4, 6, 8, 10, 12]);
    const step6 = asked[5].body.messages;
    assertEquals(step6[0].role, "system");
    assertEquals(step6[2], { role: "assistant", content: `Step 1 for ${asked[0].kind}: ${task}` });
  }
  // Step 5 shows 15 of alpha's 20 sample events, and all 3 of beta-kind's.
  const samplesShown = (task: string) =>
    t.model.asked.find((r) => r.task === task && r.step === 5)!.last.split("\n")
      .filter((line) => /^- The user (does sample|opens|types|scrolls through an)/.test(line));
  assertEquals(samplesShown(TASKS[0]).length, 15);
  assertEquals(new Set(samplesShown(TASKS[0])).size, 15);
  assertEquals(samplesShown(TASKS[3]).length, 3);

  // The list: every scene, in seed order.
  const scenes = await readSceneList(t.out);
  assertEquals(scenes.map((s) => s.user.goal), goals([0, 1, 2, 3, 4]));
  assertEquals(scenes[0], defaultScenes(TASKS[0])[0] as unknown as typeof scenes[0]);

  // The configurations.
  assertEquals(await fileNames(t.scenesDir), allNames);
  for (const [i, name] of allNames.entries()) {
    const path = `${t.scenesDir}/${name}`;
    const config = parseSceneConfig(parseYamlText(await Deno.readTextFile(path), path), path);
    const stem = name.replace(/\.yaml$/, "");
    assertEquals(config.eventSink?.out_file, `${stem}.jsonl`);
    assertEquals(config.agent, {});
    assertEquals(config.user.theme, scenes[i].environment.theme);
    assertEquals(config.environment, scenes[i].environment);
    assertEquals(config.user.goal, scenes[i].user.goal);
  }

  // Again: every answer from the cache, the same bytes, nothing rewritten.
  const before = await Deno.readTextFile(t.out);
  const again = await t.scenes("--concurrency", "3");
  assertEquals(again.code, 0, again.stderr);
  assertEquals(t.server.requests.length, 30, "the re-run sent no request");
  assertStringIncludes(again.stdout, "0 written, 10 unchanged, 0 stale removed");
  assertStringIncludes(again.stdout, "30 cache hits");
  assertEquals(await Deno.readTextFile(t.out), before);
});

Deno.test("scenes: invalid scenes are dropped with a warning; an answer with no valid scene is re-asked", async () => {
  await using t = await fixture({
    reply(request) {
      if (request.task === TASKS[1] && request.step === 6) {
        const [first, second] = defaultScenes(request.task);
        const broken = structuredClone(first) as { user: Record<string, unknown> };
        delete broken.user.goal;
        return { texts: "Here you go:\n```json\n" + JSON.stringify([broken, second]) + "\n```" };
      }
      if (request.task === TASKS[2] && request.step === 6) {
        return {
          texts: JSON.stringify([{ environment: { theme: "only a theme" } }, "and more ..."]),
        };
      }
      return undefined;
    },
  });
  const result = await t.scenes("--limit", "3");
  assertEquals(result.code, 0, result.stderr);
  assertStringIncludes(result.stdout, "Asked 3 of 5 seed task(s)");
  assertStringIncludes(
    result.stderr,
    `Dropped: Scene 0 of "the answer for alpha task 1" at $[0].user.goal`,
  );
  assertStringIncludes(result.stdout, "Dropped 1 invalid scene(s); re-asked 1 answer(s)");

  // Task 2's answer was re-asked with the validation error, after its own answer.
  const repairs = t.model.asked.filter((r) => r.step === "repair");
  assertEquals(repairs.length, 1);
  assertEquals(repairs[0].task, TASKS[2]);
  assertStringIncludes(repairs[0].last, "no valid scene in the list");
  assertStringIncludes(repairs[0].last, "$[0].environment.description");
  assertEquals(repairs[0].body.messages.at(-2)?.role, "assistant");
  assertEquals(repairs[0].body.temperature, 0.3);

  // Names keep the scene's index in its answer: task 1 has only its scene 1.
  assertEquals(await fileNames(t.scenesDir), [
    "scene_alpha-000_0.yaml",
    "scene_alpha-000_1.yaml",
    "scene_alpha-001_1001.yaml",
    "scene_alpha-002_2000.yaml",
    "scene_alpha-002_2001.yaml",
  ]);
  assertEquals((await readSceneList(t.out)).length, 5);
});

Deno.test("scenes: a seed task that keeps failing is reported, exit 1; the others keep their names", async () => {
  let failing = true;
  await using t = await fixture({
    reply(request) {
      if (failing && request.task === TASKS[1] && request.step === 3) {
        return { status: 500, errorMessage: "the model is overloaded" };
      }
      if (request.task === TASKS[4] && (request.step === 6 || request.step === "repair")) {
        return { texts: "I cannot produce JSON today." };
      }
      return undefined;
    },
  });
  const result = await t.scenes("--max-repairs", "1");
  assertEquals(result.code, 1, result.stderr);
  assertStringIncludes(result.stdout, "3 succeeded, 2 failed");
  assertStringIncludes(result.stdout, "alpha task 1: ");
  assertStringIncludes(result.stdout, "the model is overloaded");
  assertStringIncludes(
    result.stdout,
    "beta-kind task 1: no usable scene list after 1 re-ask: the answer contains no JSON",
  );
  assertStringIncludes(result.stderr, "2 of 5 seed task(s) failed");
  const expected = allNames.filter((name) =>
    !name.startsWith(STEMS[1]) && !name.startsWith(STEMS[4])
  );
  assertEquals(await fileNames(t.scenesDir), expected);
  const scenes = await readSceneList(t.out);
  assertEquals(scenes.map((s) => s.user.goal), goals([0, 2, 3]));

  // Fixed: a re-run pays only for the failed conversation's remaining steps.
  failing = false;
  const sent = t.server.requests.length;
  const again = await t.scenes("--limit", "4");
  assertEquals(again.code, 0, again.stderr);
  assertEquals(t.server.requests.length - sent, 4, "steps 3–6 of alpha task 1 only");
  assertEquals(await fileNames(t.scenesDir), allNames.filter((n) => !n.startsWith(STEMS[4])));
});

Deno.test("scenes: the list is in seed order whatever order the conversations finish in", async () => {
  await using t = await fixture();
  // The first seed task is slow: it finishes last. When its last step is asked, the list
  // already holds the others' scenes, in seed order.
  let listBeforeLast: string[] | undefined;
  t.server.setHandler(async (body) => {
    const reply = t.model.handler(body);
    const request = t.model.asked.at(-1)!;
    if (request.task !== TASKS[0]) return reply;
    if (request.step === 6) {
      listBeforeLast = (await readSceneList(t.out)).map((s) => s.user.goal);
    }
    return { ...reply, delayMs: 250 };
  });
  const result = await t.scenes("--concurrency", "5");
  assertEquals(result.code, 0, result.stderr);
  const finished = t.model.asked.filter((r) => r.step === 6).map((r) => r.task);
  assertEquals(finished.at(-1), TASKS[0], "the first seed task finished last");
  assertEquals(listBeforeLast, goals([1, 2, 3, 4]), "the list is rewritten as results arrive");
  const scenes = await readSceneList(t.out);
  assertEquals(scenes.map((s) => s.user.goal), goals([0, 1, 2, 3, 4]));
  assertEquals(await fileNames(t.scenesDir), allNames);
});

Deno.test("scenes: a seed task that now gives fewer scenes loses its stale files; a failed one keeps its own", async () => {
  await using t = await fixture();
  const first = await t.scenes();
  assertEquals(first.code, 0, first.stderr);
  assertEquals(await fileNames(t.scenesDir), allNames);
  await Deno.writeTextFile(`${t.scenesDir}/scene_alpha-000-notes.yaml`, "kept: true\n");

  const model = createFakeScenesModel({
    reply(request) {
      if (request.task === TASKS[0] && request.step === 6) {
        return { texts: JSON.stringify(defaultScenes(request.task).slice(0, 1)) };
      }
      if (request.task === TASKS[3]) return { status: 500, errorMessage: "down" };
      return undefined;
    },
  });
  t.server.setHandler(model.handler);
  const second = await t.scenes("--no-cache");
  assertEquals(second.code, 1, second.stderr);
  assertStringIncludes(second.stdout, "1 stale removed");
  assertStringIncludes(second.stderr, `Removed the stale "${t.scenesDir}/scene_alpha-000_1.yaml"`);
  assertEquals(
    await fileNames(t.scenesDir),
    [...allNames.filter((n) => n !== "scene_alpha-000_1.yaml"), "scene_alpha-000-notes.yaml"]
      .sort(),
  );
  // The list holds this run's scenes: 1 + 2 + 2 + 0 (failed) + 2.
  assertEquals((await readSceneList(t.out)).length, 7);
});

Deno.test("scenes: bad seeds and bad flags are named", async () => {
  await using t = await fixture();
  const bad = `${t.dir}/bad.yaml`;
  await Deno.writeTextFile(bad, "alpha:\n  tasks: []\n  sample_events: [a]\n");
  const result = await t.scenes("--seeds", bad);
  assertEquals(result.code, 1);
  assertStringIncludes(result.stderr, `Invalid seed file "${bad}" at $.alpha.tasks`);

  const kinds = await t.scenes("--kinds", "alpha,gamma");
  assertEquals(kinds.code, 1);
  assertStringIncludes(kinds.stderr, `Unknown scene kind "gamma" in --kinds`);

  const seed = await t.scenes("--seed", "x");
  assertEquals(seed.code, 2);
  assertStringIncludes(seed.stderr, `--seed must be a whole number`);
  assertEquals(t.server.requests.length, 0);

  await Deno.mkdir(`${t.dir}/folder`);
  const folder = await t.scenes("--out", `${t.dir}/folder`);
  assertEquals(folder.code, 1);
  assertStringIncludes(folder.stderr, `--out "${t.dir}/folder" is a folder`);
  assertEquals(t.server.requests.length, 0);

  // A refused key is not one seed task's failure: the run stops.
  t.server.setHandler(() => ({ status: 401, errorMessage: "Incorrect API key provided" }));
  const refused = await t.scenes("--concurrency", "1");
  assertEquals(refused.code, 1);
  assertStringIncludes(refused.stderr, "401 Incorrect API key provided");
  assertStringIncludes(refused.stderr, "the scenes of 0 of 5 seed task(s) are saved");
  assertEquals(t.server.requests.length, 1, "no other seed task was started");
});
