/**
 * The reward model in the gym (`reward` role): the same prompt as `proactive reward` and
 * `eval reward` (`rewardMessages`), given the scene's events as `{time, event}`. It vets
 * the agent's predictions (`--reward-filter`) and can judge proposals in the user's place
 * (`--reward-judge`).
 */
import { z } from "zod";
import type { Observation } from "../formats/trace.ts";
import { runtimeError } from "../cli/errors.ts";
import { referenceRewardMessages } from "../prompts/reference_messages.ts";
import { rewardMessages } from "../prompts/reward_prompts.ts";
import type { ProposalJudgement } from "./user.ts";
import type { SceneContext } from "./scene_context.ts";

/** The reward model's answer; the judgement's case and spaces do not matter. */
export const rewardAnswerSchema = z.object({
  thought: z.string(),
  judgement: z.preprocess(
    (value) => typeof value === "string" ? value.trim().toLowerCase() : value,
    z.enum(["accepted", "rejected"]),
  ),
});

/** The scene's events so far, as the reward model reads them. */
export function eventObservations(ctx: SceneContext): Observation[] {
  return ctx.records
    .filter((record) => record.tags[0] === "events")
    .map((record) => ({ time: record.time, event: record.content ?? "" }));
}

/**
 * Attempts of the reference's gym reward model before the scene fails (its script asks
 * again without end; one bad answer must not hang a run).
 */
export const REFERENCE_REWARD_ATTEMPTS = 5;

/**
 * The reference's reward template (`protocol: reference`): gym/components/reward.py asks
 * at temperature 0, then 0.4, with no seed and no `response_format`, and reads the answer
 * with `json.loads` (its `thought` and `judgement`).
 */
async function referenceRewardJudge(
  ctx: SceneContext,
  step: string,
  task: string | null,
): Promise<ProposalJudgement> {
  const messages = referenceRewardMessages(ctx.prompts, eventObservations(ctx), task);
  let reason = "";
  for (let attempt = 0; attempt < REFERENCE_REWARD_ATTEMPTS; attempt++) {
    const text = await ctx.askText("reward", `${step}/attempt-${attempt}`, messages, {
      temperature: attempt === 0 ? 0 : 0.4,
      seed: null,
    });
    try {
      const answer = JSON.parse(text);
      if (typeof answer?.judgement !== "string" || !("thought" in answer)) {
        throw new Error('no "thought" and "judgement"');
      }
      return { thought: String(answer.thought), is_accepted: answer.judgement === "accepted" };
    } catch (error) {
      reason = (error as Error).message;
    }
  }
  throw runtimeError(
    `Scene "${ctx.name}" failed at ${step} (reward model): no readable judgement in ` +
      `${REFERENCE_REWARD_ATTEMPTS} attempts (${reason})`,
  );
}

/** Would the user accept `task` (null: the agent stays quiet) now? */
export async function rewardJudge(
  ctx: SceneContext,
  step: string,
  task: string | null,
): Promise<ProposalJudgement> {
  if (ctx.prompts.protocol === "reference") return referenceRewardJudge(ctx, step, task);
  const answer = await ctx.ask(
    "reward",
    step,
    rewardAnswerSchema,
    rewardMessages(ctx.prompts, eventObservations(ctx), task),
    { temperature: 0 },
  );
  return { thought: answer.thought, is_accepted: answer.judgement === "accepted" };
}
