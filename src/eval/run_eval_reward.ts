/**
 * `proactive eval reward` from options to results: load the test set (a file, or the
 * embedded 120-item ProactiveBench reward test set), judge every item, write the
 * per-item JSONL, and tally the table.
 */
import { checkJudgeTexts } from "./judge_askers.ts";
import { type PromptSetLabel, promptsOf } from "../prompts/prompt_set.ts";
import { dirname } from "node:path";
import type { CommandContext } from "../cli/command.ts";
import { inputError, interruptedError } from "../cli/errors.ts";
import { parseRewardItem, type RewardItem } from "../formats/reward_item.ts";
import { parseJsonlText, readJsonlFile, toJsonl } from "../jsonl/jsonl_streams.ts";
import type { LlmOptions } from "../llm/llm_config.ts";
import { createLlmRuntime } from "../llm/llm_runtime.ts";
import type { EndpointLabel, LlmStatsJson } from "../llm/llm_stats.ts";
import { createCommandProgress, loggerAboveProgress } from "../llm/progress.ts";
import { REWARD_PROMPT_VERSION } from "../prompts/reward_prompts.ts";
import { writeFileAtomic } from "../store/atomic_write.ts";
import { withOutputLocks } from "../store/output_lock.ts";
import type { BusyPolicy } from "../store/process_lock.ts";
import embeddedTestSet from "../../data/reward_data/test_data.jsonl" with { type: "text" };
import { type RewardTable, tallyRewardTable, type UnreadableRule } from "./reward_table.ts";
import { type EvalItemResult, scoreReward } from "./score_reward.ts";

/** How the embedded test set (data/reward_data/test_data.jsonl) is named in output. */
export const EMBEDDED_TEST_SET = "embedded ProactiveBench reward test set";

export interface EvalRewardOptions {
  /** The test set file, or null for the embedded one. */
  input: string | null;
  /** Per-item results, JSONL. */
  output: string;
  /** The JSON summary beside the output: the table and the LLM accounting. */
  summary: string;
  json: boolean;
  /** How an answer without a readable judgement counts (default "rejected"). */
  unreadable?: UnreadableRule;
  /** When another run writes the same results: exit naming it, or wait (`--wait`). */
  onBusy?: BusyPolicy;
  llm: LlmOptions;
}

export interface EvalRewardResult {
  source: string;
  endpoint: EndpointLabel;
  promptVersion: string;
  /** The prompt set the requests were built from (absent: the built-in one). */
  promptSet?: PromptSetLabel;
  table: RewardTable;
  results: EvalItemResult[];
  llm: LlmStatsJson;
  stats: string;
}

type RunContext = Pick<CommandContext, "logger" | "stderr" | "isTerminal" | "now" | "signal">;

/** The test set's items with their line numbers. */
export async function loadTestSet(
  input: string | null,
): Promise<{ source: string; items: { item: RewardItem; line: number }[] }> {
  const source = input ?? EMBEDDED_TEST_SET;
  const rows = input === null
    ? parseJsonlText(embeddedTestSet, source)
    : await readJsonlFile(input);
  const items = rows.map(({ value, line }) => ({
    item: parseRewardItem(value, source, line),
    line,
  }));
  if (items.length === 0) throw inputError(`"${source}" holds no reward items`);
  return { source, items };
}

/** Runs `eval reward` holding the lock of its results file (the summary is named after it). */
export async function runEvalReward(
  options: EvalRewardOptions,
  ctx: RunContext,
): Promise<EvalRewardResult> {
  await Deno.mkdir(dirname(options.output), { recursive: true });
  return await withOutputLocks(
    [{ path: options.output, kind: "file", what: `The results file "${options.output}"` }],
    {
      command: "proactive eval reward",
      onBusy: options.onBusy,
      signal: ctx.signal,
      logger: ctx.logger,
    },
    () => evalLocked(options, ctx),
  );
}

async function evalLocked(options: EvalRewardOptions, ctx: RunContext): Promise<EvalRewardResult> {
  checkJudgeTexts(promptsOf(options.llm), "eval reward");
  const loaded = await loadTestSet(options.input);
  const items = options.llm.limit === undefined
    ? loaded.items
    : loaded.items.slice(0, options.llm.limit);
  const progress = createCommandProgress(ctx, items.length, "eval reward");
  const logger = loggerAboveProgress(ctx.logger, progress);
  const llm = createLlmRuntime(options.llm, { logger, signal: ctx.signal, now: ctx.now });
  const client = llm.client("reward");
  let results: EvalItemResult[];
  try {
    results = await scoreReward(items, {
      prompts: promptsOf(options.llm),
      client,
      workers: client.limiter.limit,
      signal: ctx.signal,
      progress,
    });
  } catch (error) {
    if (!ctx.signal.aborted) throw error;
    throw interruptedError(
      `the answers so far are saved in the completion cache, "${options.output}" is unchanged`,
    );
  } finally {
    progress.done();
  }
  const result: EvalRewardResult = {
    source: loaded.source,
    endpoint: client.endpoint,
    promptVersion: REWARD_PROMPT_VERSION,
    promptSet: promptsOf(options.llm).label,
    table: tallyRewardTable(results, options.unreadable ?? "rejected"),
    results,
    llm: llm.stats.toJSON(),
    stats: llm.stats.formatStats(),
  };
  await writeFileAtomic(options.output, toJsonl(results));
  await writeFileAtomic(options.summary, JSON.stringify(evalRewardSummary(result), null, 2) + "\n");
  return result;
}

/** What `--json` prints and the summary file holds: everything but the per-item results. */
export function evalRewardSummary(result: EvalRewardResult): Record<string, unknown> {
  const { source, endpoint, promptVersion, promptSet, table, llm } = result;
  return { source, endpoint, promptVersion, promptSet, ...table, llm };
}
