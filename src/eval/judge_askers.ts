/**
 * How `eval judge` asks the reward model about one proposal:
 *
 * - `proactive` (the built-in protocol): `rewardMessages` with the observations `{time,
 *   event}`, temperature 0 then 0.5, `JUDGE_ATTEMPTS` attempts, the answer read leniently
 *   (`parseJudgement`).
 * - `reference` (`protocol: reference`): eval/judge_agent_prediction.py request for
 *   request: the reward template (`referenceRewardMessages`) with the trace's observation
 *   objects as they are in the file, temperature 0 for the first two attempts and 0.5
 *   after (`(attempt_number > 2) * 0.5`), no `response_format`, no seed, at most 10
 *   attempts; an answer counts when JSON5 reads it as an object with a `judgement`
 *   (accepted when it equals "accepted"), otherwise the next attempt is made.
 *
 * @module
 */
import JSON5 from "json5";
import type { LlmClient } from "../llm/llm_client.ts";
import type { PromptSet } from "../prompts/prompt_set.ts";
import {
  checkReferenceRewardTexts,
  referenceRewardMessages,
} from "../prompts/reference_messages.ts";
import { rewardMessages } from "../prompts/reward_prompts.ts";
import type { Observation } from "../formats/trace.ts";
import { parseJudgement } from "./score_reward.ts";

/** Attempts per proposal when the answer holds no readable judgement. */
export const JUDGE_ATTEMPTS = 3;
/** judge_agent_prediction.py's `stop_after_attempt(10)`. */
export const REFERENCE_JUDGE_ATTEMPTS = 10;

/** What the judge saw of a turn: the observations so far, in both shapes. */
export interface JudgeSight {
  /** `{time, event}` of each turn up to this one. */
  observations: readonly Observation[];
  /** The turns' `observation` objects as the file has them (the reference sends these). */
  raw: readonly unknown[];
}

export type Verdict =
  | { ok: true; accepted: boolean; attempts: number }
  | { ok: false; reason: string; attempts: number };

export interface AskVerdictOptions {
  prompts: PromptSet;
  /** The attempt to start from (a turn that failed before gets fresh samples). */
  first: number;
  signal: AbortSignal;
  priority?: number;
}

/** Temperature of the proactive judge's attempt `a` (0-based). */
function proactiveTemperature(a: number): number {
  return a === 0 ? 0 : 0.5;
}

/** Refuses a reference run whose set lacks the reference's reward texts (before any request). */
export function checkJudgeTexts(prompts: PromptSet, stage = "eval judge"): void {
  checkReferenceRewardTexts(prompts, stage);
}

/** Asks about `task` until a judgement is read or the attempts run out. */
export async function askVerdict(
  client: Pick<LlmClient, "chat">,
  sight: JudgeSight,
  task: unknown,
  options: AskVerdictOptions,
): Promise<Verdict> {
  const reference = options.prompts.protocol === "reference";
  const attempts = reference ? REFERENCE_JUDGE_ATTEMPTS : JUDGE_ATTEMPTS;
  const messages = reference
    ? referenceRewardMessages(options.prompts, sight.raw, task)
    : rewardMessages(options.prompts, sight.observations, task as string | null);
  let reason = "";
  for (let a = options.first; a < options.first + attempts; a++) {
    const reply = await client.chat(
      messages,
      reference
        ? { temperature: a < 2 ? 0 : 0.5, seed: null }
        : { temperature: proactiveTemperature(a) },
      {
        cacheTag: reference ? `eval-judge-reference-attempt-${a}` : `eval-judge-attempt-${a}`,
        signal: options.signal,
        priority: options.priority,
      },
    );
    const text = reply.choices[0] ?? "";
    if (reference) {
      const judgement = referenceJudgement(text);
      if (judgement.ok) return { ok: true, accepted: judgement.accepted, attempts: a + 1 };
      reason = `no readable judgement: ${judgement.error}`;
      continue;
    }
    const parsed = parseJudgement(text, reply.finishReasons[0] ?? null);
    if (parsed.ok) return { ok: true, accepted: parsed.judgement === "accepted", attempts: a + 1 };
    reason = `no readable judgement: ${parsed.error}`;
  }
  return { ok: false, reason, attempts: options.first + attempts };
}

/** `json5.loads(res)["judgement"] == "accepted"`, or why Python would raise. */
export function referenceJudgement(
  text: string,
): { ok: true; accepted: boolean } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = JSON5.parse(text);
  } catch (error) {
    return { ok: false, error: `not JSON5 (${(error as Error).message.split("\n")[0]})` };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, error: "not a JSON object" };
  }
  if (!Object.hasOwn(value, "judgement")) return { ok: false, error: 'no "judgement" key' };
  return { ok: true, accepted: (value as Record<string, unknown>).judgement === "accepted" };
}
