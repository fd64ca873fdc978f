/**
 * How `eval agent` asks the agent at the turns of one trace, in order: a predictor per
 * trace keeps the conversation and gives each turn's fields.
 *
 * - `proactive` (the built-in protocol): `traceTurnMessages` (the gym's agent prompt),
 *   structured answers, temperature 0 then 0.5, `AGENT_ATTEMPTS` attempts; a failed turn
 *   leaves its observation to the next turn's message.
 * - `reference` (`protocol: reference`): eval/script.py request for request (see
 *   `prompts/reference_messages.ts`): temperature 0.5 on every attempt (the script means 0
 *   first, but its `attempt_number < 1` never holds: tenacity counts from 1), no
 *   `response_format`, no seed, at most 5 attempts, the answer read as its `extrat_pred`
 *   reads it; `agent_response` = `[]` or `[task]`, `other_infomation` = the other keys. A
 *   failed turn's message stays in the history as the plain event (with
 *   `referenceQuirks`: as the script leaves it, the whole step message).
 *
 * @module
 */
import type { Observation } from "../formats/trace.ts";
import type { LlmClient } from "../llm/llm_client.ts";
import type { ChatMessage } from "../llm/llm_types.ts";
import { LlmOutputError } from "../llm/structured_completion.ts";
import {
  type AgentPrediction,
  agentPredictionSchema,
  proposedTask,
} from "../prompts/agent_prompts.ts";
import { traceTurnMessages } from "../prompts/agent_trace_messages.ts";
import type { PromptSet } from "../prompts/prompt_set.ts";
import {
  referenceEvalStepMessage,
  referenceEventText,
  referenceExtractPrediction,
  referencePredictionText,
  requireReferenceTexts,
} from "../prompts/reference_messages.ts";

/** Attempts per turn at our level (each one with the LLM layer's own re-asks). */
export const AGENT_ATTEMPTS = 3;
/** eval/script.py's `stop_after_attempt(5)`. */
export const REFERENCE_AGENT_ATTEMPTS = 5;
/** The temperature eval/script.py sends on every attempt. */
export const REFERENCE_AGENT_TEMPERATURE = 0.5;

export type TurnResult =
  | { fields: Record<string, unknown> }
  | { failure: string };

export interface TracePredictor {
  /** Asks at `turn` (turns in order, each once). */
  predict(turn: number, signal: AbortSignal): Promise<TurnResult>;
}

export interface PredictorOptions {
  prompts: PromptSet;
  /** Temperature of every attempt (proactive default: 0, then 0.5 on retries). */
  temperature?: number;
  priority?: number;
  /** Reproduce the reference's defects (see the module doc). */
  referenceQuirks?: boolean;
}

/** Temperature of attempt `k` (0-based). */
export function attemptTemperature(k: number, override?: number): number {
  return override ?? (k === 0 ? 0 : 0.5);
}

/** The fields a prediction sets on a turn. */
export function predictionFields(prediction: AgentPrediction): Record<string, unknown> {
  const task = proposedTask(prediction);
  return {
    agent_response: task === null ? [] : [task],
    other_infomation: {
      Purpose: prediction.Purpose,
      Thoughts: prediction.Thoughts,
      Response: prediction.Response,
    },
  };
}

/** Refuses a reference run whose set lacks the reference's eval texts (before any request). */
export function checkPredictorTexts(prompts: PromptSet): void {
  if (prompts.protocol !== "reference") return;
  requireReferenceTexts(prompts, "eval agent", [["eval_agent", "system"], ["eval_agent", "step"]]);
}

/** The agent model's client (`chat` is needed under the reference protocol only). */
export type PredictorClient = Pick<LlmClient, "chatJson"> & Partial<Pick<LlmClient, "chat">>;

/** The predictor of one trace for the set's protocol. */
export function tracePredictor(
  observations: readonly Observation[],
  client: PredictorClient,
  options: PredictorOptions,
): TracePredictor {
  if (options.prompts.protocol !== "reference") {
    return proactivePredictor(observations, client, options);
  }
  if (!client.chat) throw new Error("The reference protocol needs a client with chat()");
  return referencePredictor(observations, { chat: client.chat.bind(client) }, options);
}

function proactivePredictor(
  observations: readonly Observation[],
  client: Pick<LlmClient, "chatJson">,
  options: PredictorOptions,
): TracePredictor {
  const predictions: (AgentPrediction | undefined)[] = [];
  return {
    async predict(turn, signal) {
      const messages = traceTurnMessages(options.prompts, observations, turn, predictions);
      let reason = "";
      for (let k = 0; k < AGENT_ATTEMPTS; k++) {
        try {
          const [prediction] = await client.chatJson(
            agentPredictionSchema,
            messages,
            { temperature: attemptTemperature(k, options.temperature) },
            { cacheTag: `eval-agent-attempt-${k}`, signal, priority: options.priority },
          );
          predictions.push(prediction);
          return { fields: predictionFields(prediction) };
        } catch (error) {
          if (!(error instanceof LlmOutputError)) throw error;
          reason = error.message.split("\n")[0];
        }
      }
      predictions.push(undefined);
      return { failure: reason };
    },
  };
}

function referencePredictor(
  observations: readonly Observation[],
  client: Pick<LlmClient, "chat">,
  options: PredictorOptions,
): TracePredictor {
  const messages: ChatMessage[] = [
    { role: "system", content: options.prompts.text("eval_agent", "system") },
  ];
  return {
    async predict(turn, signal) {
      const event = { Time: observations[turn].time, Event: observations[turn].event };
      const step = referenceEvalStepMessage(options.prompts, event);
      messages.push(step);
      let reason = "";
      for (let attempt = 0; attempt < REFERENCE_AGENT_ATTEMPTS; attempt++) {
        const reply = await client.chat(
          messages,
          { temperature: options.temperature ?? REFERENCE_AGENT_TEMPERATURE, seed: null },
          {
            cacheTag: `eval-agent-reference-attempt-${attempt}`,
            signal,
            priority: options.priority,
          },
        );
        try {
          const prediction = referenceExtractPrediction(reply.choices[0] ?? "");
          const { "Proactive Task": task, ...rest } = prediction;
          messages.push({ role: "assistant", content: referencePredictionText(prediction) });
          messages[messages.length - 2] = { role: "user", content: referenceEventText(event) };
          return {
            fields: { agent_response: task === null ? [] : [task], other_infomation: rest },
          };
        } catch (error) {
          reason = `attempt ${attempt + 1}: ${(error as Error).message}`;
        }
      }
      // The script leaves the step message in the history; the fix keeps the plain event.
      if (!options.referenceQuirks) {
        messages[messages.length - 1] = { role: "user", content: referenceEventText(event) };
      }
      return { failure: `no valid prediction in ${REFERENCE_AGENT_ATTEMPTS} attempts (${reason})` };
    },
  };
}
