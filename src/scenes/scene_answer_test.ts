import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { jsonSchemaOf, responseFormatFor } from "../llm/structured_completion.ts";
import { toStrictJsonSchema } from "../llm/strict_json_schema.ts";
import { answerFromSchema } from "../llm/testing/schema_answer.ts";
import { parseSceneAnswer, SCENE_LIST_ANSWER_SCHEMA } from "./scene_answer.ts";
import { defaultScenes } from "./testing/fake_scenes_model.ts";

const [one, two] = defaultScenes("Write a parser.");

Deno.test("parseSceneAnswer: a fenced list with prose; the trailing 'and more ...' is dropped", () => {
  const text = "Here are the scenes:\n```json\n" + JSON.stringify([one, two, "and more ..."]) +
    "\n```\nHope this helps.";
  const answer = parseSceneAnswer(text, "the answer");
  assert(answer.ok);
  assertEquals(answer.list.scenes.length, 2);
  assertEquals(answer.list.indices, [0, 1]);
  assertEquals(answer.list.dropped, []);
});

Deno.test("parseSceneAnswer: a scene missing a field is dropped with a reason", () => {
  const broken = structuredClone(one) as { environment: Record<string, unknown> };
  broken.environment.events_example = [];
  const answer = parseSceneAnswer(JSON.stringify([broken, two]), "the answer for k task 1");
  assert(answer.ok);
  assertEquals(answer.list.indices, [1]);
  assertEquals(answer.list.dropped.length, 1);
  assertStringIncludes(
    answer.list.dropped[0],
    `Scene 0 of "the answer for k task 1" at $[0].environment.events_example`,
  );
});

Deno.test("parseSceneAnswer: a lone scene, or a list inside an object, is taken as the list", () => {
  const lone = parseSceneAnswer(JSON.stringify(one), "a");
  assert(lone.ok);
  assertEquals(lone.list.scenes.length, 1);
  const wrapped = parseSceneAnswer(JSON.stringify({ scenes: [one, two] }), "a");
  assert(wrapped.ok);
  assertEquals(wrapped.list.scenes.length, 2);
});

Deno.test("parseSceneAnswer: no valid scene is an error for the model to read", () => {
  const none = parseSceneAnswer(JSON.stringify(["and more ..."]), "a");
  assertEquals(none, {
    ok: false,
    error: "no valid scene in the list:\nthe list holds no scene object",
  });
  const invalid = parseSceneAnswer(JSON.stringify([{ user: { goal: "g" } }]), "a");
  assert(!invalid.ok);
  assertStringIncludes(invalid.error, "$[0].environment");
  const prose = parseSceneAnswer("I would rather not.", "a");
  assertEquals(prose, { ok: false, error: "the answer contains no JSON object" });
  const object = parseSceneAnswer('{"a": 1, "b": 2}', "a");
  assertEquals(object, { ok: false, error: "the answer is not a JSON list of scenes" });
  const cut = parseSceneAnswer('[{"environment": {"theme": "x"', "a", "length");
  assert(!cut.ok);
  assertStringIncludes(cut.error, "cut off at the token limit");
});

Deno.test("parseSceneAnswer: the scenes member of an object is the list, whatever else it holds", () => {
  const answer = parseSceneAnswer(JSON.stringify({ scenes: [one], notes: ["x"] }), "a");
  assert(answer.ok);
  assertEquals(answer.list.scenes.length, 1);
  const empty = parseSceneAnswer('{"scenes": []}', "a");
  assertEquals(empty, {
    ok: false,
    error: "no valid scene in the list:\nthe list holds no scene object",
  });
});

Deno.test("SCENE_LIST_ANSWER_SCHEMA: strict as it is; any value of it reads as valid scenes", () => {
  const json = jsonSchemaOf(SCENE_LIST_ANSWER_SCHEMA);
  assertEquals(toStrictJsonSchema(json).dropped, [], "nothing for strict mode to cut");
  const schema = responseFormatFor(SCENE_LIST_ANSWER_SCHEMA, "scene_list").json_schema.schema;
  assertEquals(schema.required, ["scenes"]);
  const scene = (schema.properties as Record<string, Record<string, Record<string, unknown>>>)
    .scenes.items;
  const fields = (object: unknown) => (object as { required: string[] }).required;
  const properties = scene.properties as Record<string, unknown>;
  assertEquals(fields(scene), ["environment", "user"]);
  assertEquals(fields(properties.environment), [
    "theme",
    "description",
    "entities",
    "agent_ops",
    "events_example",
  ]);
  assertEquals(fields(properties.user), ["goal", "description"]);

  const value = answerFromSchema(schema, { listLength: 3 });
  const answer = parseSceneAnswer(JSON.stringify(value), "a");
  assert(answer.ok);
  assertEquals(answer.list.scenes.length, 3);
  assertEquals(answer.list.dropped, []);
  assertEquals(answer.list.scenes[0].environment.events_example.length, 3);
});
