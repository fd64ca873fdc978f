/**
 * One attempt at one reward item under `protocol: reference`, as the reference's
 * `dataset/build_reward_trainset.py` makes it (`obtain_reason`), request for request:
 *
 * - the explain request (`format_message`: the situation, the proposal and the user's
 *   judgement) with the endpoint's own sampling parameters, no seed, no `response_format`;
 *   the answer read with `json.loads`;
 * - the check (`format_thought_check` of the thought) at the consistency temperature (0.8)
 *   with `n` answers (5), each read with `json.loads`: every judgement must be accepted or
 *   rejected and agree with the explain answer's;
 * - the explain answer's judgement must be the label.
 *
 * The reply saved is the explain answer's text as the model wrote it (the script keeps the
 * assistant message unchanged); the conversation's first two messages are the reward
 * template (`format_reward_instruction`).
 *
 * @module
 */
import type { RewardItem } from "../formats/reward_item.ts";
import type { LlmClient } from "../llm/llm_client.ts";
import type { PromptSet } from "../prompts/prompt_set.ts";
import { referenceCheckMessages, referenceExplainMessages } from "../prompts/reference_messages.ts";
import type { AttemptResult, ExplainSettings } from "./explain_item.ts";

function readJudgement(text: string): { judgement: unknown; thought: unknown } | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `not JSON (${(error as Error).message.split("\n")[0]})`;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return "not a JSON object";
  }
  const { judgement, thought } = value as Record<string, unknown>;
  return { judgement, thought };
}

export async function explainItemReference(
  client: Pick<LlmClient, "chat">,
  item: RewardItem,
  settings: ExplainSettings & { prompts: PromptSet },
  cacheTag: string,
  signal?: AbortSignal,
): Promise<AttemptResult> {
  const label = item.valid ? "accepted" : "rejected";
  const reply = await client.chat(
    referenceExplainMessages(settings.prompts, item.obs, item.pred_task, item.valid),
    { seed: null },
    { cacheTag, signal },
  );
  const text = reply.choices[0] ?? "";
  const explained = readJudgement(text);
  if (typeof explained === "string") return { ok: false, reason: `explain: ${explained}` };
  if (explained.thought === undefined) return { ok: false, reason: 'explain: no "thought"' };
  const check = await client.chat(
    referenceCheckMessages(settings.prompts, explained.thought),
    { temperature: settings.consistencyTemperature, n: settings.consistencySamples, seed: null },
    { cacheTag: `${cacheTag}/check`, signal },
  );
  for (const choice of check.choices) {
    const vote = readJudgement(choice);
    if (typeof vote === "string") return { ok: false, reason: `consistency: ${vote}` };
    if (vote.judgement !== "accepted" && vote.judgement !== "rejected") {
      return { ok: false, reason: "consistency: a judgement is neither accepted nor rejected" };
    }
    if (vote.judgement !== explained.judgement) {
      return { ok: false, reason: "consistency: the judgements are not consistent" };
    }
  }
  if (explained.judgement !== "accepted" && explained.judgement !== "rejected") {
    return { ok: false, reason: "explain: the judgement is neither accepted nor rejected" };
  }
  if (explained.judgement !== label) {
    return {
      ok: false,
      reason: `explain: judged "${explained.judgement}", the label is "${label}"`,
    };
  }
  return { ok: true, reply: text };
}
