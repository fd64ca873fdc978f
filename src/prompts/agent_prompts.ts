/**
 * The proactive agent's prompts: THE module the gym plays the agent with, and
 * `agent-trainset` and `eval agent` build their requests with, so training data and
 * evaluation see the same wording.
 *
 * A conversation is the system prompt, then for each step a user message
 * `{"Instructions", "Observations": [{time, event}, …]}` (what happened since the previous
 * step) and the agent's answer `{"Purpose", "Thoughts", "Proactive Task", "Response"}` as an
 * assistant message. "Proactive Task" is null when the user needs no help.
 *
 * Bump the version whenever the wording changes: it is in every summary, and the wording
 * is in every cache key.
 */
import { z } from "zod";
import type { Observation } from "../formats/trace.ts";
import type { ChatMessage } from "../llm/llm_types.ts";
import type { PromptSet } from "./prompt_set.ts";

export const AGENT_PROMPT_VERSION = "agent-v1";

export const AGENT_SYSTEM_PROMPT =
  `You are a proactive assistant. You watch what a person is doing on their computer and around it, and offer help before they ask — but only when it would really help.

How to work:
- Read the observations in order and work out what the person is trying to do with their latest action.
- Offer a task only when you understand what they are doing and the task would clearly help now; staying quiet is often right.
- Propose only what you can carry out with the operations available to you.
- Keep the timing of events in mind: a long pause, a repeated attempt or an error can be a sign that help is needed.
- If the person accepts your proposal, you carry it out.

Answer with one JSON object only:
{
  "Purpose": "The purpose of the person's latest action.",
  "Thoughts": "Your reasoning about what they are doing and whether they need help.",
  "Proactive Task": "The task you offer to do, or null when no help is needed.",
  "Response": "What you tell the person when you offer the task, or null."
}`;

export const AGENT_STEP_INSTRUCTIONS =
  "Analyse the observations so far and offer a task if you think the person needs your help now; otherwise set Proactive Task to null.";

export const AGENT_RETRY_INSTRUCTIONS =
  "Your previous prediction was rejected. Make a different prediction.";

/** The agent's answer to a step. */
export const agentPredictionSchema = z.object({
  Purpose: z.string(),
  Thoughts: z.string(),
  "Proactive Task": z.string().nullable(),
  Response: z.string().nullable(),
});
export type AgentPrediction = z.infer<typeof agentPredictionSchema>;

/** The proposed task of a prediction; blank text counts as no task. */
export function proposedTask(prediction: AgentPrediction): string | null {
  const task = prediction["Proactive Task"];
  return task === null || task.trim() === "" ? null : task.trim();
}

/**
 * The observation that tells the agent which operations it can run (the scene's
 * `agent.ops`): the first of its conversation, in the gym and in `agent-trainset`.
 */
export function operationsObservation(
  prompts: PromptSet,
  time: string,
  operations: unknown,
): Observation {
  return {
    time,
    event: prompts.fill("agent", "operations_event", { operations: JSON.stringify(operations) }),
  };
}

/** The built-in text of the operations observation. */
export const AGENT_OPERATIONS_EVENT = "Operations available to the assistant: {operations}";

/**
 * The user message of one step; `instruction` is the agent's step instruction unless a
 * stage asks with its own (eval agent's, `eval_agent.step_instruction`).
 */
export function agentStepMessage(
  prompts: PromptSet,
  observations: readonly Observation[],
  instruction: string = prompts.text("agent", "step_instruction"),
): ChatMessage {
  return {
    role: "user",
    content: JSON.stringify({
      Instructions: instruction,
      Observations: observations.map(({ time, event }) => ({ time, event })),
    }),
  };
}

/** The user message asking again after the judge rejected `previous`. */
export function agentRetryMessage(
  prompts: PromptSet,
  observations: readonly Observation[],
  previous: AgentPrediction,
  feedback: string,
): ChatMessage {
  return {
    role: "user",
    content: JSON.stringify({
      Instructions: prompts.text("agent", "retry_instruction"),
      Observations: observations.map(({ time, event }) => ({ time, event })),
      "Previous Prediction": previous,
      Status: "Rejected",
      "User Feedback": feedback,
    }),
  };
}

/** The assistant message of a prediction, as the agent is trained to write it. */
export function agentPredictionMessage(prediction: AgentPrediction): ChatMessage {
  return { role: "assistant", content: JSON.stringify(prediction) };
}

/**
 * The whole request of a step: system prompt, earlier steps (user and assistant
 * messages, alternating), this step's observations.
 */
export function agentMessages(
  prompts: PromptSet,
  history: readonly ChatMessage[],
  observations: readonly Observation[],
): ChatMessage[] {
  return [
    { role: "system", content: prompts.text("agent", "system") },
    ...history,
    agentStepMessage(prompts, observations),
  ];
}

/** An accepted prediction with its request: one training sample. */
export function agentTrainingSample(
  prompts: PromptSet,
  history: readonly ChatMessage[],
  observations: readonly Observation[],
  prediction: AgentPrediction,
): ChatMessage[] {
  return [...agentMessages(prompts, history, observations), agentPredictionMessage(prediction)];
}

/** Carrying out an accepted task: one step of `{Thoughts, Action}`. */
export const agentActionSchema = z.object({
  Thoughts: z.string(),
  Action: z.string().nullable(),
});
export type AgentAction = z.infer<typeof agentActionSchema>;

/** The built-in instruction and answer shape of carrying out a task. */
export const AGENT_ACT_INSTRUCTIONS =
  "The person accepted your proposal. Carry out the task one action at a time with the available operations; set Action to null when the task is done or cannot go further.";
export const AGENT_ACT_FORMAT = {
  Thoughts: "Your thoughts on the situation.",
  Action: "The next action: an operation and its arguments, or null.",
};

/** The user message that starts (or continues) carrying out `task`. */
export function agentActMessage(
  prompts: PromptSet,
  task: string,
  operations: readonly unknown[],
  observations: readonly Observation[],
): ChatMessage {
  return {
    role: "user",
    content: JSON.stringify({
      Instructions: prompts.text("agent", "act_instruction"),
      "Accepted Task": task,
      Operations: operations,
      Observations: observations.map(({ time, event }) => ({ time, event })),
      Format: prompts.json("agent", "act_format"),
    }),
  };
}
