/**
 * Reads the answer to step 6 of a scene conversation: a JSON list of scenes, written by a
 * model, so untrusted. The JSON is read leniently (fences, prose around it, trailing
 * commas); a lone scene object, or an object whose only list member is the scenes, is
 * taken as the list. Entries that are not objects (a trailing `"and more ..."`) are dropped
 * silently, scenes missing a required field are dropped with a reason; an answer with no
 * valid scene at all is an error written for the model to read (it is re-asked with it).
 */
import { parseSceneList, type SceneList } from "../formats/scene.ts";
import { parseLenientJson } from "../llm/lenient_json.ts";

export type SceneAnswer = { ok: true; list: SceneList } | { ok: false; error: string };

/** The list in `value`: itself, a lone scene wrapped, or an object's only list member. */
function listOf(value: unknown): unknown {
  if (Array.isArray(value) || value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
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
