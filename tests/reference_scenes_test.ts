/**
 * The reference project's scene files played end to end by `proactive datagen` (the real
 * command, the scripted fake gym models): a folder as the reference's
 * `dataset/build_scenes.py` writes it (`scene_<n>.yaml`, `eventSink.out_file` a path), the
 * reference's `gym/example.yaml` (one configuration, any name) and a scene list; object
 * `agent_ops` kept and shown to the environment; `user.adapt_times` / `user.action_times`
 * used unless the flags are given. The files are written here in those shapes.
 */
import { join } from "node:path";
import { stringify } from "yaml";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { runProactive } from "./run_deno.ts";
import { withTempDir } from "./temp_dir.ts";
import type { GymRecord } from "../src/gym/gym_types.ts";
import { gymLlmConfig, scriptedGymModels } from "../src/gym/testing/scripted_gym_models.ts";
import { startFakeOpenAiServer } from "../src/llm/testing/fake_openai_server.ts";

const OBJECT_OP = {
  action: "open_file",
  description: "Opens a file in the editor",
  parameters: { path: "the file's path" },
};

/** A configuration as the reference writes it (`eventSink` first, a path as out_file). */
function referenceConfig(index: number, user: Record<string, unknown> = {}) {
  return {
    eventSink: { out_file: `dataset/agent_data/scene_${index}.jsonl` },
    agent: {},
    environment: {
      theme: `Theme ${index}`,
      description: `A developer fixes build ${index}.`,
      entities: ["Terminal", "Editor"],
      agent_ops: ["terminal_run(command)", OBJECT_OP, 42],
      events_example: ["The user opens the terminal.", "The user saves the file."],
    },
    user: {
      description: "Ada, 31, engineer.",
      goal: "Make the build pass",
      theme: `Theme ${index}`,
      ...user,
    },
  };
}

async function readLog(path: string): Promise<GymRecord[]> {
  return (await Deno.readTextFile(path)).trimEnd().split("\n").map((l) => JSON.parse(l));
}

function setupOf(records: GymRecord[]): Record<string, unknown> {
  const setup = records.find((r) => r.tags[0] === "setup" && r.source === "system")!;
  return JSON.parse(setup.content!);
}

function activities(records: GymRecord[]): number {
  return records.filter((r) => r.tags[0] === "activity" && r.source === "User").length;
}

async function withGym(
  fn: (
    args: (...more: string[]) => string[],
    dir: string,
    requests: () => string[],
  ) => Promise<void>,
) {
  const gym = scriptedGymModels();
  await using server = await startFakeOpenAiServer({ handler: gym.handler });
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "llm.yaml"), gymLlmConfig(server.baseUrl));
    const args = (...more: string[]) => [
      "datagen",
      "--config",
      join(dir, "llm.yaml"),
      "--no-cache",
      "--max-retries",
      "0",
      ...more,
    ];
    await fn(args, dir, () => gym.log.map((r) => JSON.stringify(r.body)));
  });
}

Deno.test("datagen plays a folder of the reference's scene_<n>.yaml configurations", async () => {
  await withGym(async (args, dir, requests) => {
    const scenes = join(dir, "agent_data");
    await Deno.mkdir(scenes);
    await Deno.writeTextFile(
      join(scenes, "scene_0.yaml"),
      stringify(referenceConfig(0, { adapt_times: 1, action_times: 2 })),
    );
    await Deno.writeTextFile(join(scenes, "scene_1.yml"), stringify(referenceConfig(1)));
    await Deno.writeTextFile(join(scenes, "notes.yaml"), stringify({ owner: "me" }));
    const run = await runProactive(args("--scenes-dir", scenes, "--out-dir", join(dir, "logs")));
    assertEquals(run.code, 0, run.stderr);
    assertStringIncludes(run.stderr, `Skipped "${join(scenes, "notes.yaml")}": not a scene`);
    assertStringIncludes(run.stderr, "environment.agent_ops entry 2 is neither text nor an object");
    // The logs take the file name of the reference's path, inside --out-dir.
    const first = await readLog(join(dir, "logs", "scene_0.jsonl"));
    const second = await readLog(join(dir, "logs", "scene_1.jsonl"));
    assertEquals(first.at(-1)!.tags, ["end"]);
    // The configuration's own counts, else the defaults.
    assertEquals([setupOf(first).adapt_rounds, setupOf(first).user_steps], [1, 2]);
    assertEquals([setupOf(second).adapt_rounds, setupOf(second).user_steps], [2, 7]);
    assert(activities(first) <= 2 && activities(first) >= 1, String(activities(first)));
    assertEquals(first.filter((r) => r.tags[0] === "env.intro").length, 1);
    // The object operation reaches the environment as it is.
    const setupRequest = requests().find((body) => body.includes("sample_agent_operations"))!;
    assertStringIncludes(setupRequest, JSON.stringify(JSON.stringify(OBJECT_OP)).slice(1, -1));
    // Flags given win over the configuration.
    const again = await runProactive(
      args("--scenes-dir", scenes, "--out-dir", join(dir, "flags"), "--user-steps", "1"),
    );
    assertEquals(again.code, 0, again.stderr);
    const flagged = await readLog(join(dir, "flags", "scene_0.jsonl"));
    assertEquals([setupOf(flagged).adapt_rounds, setupOf(flagged).user_steps], [1, 1]);
  });
});

Deno.test("datagen plays the reference's gym/example.yaml and a scene list with --scene-file", async () => {
  await withGym(async (args, dir) => {
    const example = join(dir, "example.yaml");
    const config = referenceConfig(0, { action_times: 1 });
    await Deno.writeTextFile(
      example,
      stringify({ ...config, eventSink: { out_file: "agent_data/scene_0.jsonl" } }),
    );
    const one = await runProactive(args("--scene-file", example, "--out-dir", join(dir, "one")));
    assertEquals(one.code, 0, one.stderr);
    const log = await readLog(join(dir, "one", "scene_0.jsonl"));
    assertEquals(setupOf(log).scene, "example");
    assertEquals(log.at(-1)!.tags, ["end"]);

    // A list as build_scenes.py saves it (scenes, then a trailing placeholder entry).
    const list = join(dir, "new_scenes.yaml");
    const { eventSink: _, agent: __, ...scene } = referenceConfig(1);
    await Deno.writeTextFile(list, stringify([scene, scene, "and more ..."]));
    const many = await runProactive(args("--scene-file", list, "--out-dir", join(dir, "many")));
    assertEquals(many.code, 0, many.stderr);
    const names = [...Deno.readDirSync(join(dir, "many"))].map((e) => e.name).sort();
    assertEquals(names.filter((n) => n.endsWith(".jsonl")), [
      "scene_new_scenes-000.jsonl",
      "scene_new_scenes-001.jsonl",
    ]);
  });
});
