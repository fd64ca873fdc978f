/**
 * The JSON summary file of `proactive reward` keeps the accounting of every run that
 * worked on the same output, oldest first: a re-run that finds everything done adds a
 * run with nothing asked instead of overwriting the earlier runs' numbers with zeros.
 * `totals` adds the runs up.
 *
 * An earlier summary is read back leniently: one without `runs` (written before runs were
 * kept) counts as one run; an unreadable one is reported and its runs are not carried over.
 *
 * A run that was killed or interrupted before it wrote the summary is still counted: its
 * LLM use is in the output's usage journal (`llm/usage_journal.ts`), and the next run adds
 * it as a run with `status` "killed" or "interrupted" (its item counts are unknown, zero).
 */
import type { Logger } from "../cli/logger.ts";
import { type LlmCounters, ZERO_LLM_COUNTERS } from "../llm/llm_stats.ts";
import type { JournaledRun } from "../llm/usage_journal.ts";
import { readOptionalInputText } from "../store/read_input.ts";
import type { RewardRunTotals, RewardSummary } from "./reward_summary.ts";

export type { RewardRunTotals } from "./reward_summary.ts";

/** How a run on the output ended. */
export type RewardRunStatus = "complete" | "interrupted" | "failed" | "killed";

/**
 * The accounting of one run, as the summary file lists it. Runs recovered from the usage
 * journal have no settings (they are not known) and zero item counts.
 */
export type RewardRunRecord =
  & Pick<RewardSummary, "startedAt" | "durationMs" | "counts" | "llm">
  & Partial<
    Pick<
      RewardSummary,
      "run" | "limit" | "seed" | "maxAttempts" | "consistency" | "promptVersions" | "promptSet"
    >
  >
  & { status?: RewardRunStatus; note?: string };

/** What the summary file holds: the latest settings and state, every run, their totals. */
export type RewardSummaryFile =
  & Omit<RewardSummary, "run" | "startedAt" | "durationMs" | "limit" | "counts" | "llm">
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
    ...(summary.promptSet === undefined ? {} : { promptSet: summary.promptSet }),
    ...(summary.run === undefined ? {} : { run: summary.run, status: "complete" as const }),
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
    text = await readOptionalInputText(path, { noFollow: true });
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

/** The record of a run that the usage journal holds and no summary lists yet. */
export function journaledRunRecord(run: JournaledRun): RewardRunRecord {
  return {
    run: run.run,
    status: run.end,
    note: `${run.end} before it wrote this summary: its LLM use comes from the usage ` +
      `journal; its conversations saved at checkpoints count in the next run's alreadyDone`,
    startedAt: run.startedAt,
    durationMs: Date.parse(run.lastAt) - Date.parse(run.startedAt),
    counts: {
      inputItems: 0,
      balancedItems: 0,
      alreadyDone: 0,
      asked: 0,
      succeeded: 0,
      failed: 0,
      notAsked: 0,
      written: 0,
      dropped: 0,
      attempts: 0,
      checkpoints: 0,
    },
    llm: run.llm,
  };
}

/** `earlier` followed by the journal's runs that it does not list yet (by run id). */
export function withJournaledRuns(
  earlier: readonly RewardRunRecord[],
  journaled: readonly JournaledRun[],
): RewardRunRecord[] {
  const known = new Set(earlier.map((run) => run.run).filter((id) => id !== undefined));
  return [...earlier, ...journaled.filter((run) => !known.has(run.run)).map(journaledRunRecord)];
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
  const { startedAt: _s, durationMs: _d, limit: _l, counts, llm: _llm, run: _r, ...rest } = summary;
  const runs = [...earlier, runRecord(summary)];
  return {
    ...rest,
    conversations: counts.written,
    failed: counts.failed,
    totals: totalRuns(runs),
    runs,
  };
}
