/**
 * What `proactive reward` reports: the JSON summary written beside the output, and the
 * text printed at the end (counts, where the files went, the failures with their reasons,
 * the LLM accounting).
 */
import type { PromptSetLabel } from "../prompts/prompt_set.ts";
import { formatCount } from "../cli/format_count.ts";
import type { LlmCounters, LlmStatsJson } from "../llm/llm_stats.ts";
import type { RewardFailure } from "./build_reward_set.ts";

/** The totals of every run of one output (`reward_runs.ts` sums them). */
export interface RewardRunTotals extends LlmCounters {
  runs: number;
  asked: number;
  succeeded: number;
  failed: number;
  attempts: number;
}

export interface RewardSummary {
  command: "reward";
  /** This run's id (in the usage journal and the summary's `runs`). */
  run?: string;
  input: string;
  output: string;
  failuresFile: string;
  datasetInfo: string;
  datasetName: string;
  summaryFile: string;
  promptVersions: { reward: string; explain: string; consistency: string };
  /** The prompt set the requests were built from. */
  promptSet?: PromptSetLabel;
  seed: string;
  maxAttempts: number;
  consistency: { samples: number; temperature: number };
  limit: number | null;
  balance: {
    target: number;
    /** Items per category code (MN, CR, CD, FA) before and after balancing. */
    before: Record<string, number>;
    after: Record<string, number>;
  };
  counts: {
    inputItems: number;
    balancedItems: number;
    /** Conversations taken over from the existing output. */
    alreadyDone: number;
    /** Items asked for in this run. */
    asked: number;
    succeeded: number;
    failed: number;
    /** Items left for later by `--limit`. */
    notAsked: number;
    /** Conversations in the output now. */
    written: number;
    /** Conversations of the existing output that matched no item. */
    dropped: number;
    attempts: number;
    checkpoints: number;
  };
  llm: LlmStatsJson;
  startedAt: string;
  durationMs: number;
}

/** Failures listed in the text report; the failures file has them all. */
export const LISTED_FAILURES = 20;

/**
 * The text report of a run. `totals` (the summary file's, over every run on this output)
 * adds a line when there were earlier runs.
 */
export function formatRewardReport(
  summary: RewardSummary,
  failures: readonly RewardFailure[],
  stats: string,
  totals?: RewardRunTotals,
): string {
  const { counts, balance } = summary;
  const n = formatCount;
  const categories = Object.keys(balance.before).map((code) =>
    balance.before[code] === balance.after[code]
      ? `${code} ${n(balance.before[code])}`
      : `${code} ${n(balance.before[code])}→${n(balance.after[code])}`
  ).join(", ");
  const lines = [
    `Balanced ${n(counts.inputItems)} items to ${n(counts.balancedItems)} ` +
    `(target ${n(balance.target)}: ${categories}; seed ${summary.seed}).`,
    `Already done: ${n(counts.alreadyDone)}; asked now: ${n(counts.asked)} ` +
    `(${n(counts.succeeded)} succeeded, ${n(counts.failed)} failed, ` +
    `${n(counts.attempts)} attempts)` +
    (counts.notAsked > 0 ? `; left for later (--limit): ${n(counts.notAsked)}.` : "."),
    ...(counts.written === 0
      ? [
        `No conversation to write: ${summary.output} and ${summary.datasetInfo} are left ` +
        `as they were (nothing registered).`,
      ]
      : [
        `Wrote ${n(counts.written)} conversations to ${summary.output}` +
        (counts.dropped > 0 ? ` (${n(counts.dropped)} stale ones dropped)` : ""),
        `  dataset_info entry "${summary.datasetName}": ${summary.datasetInfo}`,
      ]),
    `  failures: ${summary.failuresFile}`,
    `  summary: ${summary.summaryFile}`,
  ];
  if (totals && totals.runs > 1) {
    lines.push(
      `All ${n(totals.runs)} runs on this output: ${n(totals.asked)} asked ` +
        `(${n(totals.succeeded)} succeeded, ${n(totals.failed)} failed, ` +
        `${n(totals.attempts)} attempts), ${n(totals.requests)} requests, ` +
        `${n(totals.promptTokens + totals.completionTokens)} tokens.`,
    );
  }
  if (failures.length > 0) {
    lines.push(`Failures (${n(failures.length)}):`);
    for (const failure of failures.slice(0, LISTED_FAILURES)) {
      lines.push(
        `  item ${failure.index + 1} (line ${failure.line}, ${failure.category}, ` +
          `label ${failure.label}): ${failure.reasons.join("; ")}`,
      );
    }
    if (failures.length > LISTED_FAILURES) {
      lines.push(`  … and ${n(failures.length - LISTED_FAILURES)} more in ${summary.failuresFile}`);
    }
  }
  return lines.join("\n") + "\n" + stats;
}
