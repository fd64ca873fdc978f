import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import {
  droppedAgentOps,
  logFileNameOf,
  parseSceneConfig,
  parseSceneList,
  parseYamlText,
  sceneConfigOf,
  sceneSchema,
} from "./scene.ts";

const EXAMPLE = new URL("../../tests/testdata/gym/scenes_example.yaml", import.meta.url);

const scene = (events: unknown[] = ["The user opens a file."]) => ({
  environment: {
    theme: "Coding",
    description: "A developer at a desk.",
    entities: ["Editor"],
    agent_ops: ["file_open(path)"],
    events_example: events,
  },
  user: { goal: "Fix a bug", description: "Ada, 31, engineer." },
});

Deno.test("the reference's example scenes load as valid scenes", async () => {
  const text = await Deno.readTextFile(EXAMPLE);
  const list = parseSceneList(parseYamlText(text, "scenes_example.yaml"), "scenes_example.yaml");
  assertEquals(list.scenes.length, 6);
  assertEquals(list.dropped, []);
  assertEquals(list.indices, [0, 1, 2, 3, 4, 5]);
  assert(list.scenes.every((s) => s.environment.events_example.length > 0));
});

Deno.test("a scene list drops non-object entries silently and invalid scenes with a reason", () => {
  const list = parseSceneList(
    [scene(), "and more ...", { environment: { theme: "x" }, user: {} }, scene(["a", "b", "c"])],
    "s.yaml",
  );
  assertEquals(list.scenes.length, 2);
  assertEquals(list.indices, [0, 3]);
  assertEquals(list.dropped.length, 1);
  assert(list.dropped[0].startsWith('Scene 2 of "s.yaml" at $[2].environment.description'));
  assertThrows(() => parseSceneList({ a: 1 }, "s.yaml"), Error, "expected a list of scenes");
});

Deno.test("text lists keep their text entries; a scene needs an example event", () => {
  const parsed = sceneSchema.parse(scene(["One.", 3, { x: 1 }, "  Two.  ", ""]));
  assertEquals(parsed.environment.events_example, ["One.", "Two."]);
  assert(!sceneSchema.safeParse(scene([])).success);
  assert(!sceneSchema.safeParse(scene([null])).success);
});

Deno.test("a scene configuration adds the theme, the agent and the log's file name", () => {
  const config = sceneConfigOf(sceneSchema.parse(scene()), "scene_coding-001-0");
  assertEquals(config.user.theme, "Coding");
  assertEquals(config.agent, {});
  assertEquals(config.eventSink?.out_file, "scene_coding-001-0.jsonl");
  assertEquals(parseSceneConfig(config, "c.yaml"), config);
  // The reference's paths give their file name; without eventSink the fallback.
  const reference = parseSceneConfig(
    { ...config, eventSink: { out_file: "dataset/agent_data/scene_3.jsonl" } },
    "c.yaml",
  );
  assertEquals(logFileNameOf(reference, "c.jsonl"), "scene_3.jsonl");
  assertEquals(
    logFileNameOf({ ...config, eventSink: { out_file: "a\\b.jsonl" } }, "c.jsonl"),
    "b.jsonl",
  );
  const { eventSink: _, ...bare } = config;
  assertEquals(logFileNameOf(parseSceneConfig(bare, "c.yaml"), "c.jsonl"), "c.jsonl");
  assertThrows(
    () => parseSceneConfig({ ...config, user: { ...config.user, action_times: -1 } }, "c.yaml"),
    Error,
    'Invalid scene configuration "c.yaml" at $.user.action_times',
  );
});

Deno.test("agent_ops keep text and objects; other entries are named", () => {
  const raw = scene();
  const op = { action: "open", description: "Opens a file", parameters: { path: "str" } };
  raw.environment.agent_ops = ["  run(cmd) ", op, 3, null, ""] as never;
  assertEquals(sceneSchema.parse(raw).environment.agent_ops, ["run(cmd)", op]);
  assertEquals(droppedAgentOps(raw), [2, 3, 4]);
  assertEquals(droppedAgentOps({ environment: {} }), []);
});

Deno.test("YAML errors name the source", () => {
  assertThrows(() => parseYamlText("a: [1,\n", "bad.yaml"), Error, 'Cannot parse "bad.yaml"');
});
