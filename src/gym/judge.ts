/**
 * The reward model in the gym (`reward` role): the same prompt as `proactive reward` and
 * `eval reward` (`rewardMessages`), given the scene's events as `{time, event}`. It vets
 * the agent's predictions (`--reward-filter`) and can judge proposals in the user's place
 * (`--reward-judge`).
 */
import { z } from "zod";
import type { Observation } from "../formats/trace.ts";
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

/** Would the user accept `task` (null: the agent stays quiet) now? */
export async function rewardJudge(
  ctx: SceneContext,
  step: string,
  task: string | null,
): Promise<ProposalJudgement> {
  const answer = await ctx.ask(
    "reward",
    step,
    rewardAnswerSchema,
    rewardMessages(ctx.prompts, eventObservations(ctx), task),
    { temperature: 0 },
  );
  return { thought: answer.thought, is_accepted: answer.judgement === "accepted" };
}
