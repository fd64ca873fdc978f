/**
 * The agent's request at one turn of a recorded trace (ProactiveBench, or a trace made from
 * gym logs): the one prompt `eval agent` and `traces` ask, built from the agent prompt
 * module so the wording is the gym's and `agent-trainset`'s.
 *
 * The conversation is the system prompt; then, for the earlier turns, user messages that
 * keep only their observations (`{"Observations": [...]}`) and the agent's predictions as
 * the assistant turns; then this turn's step message (the instruction and the
 * observations not yet answered). A turn without a prediction (one that failed) leaves its
 * observation to the next user message, so roles always alternate.
 */
import type { Observation } from "../formats/trace.ts";
import type { ChatMessage } from "../llm/llm_types.ts";
import { type AgentPrediction, agentPredictionMessage, agentStepMessage } from "./agent_prompts.ts";
import type { PromptSet } from "./prompt_set.ts";

/** Observations without extra keys: `{time, event}` only. */
function plain(observations: readonly Observation[]): Observation[] {
  return observations.map(({ time, event }) => ({ time, event }));
}

/**
 * The request of turn `index`: `observations` are the trace's turns in order,
 * `predictions[j]` the agent's answer at turn j < index (undefined: none).
 */
export function traceTurnMessages(
  prompts: PromptSet,
  observations: readonly Observation[],
  index: number,
  predictions: readonly (AgentPrediction | undefined)[],
): ChatMessage[] {
  if (!Number.isInteger(index) || index < 0 || index >= observations.length) {
    throw new RangeError(`Turn ${index} is outside the trace (0–${observations.length - 1})`);
  }
  const messages: ChatMessage[] = [{
    role: "system",
    content: prompts.text("eval_agent", "system"),
  }];
  let pending: Observation[] = [];
  for (let turn = 0; turn < index; turn++) {
    pending.push(observations[turn]);
    const prediction = predictions[turn];
    if (prediction === undefined) continue;
    messages.push({ role: "user", content: JSON.stringify({ Observations: plain(pending) }) });
    messages.push(agentPredictionMessage(prediction));
    pending = [];
  }
  messages.push(
    agentStepMessage(
      prompts,
      [...pending, observations[index]],
      prompts.text("eval_agent", "step_instruction"),
    ),
  );
  return messages;
}
