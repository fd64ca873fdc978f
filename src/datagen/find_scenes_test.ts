import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "../../tests/assert.ts";
import { stringify } from "yaml";
import { confinedLogPath, findScenes, listSceneName } from "./find_scenes.ts";
import { sceneConfig } from "./testing/scene_fixtures.ts";

const EXAMPLE = new URL("../../tests/testdata/gym/scenes_example.yaml", import.meta.url).pathname;

Deno.test("a folder's scene_*.yaml configurations are found sorted by name", async () => {
  const dir = await Deno.makeTempDir();
  for (const name of ["scene_b-001-0", "scene_a-010-1", "scene_a-002-0"]) {
    await Deno.writeTextFile(`${dir}/${name}.yaml`, stringify(sceneConfig(`${name}.jsonl`)));
  }
  await Deno.writeTextFile(`${dir}/notes.yaml`, "not a scene");
  await Deno.writeTextFile(`${dir}/scenes.yaml`, "[]");
  const found = await findScenes({ scenesDir: dir });
  assertEquals(found.outDir, dir);
  assertEquals(found.scenes.map((s) => s.name), [
    "scene_a-002-0",
    "scene_a-010-1",
    "scene_b-001-0",
  ]);
  assertEquals(found.scenes[0].job?.logPath, `${dir}/scene_a-002-0.jsonl`);
  assertEquals(found.scenes[0].job?.config.user.goal, "Fix a bug");
  const elsewhere = await findScenes({ scenesDir: dir, outDir: "/tmp/logs" });
  assertEquals(elsewhere.scenes[2].job?.logPath, "/tmp/logs/scene_b-001-0.jsonl");
});

Deno.test("a broken configuration is one failed scene, named with its reason", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/scene_good.yaml`, stringify(sceneConfig("good.jsonl")));
  await Deno.writeTextFile(`${dir}/scene_bad_yaml.yaml`, "environment: [unclosed");
  await Deno.writeTextFile(`${dir}/scene_escape.yaml`, stringify(sceneConfig("logs/..")));
  await Deno.writeTextFile(`${dir}/scene_kind.yaml`, stringify(sceneConfig("agent_data/x.yaml")));
  await Deno.writeTextFile(`${dir}/scene_same.yaml`, stringify(sceneConfig("good.jsonl")));
  // A path, as the reference writes it: the log is its file name inside the folder.
  await Deno.writeTextFile(
    `${dir}/scene_3.yaml`,
    stringify(sceneConfig("dataset/agent_data/scene_3.jsonl")),
  );
  const { scenes } = await findScenes({ scenesDir: dir });
  const byName = Object.fromEntries(scenes.map((s) => [s.name, s]));
  assert(byName.scene_good.job);
  assert(byName.scene_bad_yaml.error?.includes("Cannot parse"), byName.scene_bad_yaml.error);
  assert(byName.scene_escape.error?.includes("eventSink.out_file"), byName.scene_escape.error);
  assert(byName.scene_kind.error?.includes("must be a .jsonl file"), byName.scene_kind.error);
  assert(byName.scene_same.error?.includes("same log"), byName.scene_same.error);
  assertEquals(byName.scene_3.job?.logPath, `${dir}/scene_3.jsonl`);
});

Deno.test("two files with one scene name: the second fails, naming the first", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/twin.yaml`, stringify(sceneConfig("one.jsonl")));
  await Deno.writeTextFile(`${dir}/twin.yml`, stringify(sceneConfig("two.jsonl")));
  const { scenes } = await findScenes({ scenesDir: dir });
  assert(scenes[0].job, scenes[0].error);
  assertStringIncludes(
    scenes[1].error ?? "",
    `has the same scene name "twin" as "${dir}/twin.yaml"`,
  );
});

Deno.test("a folder without configurations, or a missing one, is an input error", async () => {
  const dir = await Deno.makeTempDir();
  await assertRejects(() => findScenes({ scenesDir: dir }), Error, "holds no scene configuration");
  await assertRejects(() => findScenes({ scenesDir: `${dir}/missing` }), Error, `${dir}/missing`);
});

Deno.test("--scene-file: the example list gives one scene per entry, named by index", async () => {
  const found = await findScenes({ scenesDir: "unused", sceneFile: EXAMPLE });
  const dir = EXAMPLE.slice(0, EXAMPLE.lastIndexOf("/"));
  assertEquals(found.outDir, dir);
  assertEquals(
    found.scenes.map((s) => s.name),
    [0, 1, 2, 3, 4, 5].map((i) => `scene_scenes_example-00${i}`),
  );
  const job = found.scenes[3].job!;
  assertEquals(job.logPath, `${dir}/scene_scenes_example-003.jsonl`);
  assertEquals(job.config.eventSink?.out_file, "scene_scenes_example-003.jsonl");
  assertEquals(job.config.user.theme, job.config.environment.theme);
});

Deno.test("--scene-file: dropped entries are warned and keep the others' names", async () => {
  const dir = await Deno.makeTempDir();
  const { eventSink: _, agent: __, ...scene } = sceneConfig("x");
  const broken = { ...scene, user: { goal: "no description" } };
  await Deno.writeTextFile(`${dir}/list.yaml`, stringify([scene, broken, scene, "and more ..."]));
  const found = await findScenes({
    scenesDir: "unused",
    sceneFile: `${dir}/list.yaml`,
    outDir: `${dir}/logs`,
  });
  assertEquals(found.scenes.map((s) => s.name), ["scene_list-000", "scene_list-002"]);
  assertEquals(found.warnings.length, 1);
  assert(found.warnings[0].includes("Scene 1"), found.warnings[0]);
  assertEquals(found.scenes[1].job?.logPath, `${dir}/logs/scene_list-002.jsonl`);
  await Deno.writeTextFile(`${dir}/empty.yaml`, stringify([broken]));
  await assertRejects(
    () => findScenes({ scenesDir: "unused", sceneFile: `${dir}/empty.yaml` }),
    Error,
    "holds no valid scene",
  );
});

Deno.test("log paths stay inside the output folder", () => {
  assertEquals(confinedLogPath("out", "a.jsonl", "s"), "out/a.jsonl");
  assertEquals(confinedLogPath("out", "a..jsonl", "s"), "out/a..jsonl");
  for (const bad of ["..", ".", "../a.jsonl", "/tmp/a.jsonl", "sub/a.jsonl", "sub/../../a.jsonl"]) {
    assertThrows(() => confinedLogPath("out", bad, "s.yaml"), Error, "must be a file name inside");
  }
  for (
    const bad of [
      "scene_b.yaml",
      "datagen_summary.json",
      ".state.jsonl",
      "a.jsonl.partial",
    ]
  ) {
    assertThrows(() => confinedLogPath("out", bad, "s.yaml"), Error, "must be a .jsonl file name");
  }
  assertEquals(listSceneName("scenes", 7), "scene_scenes-007");
  assertEquals(listSceneName("scenes", 1234), "scene_scenes-1234");
});

Deno.test("a configuration that is not UTF-8 or is a folder fails its scene; a BOM is dropped", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = new TextEncoder().encode(stringify(sceneConfig("bom.jsonl")));
    await Deno.writeFile(`${dir}/scene_bom.yaml`, new Uint8Array([0xef, 0xbb, 0xbf, ...good]));
    await Deno.writeFile(`${dir}/scene_latin1.yaml`, new Uint8Array([...good.slice(0, 9), 0xe9]));
    await Deno.mkdir(`${dir}/scene_folder.yaml`);
    const { scenes } = await findScenes({ scenesDir: dir });
    assertEquals(scenes.map((s) => s.name), ["scene_bom", "scene_folder", "scene_latin1"]);
    assertEquals(scenes[0].job?.config.user.goal, "Fix a bug");
    // Before: the folder was skipped silently and the bad byte read as U+FFFD.
    assertEquals(
      scenes[1].error,
      `The scene configuration "${dir}/scene_folder.yaml" is a folder, not a file`,
    );
    assertEquals(
      scenes[2].error,
      `The scene configuration "${dir}/scene_latin1.yaml" is not UTF-8 text: ` +
        "invalid byte 0xe9 at byte offset 9 (line 1)",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
