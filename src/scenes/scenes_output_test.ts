import { assertEquals } from "../../tests/assert.ts";
import { parseSceneConfig, parseSceneList, parseYamlText, type Scene } from "../formats/scene.ts";
import { sceneConfigFiles, sceneListText, writeSeedTaskConfigs } from "./scenes_output.ts";
import { defaultScenes } from "./testing/fake_scenes_model.ts";

const scenesOf = (task: string) => parseSceneList(defaultScenes(task), task).scenes;

Deno.test("sceneListText: every scene in slot order; missing slots leave no gap", () => {
  const text = sceneListText([scenesOf("a"), undefined, scenesOf("c")]);
  const list = parseSceneList(parseYamlText(text, "list"), "list");
  assertEquals(list.dropped, []);
  assertEquals(list.scenes.map((s) => s.user.goal), [
    "a (variant 0)",
    "a (variant 1)",
    "c (variant 0)",
    "c (variant 1)",
  ]);
  assertEquals(parseYamlText(sceneListText([undefined]), "empty"), []);
});

Deno.test("sceneConfigFiles: named by kind, task and index in the answer", () => {
  const files = sceneConfigFiles({ kind: "code", taskIndex: 7 }, scenesOf("t"), [0, 2]);
  assertEquals(files.map((f) => f.name), ["scene_code-007_7000", "scene_code-007_7002"]);
  assertEquals(files[1].config.eventSink, { out_file: "scene_code-007_7002.jsonl" });
  assertEquals(files[1].config.user.theme, "Theme 1 of t");
});

Deno.test("writeSeedTaskConfigs: valid files, unchanged ones kept, stale ones of this task removed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const seed = { kind: "code", taskIndex: 1 };
    const scenes: Scene[] = scenesOf("t");
    const first = await writeSeedTaskConfigs(
      `${dir}/scenes`,
      seed,
      sceneConfigFiles(seed, scenes, [0, 1]),
    );
    assertEquals(first.written.length, 2);
    const path = `${dir}/scenes/scene_code-001_1001.yaml`;
    const config = parseSceneConfig(parseYamlText(await Deno.readTextFile(path), path), path);
    assertEquals(config.user.goal, "t (variant 1)");

    // Other tasks' files and unrelated files are never touched.
    for (const other of ["scene_code-010-5.yaml", "scene_code-001-x.yaml", "notes.txt"]) {
      await Deno.writeTextFile(`${dir}/scenes/${other}`, "x");
    }
    const again = await writeSeedTaskConfigs(
      `${dir}/scenes`,
      seed,
      sceneConfigFiles(seed, scenes.slice(0, 1), [0]),
    );
    assertEquals(again.written, []);
    assertEquals(again.unchanged, [`${dir}/scenes/scene_code-001_1000.yaml`]);
    assertEquals(again.removed, [path]);
    const names = (await Array.fromAsync(Deno.readDir(`${dir}/scenes`))).map((e) => e.name);
    assertEquals(names.sort(), [
      "notes.txt",
      "scene_code-001-x.yaml",
      "scene_code-001_1000.yaml",
      "scene_code-010-5.yaml",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
