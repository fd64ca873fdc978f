/**
 * Step 6 of a scene conversation: the schema it is asked with, and the reading of its
 * answer.
 *
 * Where structured output is allowed (`--response-format json_schema`, the default, and
 * not under `protocol: reference`) step 6 carries `SCENE_LIST_ANSWER_SCHEMA` as its
 * `response_format`: an object holding the list, `{"scenes": [scene, …]}` (strict mode
 * takes only an object at the top), each scene with every field the scenes stage needs.
 * The schema's descriptions say what goes where, so the instruction's text stays the
 * prompt set's own, byte for byte.
 *
 * The answer is written by a model, so untrusted, schema or not: it is read by the same
 * code in every mode. The JSON is read leniently (fences, prose around it, trailing
 * commas); the `scenes` member of an object, a lone scene object, or an object's only list
 * member is taken as the list, so the wrapped list of a structured answer and a bare list
 * of a free-text one read alike. Entries that are not objects (a trailing
 * `"and more ..."`) are dropped silently, scenes missing a required field are dropped with
 * a reason; an answer with no valid scene at all — a schema-conforming empty list too —
 * is an error written for the model to read (it is re-asked with it).
 */
import { z } from "zod";
import { parseSceneList, type SceneList } from "../formats/scene.ts";
import { parseLenientJson } from "../llm/lenient_json.ts";

/** The `json_schema.name` step 6 is asked with. */
export const SCENE_LIST_SCHEMA_NAME = "scene_list";

const text = (description: string) => z.string().describe(description);
const texts = (item: string, list: string) => z.array(text(item)).describe(list);

/**
 * What step 6 is asked for under structured output: the scene list inside an object. Its
 * fields are those `sceneSchema` (src/formats/scene.ts) requires; strict-mode compatible
 * (objects, strings and lists only, every field required).
 */
export const SCENE_LIST_ANSWER_SCHEMA = z.object({
  scenes: z.array(
    z.object({
      environment: z.object({
        theme: text("a few words naming the scene"),
        description: text("the scene in detail: the user, the place, the time, what is going on"),
        entities: texts("one entity with its description", "every entity of the scene"),
        agent_ops: texts(
          "one operation: its signature and what it does",
          "the assistant's operations in the scene",
        ),
        events_example: texts("one example event", "every example event written above"),
      }).describe("where the scene takes place and what can happen in it"),
      user: z.object({
        goal: text("the task this user sets out to do in the scene"),
        description: text("this user in detail: name, age, job, skills, habits"),
      }).describe("the user of the scene"),
    }).describe("one scene, complete on its own, every field filled in"),
  ).describe(
    "the JSON list of scenes asked for: one scene per user character and task described",
  ),
}).describe('The answer: the JSON list of scenes, held in "scenes".');

export type SceneAnswer = { ok: true; list: SceneList } | { ok: false; error: string };

/** The list in `value`: itself, its `scenes`, a lone scene wrapped, or its only list. */
function listOf(value: unknown): unknown {
  if (Array.isArray(value) || value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  if (Array.isArray(record.scenes)) return record.scenes;
  if ("environment" in record || "user" in record) return [record];
  const lists = Object.values(record).filter(Array.isArray);
  return lists.length === 1 ? lists[0] : value;
}

/**
 * Parses one answer; `source` names it in the reasons of dropped scenes. `finishReason`
 * "length" adds that the answer was cut off to the error.
 */
export function parseSceneAnswer(
  text: string,
  source: string,
  finishReason: string | null = "stop",
): SceneAnswer {
  const cut = finishReason === "length" ? " (the answer was cut off at the token limit)" : "";
  const parsed = parseLenientJson(text);
  if (!parsed.ok) return { ok: false, error: parsed.error + cut };
  const value = listOf(parsed.value);
  if (!Array.isArray(value)) {
    return { ok: false, error: `the answer is not a JSON list of scenes${cut}` };
  }
  const list = parseSceneList(value, source);
  if (list.scenes.length > 0) return { ok: true, list };
  const why = list.dropped.length > 0 ? list.dropped.join("\n") : "the list holds no scene object";
  return { ok: false, error: `no valid scene in the list:\n${why}${cut}` };
}
