/**
 * Asks a reward model to judge every item of a reward test set — the reward prompt
 * (`rewardMessages`) at temperature 0, exactly what it is asked at inference time — and
 * reads its judgement leniently: the JSON object `{thought, judgement}` in fences or
 * prose, any case, else a `"judgement": "…"` member of an answer whose JSON is broken or
 * cut off. An answer with no readable judgement has prediction null (see `reward_table.ts`
 * for how it is counted).
 */
import { referenceRewardMessages } from "../prompts/reference_messages.ts";
import { type PromptSet, promptsOf } from "../prompts/prompt_set.ts";
import { runWorkerPool } from "../stage/worker_pool.ts";
import { z } from "zod";
import type { Category, RewardItem } from "../formats/reward_item.ts";
import type { LlmClient } from "../llm/llm_client.ts";
import { parseStructured } from "../llm/structured_completion.ts";
import { type Judgement, judgementOf, rewardMessages } from "../prompts/reward_prompts.ts";

export interface EvalItemResult {
  /** 0-based position in the test set. */
  index: number;
  /** Line in the test set file. */
  line: number;
  category: Category;
  /** The user's real judgement. */
  label: Judgement;
  /** The model's judgement; null when none could be read. */
  prediction: Judgement | null;
  correct: boolean;
  /** The model's answer as it came. */
  reply: string;
  /** Why no judgement could be read. */
  error?: string;
}

const judgementSchema = z.object({
  judgement: z.string().transform((s) => s.trim().toLowerCase()).pipe(
    z.enum(["accepted", "rejected"]),
  ),
});

export type ParsedJudgement = { ok: true; judgement: Judgement } | { ok: false; error: string };

/** The judgement in a reward model's answer. */
export function parseJudgement(
  reply: string,
  finishReason: string | null = "stop",
): ParsedJudgement {
  const parsed = parseStructured(judgementSchema, reply, finishReason);
  if (parsed.ok) return { ok: true, judgement: parsed.value.judgement };
  const member = [...reply.matchAll(/"judgement"\s*:\s*"\s*(accepted|rejected)\s*"/gi)]
    .map((m) => m[1].toLowerCase() as Judgement);
  if (member.length > 0 && member.every((j) => j === member[0])) {
    return { ok: true, judgement: member[0] };
  }
  return { ok: false, error: parsed.error.split("\n")[0] };
}

export interface ScoreDeps {
  client: Pick<LlmClient, "chat">;
  /** The reward model's texts (default: the built-in set). */
  prompts?: PromptSet;
  /** Items asked at once. */
  workers: number;
  signal?: AbortSignal;
  progress?: { tick(n?: number, options?: { failed?: boolean }): void };
}

/** Judges every item; results in item order. A request that fails for good is thrown. */
export async function scoreReward(
  items: readonly { item: RewardItem; line: number }[],
  deps: ScoreDeps,
): Promise<EvalItemResult[]> {
  const results: EvalItemResult[] = new Array(items.length);
  const judge = async (index: number, signal: AbortSignal) => {
    const { item, line } = items[index];
    const prompts = promptsOf(deps);
    // Under protocol: reference the reward model gets the reference's template, and no seed.
    const reply = prompts.protocol === "reference"
      ? await deps.client.chat(
        referenceRewardMessages(prompts, item.obs, item.pred_task),
        { temperature: 0, seed: null },
        { signal },
      )
      : await deps.client.chat(
        rewardMessages(prompts, item.obs, item.pred_task),
        { temperature: 0 },
        { signal },
      );
    const text = reply.choices[0] ?? "";
    const parsed = parseJudgement(text, reply.finishReasons[0] ?? null);
    const label = judgementOf(item.valid);
    const prediction = parsed.ok ? parsed.judgement : null;
    results[index] = {
      index,
      line,
      category: item.category,
      label,
      prediction,
      correct: prediction === label,
      reply: text,
      ...(parsed.ok ? {} : { error: parsed.error }),
    };
    deps.progress?.tick(1, { failed: !parsed.ok });
  };

  await runWorkerPool(items.length, deps.workers, judge, deps.signal);
  return results;
}
