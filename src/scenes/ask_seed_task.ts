/**
 * One scene conversation: the six instructions of `scenes_prompts.ts` for one seed task,
 * each sent with every earlier instruction and answer, then the step-6 answer read as a
 * list of scenes. An answer with no valid scene is re-asked — the model sees its answer
 * and what was wrong — at most `maxRepairs` times.
 *
 * Steps 1–5 are free text. Step 6 and its re-asks carry the scene list's
 * `response_format` (`SCENE_LIST_ANSWER_SCHEMA`, `{"scenes": [...]}`) in the client's
 * mode — the JSON schema by default, `{"type": "json_object"}` under `json_object` (the
 * instruction then ends with `SCENE_LIST_OBJECT_NOTE`, as nothing else says which object)
 * — and none under `--response-format none` or `protocol: reference`, where the requests
 * are exactly the free-text ones. Every answer is read by `parseSceneAnswer` alike.
 *
 * Every request carries the cache tag of its seed task, so a re-run replays the whole
 * conversation from the completion cache, and two equal tasks still get their own samples.
 */
import { BUILTIN_PROMPT_SET, type PromptSet, promptsOf } from "../prompts/prompt_set.ts";
import { runtimeError } from "../cli/errors.ts";
import type { Scene } from "../formats/scene.ts";
import type { LlmClient } from "../llm/llm_client.ts";
import type { ChatMessage, ChatParams } from "../llm/llm_types.ts";
import { LlmOutputError } from "../llm/structured_completion.ts";
import {
  SCENE_LIST_OBJECT_NOTE,
  sceneConversationStart,
  sceneListRepairMessage,
  sceneStepInstructions,
  STEP_TEMPERATURES,
} from "../prompts/scenes_prompts.ts";
import { sampleEventsFor } from "./sample_events.ts";
import {
  parseSceneAnswer,
  SCENE_LIST_ANSWER_SCHEMA,
  SCENE_LIST_SCHEMA_NAME,
} from "./scene_answer.ts";
import type { SeedTask } from "./seed_file.ts";

export interface SeedTaskSettings {
  /** `--seed`: the draw of the sample events, and part of every cache tag. */
  seed: bigint;
  /** Re-asks of step 6 after an answer with no valid scene. */
  maxRepairs: number;
  /** The texts of the conversation (default: the built-in set). */
  prompts?: PromptSet;
}

export interface SeedTaskScenes {
  /** The valid scenes of the answer, in answer order. */
  scenes: Scene[];
  /** Index of each scene in the answer list (dropped entries counted). */
  indices: number[];
  /** Why scenes of the answer were dropped. */
  dropped: string[];
  /** Re-asks of step 6 that were needed. */
  repairs: number;
}

/** How a seed task is named in messages: `codingassistant task 7`. */
export function seedTaskLabel(seed: Pick<SeedTask, "kind" | "taskIndex">): string {
  return `${seed.kind} task ${seed.taskIndex}`;
}

/** The cache tag of every request of a seed task's conversation. */
export function seedTaskCacheTag(seed: SeedTask, settingsSeed: bigint): string {
  return `scenes/seed:${settingsSeed}/${JSON.stringify(seed.kind)}/task:${seed.taskIndex}`;
}

/** The six instructions for `seed` under `settingsSeed` (the sample events drawn). */
export function seedTaskInstructions(
  seed: SeedTask,
  settingsSeed: bigint,
  prompts: PromptSet = BUILTIN_PROMPT_SET,
): string[] {
  const shown = sampleEventsFor(seed.sampleEvents, settingsSeed, seed.kind, seed.taskIndex);
  return sceneStepInstructions(prompts, seed.kind, seed.task, shown);
}

/** The last step: the scene list. */
const LAST_STEP = 5;

/** What a scene conversation needs of its client. */
export type ScenesClient = Pick<LlmClient, "chat" | "responseFormat">;

/**
 * Step 6's `response_format` in the client's mode (see the module doc); none under
 * protocol: reference (build_scenes.py sends none).
 */
function sceneListFormat(
  client: Pick<LlmClient, "responseFormat">,
  prompts: PromptSet,
): ChatParams["response_format"] | undefined {
  if (prompts.protocol === "reference") return undefined;
  return client.responseFormat(SCENE_LIST_ANSWER_SCHEMA, { schemaName: SCENE_LIST_SCHEMA_NAME });
}

/**
 * A step's parameters: its temperature, step 6's `format`; under protocol: reference no
 * seed (build_scenes.py sends none).
 */
function stepParams(
  prompts: PromptSet,
  step: number,
  format: ChatParams["response_format"] | undefined,
): ChatParams {
  const params: ChatParams = prompts.protocol === "reference"
    ? { temperature: STEP_TEMPERATURES[step], seed: null }
    : { temperature: STEP_TEMPERATURES[step] };
  return step === LAST_STEP && format !== undefined
    ? { ...params, response_format: format }
    : params;
}

export async function askSeedTask(
  client: ScenesClient,
  seed: SeedTask,
  settings: SeedTaskSettings,
  options: { signal?: AbortSignal; onRepair?: () => void } = {},
): Promise<SeedTaskScenes> {
  const call = { cacheTag: seedTaskCacheTag(seed, settings.seed), signal: options.signal };
  const prompts = promptsOf(settings);
  const instructions = seedTaskInstructions(seed, settings.seed, prompts);
  const format = sceneListFormat(client, prompts);
  if (format?.type === "json_object") instructions[LAST_STEP] += SCENE_LIST_OBJECT_NOTE;
  const messages: ChatMessage[] = sceneConversationStart(prompts);
  let reply = { text: "", finishReason: null as string | null };
  for (let step = 0; step < instructions.length; step++) {
    messages.push({ role: "user", content: instructions[step] });
    const answer = await client.chat(messages, stepParams(prompts, step, format), call);
    reply = { text: answer.choices[0] ?? "", finishReason: answer.finishReasons[0] ?? null };
    if (step < instructions.length - 1) {
      if (reply.text.trim() === "") {
        throw runtimeError(`the answer to step ${step + 1} is empty`);
      }
      messages.push({ role: "assistant", content: reply.text });
    }
  }

  const source = `the answer for ${seedTaskLabel(seed)}`;
  let result = parseSceneAnswer(reply.text, source, reply.finishReason);
  let repairs = 0;
  while (!result.ok && repairs < settings.maxRepairs) {
    repairs++;
    options.onRepair?.();
    const again = await client.chat(
      [
        ...messages,
        { role: "assistant", content: reply.text },
        { role: "user", content: sceneListRepairMessage(prompts, result.error) },
      ],
      stepParams(prompts, LAST_STEP, format),
      call,
    );
    reply = { text: again.choices[0] ?? "", finishReason: again.finishReasons[0] ?? null };
    result = parseSceneAnswer(reply.text, source, reply.finishReason);
  }
  if (!result.ok) {
    const asks = repairs === 0 ? "" : ` after ${repairs} re-ask${repairs > 1 ? "s" : ""}`;
    throw new LlmOutputError(
      `no usable scene list${asks}: ${result.error.split("\n").slice(0, 2).join(" ")}`,
      reply.text,
      result.error,
    );
  }
  return { ...result.list, repairs };
}
