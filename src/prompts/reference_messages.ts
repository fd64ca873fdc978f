/**
 * The reference project's own message layouts, for prompt sets with `protocol: reference`:
 * what its scripts send, request by request, with the texts of the imported set (the
 * reference's text is never in this repository: `proactive prompts import` reads it from
 * the user's checkout). Key names and layouts are data formats; every sentence comes from
 * the set. The facts followed, script by script:
 *
 * - `eval/script.py` (eval agent): system; per earlier turn a user message
 *   `json.dumps({"Time": t, "Event": e})` and an assistant message `json.dumps(prediction)`;
 *   the current turn's message is the STEP text with `[placeholder]` replaced by
 *   `json.dumps({"Time": t, "Event": e})` (a plain text replacement inside the JSON text).
 * - `eval/reward_model_template.py` (the reward model, everywhere it is asked): system;
 *   user `json.dumps({"Observations (Time Ascending)": obs, "Proposed Task": task,
 *   "Instruction": …}, indent=4, ensure_ascii=False)`.
 * - `dataset/build_agent_trainset.py` (agent-trainset): system; per event a user message
 *   `json.dumps({"Instructions": …, "Observations": {"Time", "Event"}})`, kept as
 *   `json.dumps({"Time", "Event"})` once the event is answered; a rejected prediction asked
 *   again with `{"Previous Prediction", "Status": "Rejected", "User Feedback",
 *   "Instructions"}`; the history cut by `cut_messages` (20,000 characters, 10,000 of agent
 *   answers, adjacent user messages merged).
 *
 * `json.dumps` is Python's (`pythonDumps`): `", "`/`": "` separators, non-ASCII escaped
 * unless `ensure_ascii=False`.
 *
 * @module
 */
import type { FlagDecls } from "../cli/flags.ts";
import { inputError } from "../cli/errors.ts";
import { pythonDumps } from "../jsonl/python_json.ts";
import type { ChatMessage } from "../llm/llm_types.ts";
import type { PromptSet } from "./prompt_set.ts";
import { type FieldName, fieldSpec, PROMPT_ROLES, type RoleName } from "./prompt_roles.ts";

/** A turn's observation as the reference's scripts name its keys. */
export interface ReferenceEvent {
  Time: string;
  Event: string;
}

/**
 * Refuses a reference-protocol stage whose texts the set does not give (the built-in
 * texts are not the reference's): names them and how to import them.
 */
export function requireReferenceTexts(
  prompts: PromptSet,
  stage: string,
  fields: readonly (readonly [RoleName, string])[],
): void {
  const missing = fields.filter(([role, field]) => {
    if (prompts.sets(role, field as FieldName<typeof role>)) return false;
    const fallback = (PROMPT_ROLES[role] as { fallback?: RoleName }).fallback;
    return fallback === undefined || fieldSpec(fallback, field) === undefined ||
      !prompts.sets(fallback, field as never);
  });
  if (missing.length === 0) return;
  throw inputError(
    `${stage} under protocol: reference needs the reference's texts ${
      missing.map(([role, field]) => `${role}.${field}`).join(", ")
    }, which the prompt set "${prompts.name}" does not give: import them from a checkout ` +
      `of the reference project with 'proactive prompts import DIR --out FILE' and pass ` +
      `--prompts FILE`,
  );
}

/** Refuses `stage` under protocol: reference when the set lacks the reference's reward texts. */
export function checkReferenceRewardTexts(prompts: PromptSet, stage: string): void {
  if (prompts.protocol !== "reference") return;
  requireReferenceTexts(prompts, stage, [["reward", "system"], ["reward", "instruction"]]);
}

/** `reward_model_template.format_reward_instruction(obs, task)`. */
export function referenceRewardMessages(
  prompts: PromptSet,
  observations: readonly unknown[],
  task: unknown,
): ChatMessage[] {
  const instruction = {
    "Observations (Time Ascending)": observations,
    "Proposed Task": task,
    Instruction: prompts.text("reward", "instruction"),
  };
  return [
    { role: "system", content: prompts.text("reward", "system") },
    { role: "user", content: pythonDumps(instruction, { indent: 4, ensureAscii: false }) },
  ];
}

/** `json.dumps({"Time": t, "Event": e})`. */
export function referenceEventText(event: ReferenceEvent): string {
  return pythonDumps({ Time: event.Time, Event: event.Event });
}

/** eval/script.py's message of the current turn: STEP with its placeholder replaced. */
export function referenceEvalStepMessage(prompts: PromptSet, event: ReferenceEvent): ChatMessage {
  return {
    role: "user",
    content: prompts.text("eval_agent", "step").replace("[placeholder]", referenceEventText(event)),
  };
}

/** build_agent_trainset.py's message of an event not yet answered (STEP_OBJ + Observations). */
export function referenceAgentStepText(prompts: PromptSet, event: ReferenceEvent): string {
  return pythonDumps({
    Instructions: prompts.text("agent", "step_instruction"),
    Observations: { Time: event.Time, Event: event.Event },
  });
}

/** The re-ask after a rejected prediction (build_agent_trainset.py's `make_valid_prediction`). */
export function referenceRetryMessage(
  prompts: PromptSet,
  prediction: unknown,
  feedback: unknown,
): ChatMessage {
  return {
    role: "user",
    content: pythonDumps({
      "Previous Prediction": prediction,
      Status: "Rejected",
      "User Feedback": feedback,
      Instructions: prompts.text("agent", "retry_instruction"),
    }),
  };
}

/** The reference's prediction, as its `extrat_pred` reads it. */
export type ReferencePrediction = Record<string, unknown>;

/**
 * `extrat_pred` (eval/script.py, build_agent_trainset.py): the first ```json fenced block
 * when the text holds one, parsed as JSON (strictly); a missing or `"null"` Proactive Task
 * becomes null (a missing key is added last), a `"null"` Response becomes null. Throws
 * what Python would (an attempt that fails).
 */
export function referenceExtractPrediction(text: string): ReferencePrediction {
  let source = text;
  if (text.includes("```json")) {
    const match = text.match(/```json\n([\s\S]*?)\n```/);
    if (!match) throw new Error("a ```json block without its closing fence");
    source = match[1];
  }
  const value = JSON.parse(source) as unknown;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Error("the prediction is not a JSON object");
  }
  const prediction = value as ReferencePrediction;
  const task = prediction["Proactive Task"];
  if (task === undefined || task === null || task === "null") prediction["Proactive Task"] = null;
  if (prediction.Response === "null") prediction.Response = null;
  return prediction;
}

/** `json.dumps(prediction)`: the assistant message of a prediction. */
export function referencePredictionText(prediction: ReferencePrediction): string {
  return pythonDumps(prediction);
}

/** Python's `len()` of a text: code points, not UTF-16 units. */
function pythonLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * build_agent_trainset.py's `cut_messages`: from the newest message back, keep messages
 * while the total (system included) stays under `maxLength` characters, skipping
 * assistant messages once they would pass `maxAgent`; drop leading non-user messages;
 * merge adjacent user messages (one: re-dumped; several: `{"Observations": [...]}`).
 */
export function referenceCutMessages(
  messages: readonly ChatMessage[],
  maxLength = 20_000,
  maxAgent = 10_000,
): ChatMessage[] {
  const kept: ChatMessage[] = [];
  let total = pythonLength(messages[0].content);
  let agent = 0;
  for (let i = messages.length - 1; i >= 1; i--) {
    const message = messages[i];
    const length = pythonLength(message.content);
    if (length + total >= maxLength) break;
    if (message.role === "assistant") {
      if (length + agent >= maxAgent) continue;
      agent += length;
    }
    kept.unshift(message);
    total += length;
  }
  while (kept.length > 0 && kept[0].role !== "user") kept.shift();
  if (kept.length === 0) throw new Error("no user message fits in the history (IndexError)");
  const merged: ChatMessage[] = [messages[0]];
  let observations: unknown[] = [];
  const flush = () => {
    if (observations.length === 1) {
      merged.push({ role: "user", content: pythonDumps(observations[0]) });
    } else if (observations.length > 1) {
      merged.push({ role: "user", content: pythonDumps({ Observations: observations }) });
    }
    observations = [];
  };
  for (const message of kept) {
    if (message.role === "user") {
      observations.push(JSON.parse(message.content));
      continue;
    }
    if (observations.length === 0) throw new Error("Empty Observations");
    flush();
    merged.push(message);
  }
  flush();
  return merged;
}

/** `--reference-quirks`, on the stages whose reference script has defects that change numbers. */
export const REFERENCE_QUIRKS_FLAG = {
  "reference-quirks": {
    kind: "boolean",
    help: [
      "Under protocol: reference, reproduce the reference",
      `script's defects too (see README, "Coming from the reference")`,
    ],
  },
} as const satisfies FlagDecls;

/** build_reward_trainset.py's `format_message(obs, task, user)`: the explain request. */
export function referenceExplainMessages(
  prompts: PromptSet,
  observations: readonly unknown[],
  task: unknown,
  accepted: boolean,
): ChatMessage[] {
  const instruction = {
    "Observations (Time Ascending)": observations,
    "Proposed Task": task,
    "User Judgement": accepted ? "accepted" : "rejected",
    Instruction: prompts.text("reward_explain", "instruction"),
  };
  return [
    { role: "system", content: prompts.text("reward_explain", "system") },
    { role: "user", content: pythonDumps(instruction, { indent: 4, ensureAscii: false }) },
  ];
}

/** build_reward_trainset.py's `format_thought_check(thought)`: the consistency check. */
export function referenceCheckMessages(prompts: PromptSet, thought: unknown): ChatMessage[] {
  const instruction = {
    "Thought To Check": thought,
    Instruction: prompts.text("consistency", "instruction"),
  };
  return [
    { role: "system", content: prompts.text("consistency", "system") },
    { role: "user", content: pythonDumps(instruction, { indent: 4, ensureAscii: false }) },
  ];
}

/** The texts `proactive reward` sends under protocol: reference. */
export const REFERENCE_REWARD_SET_TEXTS = [
  ["reward", "system"],
  ["reward", "instruction"],
  ["reward_explain", "system"],
  ["reward_explain", "instruction"],
  ["consistency", "system"],
  ["consistency", "instruction"],
] as const;
