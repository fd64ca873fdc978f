/**
 * `proactive eval reward` from options to results: load the test set (a file, or the
 * embedded 120-item ProactiveBench reward test set), judge every item, write the
 * per-item JSONL, and tally the table.
 */
import { checkJudgeTexts } from "./judge_askers.ts";
import { type PromptSetLabel, promptsOf } from "../prompts/prompt_set.ts";
import { inputError } from "../cli/errors.ts";
import { parseRewardItem, type RewardItem } from "../formats/reward_item.ts";
import { parseJsonlText, readJsonlFile, toJsonl } from "../jsonl/jsonl_streams.ts";
import type { LlmOptions } from "../llm/llm_config.ts";
import type { EndpointLabel, LlmStatsJson } from "../llm/llm_stats.ts";
import { REWARD_PROMPT_VERSION } from "../prompts/reward_prompts.ts";
import { writeFileAtomic } from "../store/atomic_write.ts";
import { runStage, type StageContext } from "../stage/run_stage.ts";
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

/**
 * `eval reward` as the stage outline's phases (`stage/run_stage.ts`), holding the lock of
 * its results file (the summary is named after it).
 */
export function runEvalReward(
  options: EvalRewardOptions,
  ctx: StageContext,
): Promise<EvalRewardResult> {
  return runStage({
    name: "eval reward",
    outputs: [{ path: options.output, kind: "file", what: `The results file "${options.output}"` }],
    onBusy: options.onBusy,
    llm: { options: options.llm },
    async read() {
      checkJudgeTexts(promptsOf(options.llm), "eval reward");
      const loaded = await loadTestSet(options.input);
      const items = loaded.items.slice(0, options.llm.limit ?? loaded.items.length);
      return { total: items.length, source: loaded.source, items };
    },
    work: (read, tools) => {
      const client = tools.llm.client("reward");
      return scoreReward(read.items, {
        prompts: promptsOf(options.llm),
        client,
        workers: client.limiter.limit,
        signal: tools.signal,
        progress: tools.progress,
      });
    },
    stopped: () =>
      Promise.resolve({
        kept: `the answers so far are saved in the completion cache, "${options.output}" is ` +
          "unchanged; run the same command again to continue",
      }),
    async finish(read, results, tools) {
      const result: EvalRewardResult = {
        source: read.source,
        endpoint: tools.llm.client("reward").endpoint,
        promptVersion: REWARD_PROMPT_VERSION,
        promptSet: promptsOf(options.llm).label,
        table: tallyRewardTable(results, options.unreadable ?? "rejected"),
        results,
        llm: tools.llm.stats.toJSON(),
        stats: tools.llm.stats.formatStats(),
      };
      await writeFileAtomic(options.output, toJsonl(results));
      const summary = JSON.stringify(evalRewardSummary(result), null, 2) + "\n";
      await writeFileAtomic(options.summary, summary);
      return result;
    },
  }, ctx);
}

/** What `--json` prints and the summary file holds: everything but the per-item results. */
export function evalRewardSummary(result: EvalRewardResult): Record<string, unknown> {
  const { source, endpoint, promptVersion, promptSet, table, llm } = result;
  return { source, endpoint, promptVersion, promptSet, ...table, llm };
}
