/**
 * The reward model's prompts, in one place. The reward model plays the *user*: given what
 * the user has been doing and one task proposed by the proactive assistant (or `null`,
 * nothing proposed), it decides whether the user would accept it.
 *
 * The system + user pair built by `rewardMessages` is exactly what the reward model is
 * asked at inference time; `proactive reward` trains on it, `proactive eval reward` scores
 * with it, and the gym and `agent-trainset` judge with it. Bump a version whenever the
 * wording of its prompt changes: versions are part of every cache key and output summary.
 */
import type { Observation } from "../formats/trace.ts";
import type { PromptSet } from "./prompt_set.ts";

export const REWARD_PROMPT_VERSION = "reward-v1";
export const EXPLAIN_PROMPT_VERSION = "explain-v2";
export const CONSISTENCY_PROMPT_VERSION = "consistency-v2";

export type Judgement = "accepted" | "rejected";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export const REWARD_SYSTEM_PROMPT =
  `You are the person whose computer activity is listed below. A proactive assistant watches that activity and may offer to do a task for you before you ask.

Decide, as yourself, whether you would take the assistant up on its offer.

How to decide:
- Read the activity from the oldest event to the newest and work out what you are trying to do right now and what would actually help.
- The proposed task may be null: the assistant chose to stay quiet. Accept null when you need no help at this moment; reject null when you would have wanted help.
- Interruptions cost you attention. Accept a task only when it is clearly useful to you now; reject tasks that are vague, redundant, premature or beside the point.

Reply with one JSON object and nothing else:
{"thought": "<your reasoning, in the first person>", "judgement": "accepted" | "rejected"}`;

/** The built-in instruction after the situation and the proposal. */
export const REWARD_INSTRUCTION =
  "Judge the proposed task as yourself. Think it through in the first person, then give your judgement.";

/** The user message: the situation and the proposal, without any label. */
export function rewardUserContent(
  prompts: PromptSet,
  observations: readonly Observation[],
  task: string | null,
): string {
  return JSON.stringify(
    {
      activity_oldest_first: observations,
      proposed_task: task,
      instruction: prompts.text("reward", "instruction"),
    },
    null,
    2,
  );
}

/** What the reward model is asked at inference time (and trained on). */
export function rewardMessages(
  prompts: PromptSet,
  observations: readonly Observation[],
  task: string | null,
): ChatMessage[] {
  return [
    { role: "system", content: prompts.text("reward", "system") },
    { role: "user", content: rewardUserContent(prompts, observations, task) },
  ];
}

/**
 * The *explain* request of `proactive reward`: the same situation plus the user's real
 * judgement; the model writes the reasoning that leads to it as if deciding now, without
 * mentioning that the judgement was given (the thought is trained on as the reward
 * model's own reasoning, which never sees a label).
 */
export function explainMessages(
  prompts: PromptSet,
  observations: readonly Observation[],
  task: string | null,
  judgement: Judgement,
): ChatMessage[] {
  return [
    { role: "system", content: prompts.text("reward_explain", "system") },
    {
      role: "user",
      content: JSON.stringify(
        {
          activity_oldest_first: observations,
          proposed_task: task,
          your_judgement: judgement,
          instruction: explainInstruction(prompts, task, judgement),
        },
        null,
        2,
      ),
    },
  ];
}

/** The built-in explain instruction and its four decisions. */
export const EXPLAIN_TEXTS = {
  instruction:
    `Your judgement is "{judgement}": you decide {decision}. Reason your way to this decision as if you were making it right now, looking at your activity and the proposal for the first time: in the first person, from what you are doing and what would help you. Do not mention that the judgement was given to you, that you decided earlier, or any label; your reasoning must stand on its own, so that someone reading only it reaches the same judgement. Then state the judgement.`,
  decision_accept: "to accept the proposed task",
  decision_reject: "to reject the proposed task",
  decision_silent_right: "that the assistant was right to stay silent",
  decision_missed_need: "that you wanted help the assistant did not offer",
};

function explainInstruction(
  prompts: PromptSet,
  task: string | null,
  judgement: Judgement,
): string {
  const decision = task === null
    ? judgement === "accepted" ? "decision_silent_right" : "decision_missed_need"
    : judgement === "accepted"
    ? "decision_accept"
    : "decision_reject";
  return prompts.fill("reward_explain", "instruction", {
    judgement,
    decision: prompts.text("reward_explain", decision),
  });
}

export const CONSISTENCY_SYSTEM_PROMPT =
  `You read one person's reasoning about an offer of help from an assistant. You do not see the situation, only the reasoning.

Work out which decision the reasoning supports: "accepted" if it argues for taking the offer, "rejected" if it argues against it.

The offer may be null: the assistant offered nothing and stayed silent. Then "accepted" means staying silent was right (the person needed no help at that moment), and "rejected" means the person would have wanted help that was not offered.

Reply with one JSON object and nothing else:
{"reason": "<why the reasoning supports that decision>", "judgement": "accepted" | "rejected"}`;

/** The built-in instruction of the consistency check. */
export const CONSISTENCY_INSTRUCTION = "Which decision does this reasoning support?";

/** The *consistency* check: which judgement does this thought imply on its own? */
export function consistencyMessages(prompts: PromptSet, thought: string): ChatMessage[] {
  return [
    { role: "system", content: prompts.text("consistency", "system") },
    {
      role: "user",
      content: JSON.stringify(
        {
          reasoning: thought,
          instruction: prompts.text("consistency", "instruction"),
        },
        null,
        2,
      ),
    },
  ];
}

/** The label of a reward item as a judgement. */
export function judgementOf(valid: boolean): Judgement {
  return valid ? "accepted" : "rejected";
}
