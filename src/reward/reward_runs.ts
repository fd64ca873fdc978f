/**
 * The JSON summary file of `proactive reward` keeps the accounting of every run that
 * worked on the same output, oldest first: a re-run that finds everything done adds a
 * run with nothing asked instead of overwriting the earlier runs' numbers with zeros.
 * `totals` adds the runs up.
 *
 * An earlier summary is read back leniently: one without `runs` (written before runs were
 * kept) counts as one run; an unreadable one is reported and its runs are not carried over.
 */
import type { Logger } from "../cli/logger.ts";
import { type LlmCounters, ZERO_LLM_COUNTERS } from "../llm/llm_stats.ts";
import { readOptionalInputText } from "../store/read_input.ts";
import type { RewardSummary } from "./reward_summary.ts";

/** The accounting of one run, as the summary file lists it. */
export type RewardRunRecord = Pick<
  RewardSummary,
  | "startedAt"
  | "durationMs"
  | "limit"
  | "seed"
  | "maxAttempts"
  | "consistency"
  | "promptVersions"
  | "counts"
  | "llm"
>;

export interface RewardRunTotals extends LlmCounters {
  runs: number;
  asked: number;
  succeeded: number;
  failed: number;
  attempts: number;
}

/** What the summary file holds: the latest settings and state, every run, their totals. */
export type RewardSummaryFile =
  & Omit<RewardSummary, "startedAt" | "durationMs" | "limit" | "counts" | "llm">
  & {
    /** Conversations in the output now. */
    conversations: number;
    /** Items that failed in the latest run (listed in the failures file). */
    failed: number;
    totals: RewardRunTotals;
    runs: RewardRunRecord[];
  };

const LLM_COUNTERS = Object.keys(ZERO_LLM_COUNTERS) as (keyof LlmCounters)[];

/** This run's record. */
export function runRecord(summary: RewardSummary): RewardRunRecord {
  const { startedAt, durationMs, limit, seed, maxAttempts, consistency, promptVersions } = summary;
  return {
    startedAt,
    durationMs,
    limit,
    seed,
    maxAttempts,
    consistency,
    promptVersions,
    counts: summary.counts,
    llm: summary.llm,
  };
}

/** The runs of the summary file at `path` for `output`; none when it does not exist. */
export async function readEarlierRuns(
  path: string,
  output: string,
  logger: Pick<Logger, "warn">,
): Promise<RewardRunRecord[]> {
  let text: string | undefined;
  try {
    text = await readOptionalInputText(path);
    if (text === undefined) return [];
  } catch (error) {
    logger.warn(`Cannot read the earlier summary "${path}" (${error}); its runs are not kept`);
    return [];
  }
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error();
  } catch {
    logger.warn(`The earlier summary "${path}" is not a JSON object; its runs are not kept`);
    return [];
  }
  if (value.output !== output) return [];
  if (Array.isArray(value.runs)) return value.runs.filter(isRunRecord);
  return isRunRecord(value) ? [runRecord(value as unknown as RewardSummary)] : [];
}

function isRunRecord(value: unknown): value is RewardRunRecord {
  const record = value as RewardRunRecord | null;
  return typeof record?.counts?.asked === "number" && typeof record.startedAt === "string" &&
    typeof record.llm?.requests === "number";
}

/** The runs added up. */
export function totalRuns(runs: readonly RewardRunRecord[]): RewardRunTotals {
  const totals: RewardRunTotals = {
    runs: runs.length,
    asked: 0,
    succeeded: 0,
    failed: 0,
    attempts: 0,
    ...ZERO_LLM_COUNTERS,
  };
  for (const run of runs) {
    totals.asked += run.counts.asked;
    totals.succeeded += run.counts.succeeded;
    totals.failed += run.counts.failed;
    totals.attempts += run.counts.attempts;
    for (const key of LLM_COUNTERS) totals[key] += run.llm[key] ?? 0;
  }
  return totals;
}

/** The summary file after `summary`'s run, following `earlier` runs. */
export function summaryFile(
  summary: RewardSummary,
  earlier: readonly RewardRunRecord[],
): RewardSummaryFile {
  const { startedAt: _s, durationMs: _d, limit: _l, counts, llm: _llm, ...rest } = summary;
  const runs = [...earlier, runRecord(summary)];
  return {
    ...rest,
    conversations: counts.written,
    failed: counts.failed,
    totals: totalRuns(runs),
    runs,
  };
}
