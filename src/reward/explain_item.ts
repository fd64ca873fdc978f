/**
 * One attempt at one reward item: the *explain* request (the model, as the user, is told
 * the real judgement and writes the reasoning behind it, `{thought, judgement}`), then the
 * *consistency* check (only the thought is shown; `samples` answers at `temperature` must
 * all name the label). The attempt yields the assistant reply to save — the JSON text of
 * `{thought, judgement}` — or the reason it failed.
 */
import { type PromptSet, promptsOf } from "../prompts/prompt_set.ts";
import { z } from "zod";
import { ProactiveError } from "../cli/errors.ts";
import type { RewardItem } from "../formats/reward_item.ts";
import type { LlmClient } from "../llm/llm_client.ts";
import { LlmOutputError, ResponseFormatRefusedError } from "../llm/structured_completion.ts";
import {
  consistencyMessages,
  explainMessages,
  type Judgement,
  judgementOf,
} from "../prompts/reward_prompts.ts";

const JUDGEMENTS = ["accepted", "rejected"] as const;

export const explainSchema = z.object({
  thought: z.string().min(1),
  judgement: z.enum(JUDGEMENTS),
});

export const consistencySchema = z.object({
  reason: z.string(),
  judgement: z.enum(JUDGEMENTS),
});

export interface ExplainSettings {
  /** The texts of the explain and consistency requests (default: the built-in set). */
  prompts?: PromptSet;
  /** Answers asked for in the consistency check (n). */
  consistencySamples: number;
  consistencyTemperature: number;
}

export type AttemptResult =
  | { ok: true; reply: string }
  /** `final`: another attempt cannot help (the endpoint refuses this request). */
  | { ok: false; reason: string; final?: boolean };

/**
 * Runs one attempt. `cacheTag` must differ between attempts and between copies of the
 * same item, so that each gets its own sample. Request failures that are not about this
 * item (endpoint down, bad key, abort) are thrown.
 */
export async function explainItem(
  client: Pick<LlmClient, "chatJson">,
  item: RewardItem,
  settings: ExplainSettings,
  cacheTag: string,
  signal?: AbortSignal,
): Promise<AttemptResult> {
  const label = judgementOf(item.valid);
  let explained: z.infer<typeof explainSchema>;
  try {
    [explained] = await client.chatJson(
      explainSchema,
      explainMessages(promptsOf(settings), item.obs, item.pred_task, label),
      {},
      { cacheTag, signal, schemaName: "explanation" },
    );
  } catch (error) {
    return failure("explain", error);
  }
  if (explained.judgement !== label) {
    return {
      ok: false,
      reason: `explain: judged "${explained.judgement}", the label is "${label}"`,
    };
  }

  let votes: Judgement[];
  try {
    votes = await consistencyVotes(client, explained.thought, settings, cacheTag, signal);
  } catch (error) {
    return failure("consistency", error);
  }
  const agreeing = votes.filter((vote) => vote === label).length;
  if (agreeing < votes.length) {
    return {
      ok: false,
      reason: `consistency: ${agreeing} of ${votes.length} answers read "${label}" ` +
        `from the thought (${votes.join(", ")})`,
    };
  }
  return { ok: true, reply: JSON.stringify({ thought: explained.thought, judgement: label }) };
}

/**
 * `samples` judgements of the thought alone. An endpoint that returns fewer choices than
 * `n` asked (some ignore `n`) is asked again for the rest.
 */
async function consistencyVotes(
  client: Pick<LlmClient, "chatJson">,
  thought: string,
  settings: ExplainSettings,
  cacheTag: string,
  signal?: AbortSignal,
): Promise<Judgement[]> {
  const messages = consistencyMessages(promptsOf(settings), thought);
  const votes: Judgement[] = [];
  for (let round = 0; votes.length < settings.consistencySamples; round++) {
    if (round >= settings.consistencySamples) {
      throw new LlmOutputError(
        `the endpoint returned ${votes.length} of ${settings.consistencySamples} answers`,
        "",
        "too few choices",
      );
    }
    const answers = await client.chatJson(
      consistencySchema,
      messages,
      {
        n: settings.consistencySamples - votes.length,
        temperature: settings.consistencyTemperature,
      },
      {
        cacheTag: round === 0 ? cacheTag : `${cacheTag}/more:${votes.length}`,
        signal,
        schemaName: "consistency",
      },
    );
    votes.push(
      ...answers.slice(0, settings.consistencySamples - votes.length).map((a) => a.judgement),
    );
  }
  return votes;
}

/** An answer that stayed invalid, or a request the endpoint refuses for this item. */
function failure(step: string, error: unknown): AttemptResult {
  if (error instanceof LlmOutputError) {
    return { ok: false, reason: `${step}: ${error.message.split("\n")[0]}` };
  }
  if (
    error instanceof ProactiveError && !(error instanceof ResponseFormatRefusedError) &&
    itemSpecificRefusal(error.message)
  ) {
    return { ok: false, reason: `${step}: ${error.message.split("\n")[0]}`, final: true };
  }
  throw error;
}

/**
 * A request refused at once with 400, 413 or 422 (e.g. the context is too long) fails
 * this item only; any other failure (retries exhausted, 401, 404, no JSON-schema support,
 * abort) stops the run.
 */
function itemSpecificRefusal(message: string): boolean {
  return /failed: (400|413|422)\b/.test(message);
}
