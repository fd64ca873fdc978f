/**
 * `proactive reward` from options to files: read and balance the items, take over what
 * an earlier run already wrote, ask the model for the rest (`buildRewardSet`), and write
 * the dataset, the failures, the `dataset_info.json` entry and the JSON summary.
 *
 * The output is replaced atomically at every checkpoint and once more when the run stops
 * for any reason, so a killed run loses at most the items in flight; the final files are
 * written together (all or none).
 */
import { explainItemReference } from "./explain_item_reference.ts";
import {
  REFERENCE_REWARD_SET_TEXTS,
  referenceRewardMessages,
  requireReferenceTexts,
} from "../prompts/reference_messages.ts";
import type { PromptSet } from "../prompts/prompt_set.ts";
import type { ChatMessage } from "../llm/llm_types.ts";
import { promptsOf } from "../prompts/prompt_set.ts";
import { basename, dirname, join } from "node:path";
import type { CommandContext } from "../cli/command.ts";
import { describeError, inputError, ProactiveError, runtimeError } from "../cli/errors.ts";
import { categoryCode, parseRewardItem, type RewardItem } from "../formats/reward_item.ts";
import { readJsonlFile, toJsonl } from "../jsonl/jsonl_streams.ts";
import type { LlmOptions } from "../llm/llm_config.ts";
import { createLlmRuntime } from "../llm/llm_runtime.ts";
import { readUsageJournal, removeUsageJournal, UsageJournal } from "../llm/usage_journal.ts";
import { withOutputLocks } from "../store/output_lock.ts";
import type { BusyPolicy } from "../store/process_lock.ts";
import { createCommandProgress, loggerAboveProgress } from "../llm/progress.ts";
import {
  CONSISTENCY_PROMPT_VERSION,
  EXPLAIN_PROMPT_VERSION,
  judgementOf,
  REWARD_PROMPT_VERSION,
  rewardMessages,
} from "../prompts/reward_prompts.ts";
import { writeFilesAtomic } from "../store/atomic_write.ts";
import {
  cardCommand,
  cardInput,
  cardJson,
  cardMarkdown,
  type DatasetCard,
  trainingHint,
} from "../formats/dataset_card.ts";
import { balanceItems } from "./balance_items.ts";
import { buildRewardSet, type RewardFailure, type RewardJob } from "./build_reward_set.ts";
import { CoalescedWriter } from "../store/coalesced_writer.ts";
import {
  datasetInfoEntry,
  datasetName,
  mergedDatasetInfo,
  withDatasetInfoLock,
} from "./dataset_info.ts";
import {
  type Conversation,
  conversationKey,
  encodeConversation,
  matchDone,
  outputChunks,
  readExistingOutput,
} from "./reward_output.ts";
import {
  readEarlierRuns,
  type RewardSummaryFile,
  summaryFile,
  withJournaledRuns,
} from "./reward_runs.ts";
import type { RewardSummary } from "./reward_summary.ts";

export interface RewardOptions {
  input: string;
  output: string;
  failures: string;
  datasetInfo: string;
  summary: string;
  seed: bigint;
  maxAttempts: number;
  consistencySamples: number;
  consistencyTemperature: number;
  checkpointEvery: number;
  /** When another run writes the same output: exit naming it, or wait (`--wait`). */
  onBusy?: BusyPolicy;
  llm: LlmOptions;
}

export interface RewardRunResult {
  /** This run. */
  summary: RewardSummary;
  /** What the summary file now holds: every run on this output. */
  file: RewardSummaryFile;
  failures: RewardFailure[];
  /** The accounting block printed at the end. */
  stats: string;
}

type RunContext = Pick<CommandContext, "logger" | "stderr" | "isTerminal" | "now" | "signal">;

/**
 * Runs `proactive reward` holding its outputs' locks (the dataset and the failures file;
 * the summary and cards are named after the dataset), so two runs on one output never
 * interleave their writes.
 */
export async function runReward(
  options: RewardOptions,
  ctx: RunContext,
  /** The command line, for the dataset card. */
  args: readonly string[] = [],
): Promise<RewardRunResult> {
  await ensureParent(options.output);
  await ensureParent(options.failures);
  return await withOutputLocks(
    [
      { path: options.output, kind: "file", what: `The dataset "${options.output}"` },
      { path: options.failures, kind: "file", what: `The failures file "${options.failures}"` },
    ],
    { command: "proactive reward", onBusy: options.onBusy, signal: ctx.signal, logger: ctx.logger },
    () => runLocked(options, ctx, args),
  );
}

/** The usage journal of the output (see `llm/usage_journal.ts`). */
export function usageJournalPath(summaryPath: string): string {
  return join(dirname(summaryPath), `.${basename(summaryPath)}.journal`);
}

async function runLocked(
  options: RewardOptions,
  ctx: RunContext,
  args: readonly string[],
): Promise<RewardRunResult> {
  const startedAt = ctx.now();
  const prompts = promptsOf(options.llm);
  if (prompts.protocol === "reference") {
    requireReferenceTexts(prompts, "reward", REFERENCE_REWARD_SET_TEXTS);
  }
  const inputs = await readRewardItems(options.input);
  const balance = balanceItems(inputs, options.seed);
  for (const category of balance.emptyBelowTarget) {
    ctx.logger.warn(`"${options.input}" has no ${category} item: that category stays empty`);
  }

  const existing = await readExistingOutput(options.output);
  const journalPath = usageJournalPath(options.summary);
  const earlierRuns = withJournaledRuns(
    await readEarlierRuns(options.summary, options.output, ctx.logger),
    await readUsageJournal(journalPath),
  );
  const entry = datasetInfoEntry(options.output);
  await mergedDatasetInfo(options.datasetInfo, datasetName(options.output), entry); // fails early
  const copies = new Map<string, number>();
  const entries = balance.items.map(({ item, line }, index) => {
    const [system, user] = rewardTemplate(prompts, item.obs, item.pred_task);
    const key = conversationKey(system.content, user.content, judgementOf(item.valid));
    const copy = copies.get(key) ?? 0;
    copies.set(key, copy + 1);
    return { key, job: { index, item, line, copy } as RewardJob };
  });
  const { assigned, unmatched } = matchDone(entries.map((e) => e.key), existing);
  if (unmatched.length > 0) {
    ctx.logger.warn(
      `${unmatched.length} conversation(s) in "${options.output}" match no item of ` +
        `"${options.input}" (other input, seed or prompt version); they are dropped`,
    );
  }
  const slots: (Uint8Array | undefined)[] = assigned.map((c) => c && encodeConversation(c));
  const alreadyDone = slots.filter((s) => s !== undefined).length;
  const limit = options.llm.limit ?? entries.length;
  const jobs = entries.filter((_, i) => i < limit && slots[i] === undefined).map((e) => e.job);
  const notAsked = entries.filter((_, i) => i >= limit && slots[i] === undefined).length;

  const writeOutput = () =>
    writeFilesAtomic([{ path: options.output, chunks: outputChunks(defined(slots)) }]);
  const progress = createCommandProgress(ctx, jobs.length, "reward");
  const logger = loggerAboveProgress(ctx.logger, progress);
  const checkpoints = new CoalescedWriter(
    writeOutput,
    (error) => logger.warn(`Cannot write a checkpoint: ${describeError(error)}`),
  );
  const run = crypto.randomUUID().slice(0, 8);
  const journal = await UsageJournal.open(journalPath, run, ctx.now);
  const llm = createLlmRuntime(options.llm, {
    logger,
    signal: ctx.signal,
    now: ctx.now,
    onUsage: (endpoint, delta) => journal.record(endpoint, delta),
  });
  const client = llm.client("reward");
  if (jobs.length > 0) {
    logger.info(
      `reward: ${jobs.length} item(s) to ask for, ${alreadyDone} already in "${options.output}"`,
    );
  }

  let result;
  try {
    result = await buildRewardSet(jobs, {
      maxAttempts: options.maxAttempts,
      consistencySamples: options.consistencySamples,
      consistencyTemperature: options.consistencyTemperature,
      prompts,
      // A few more items than request slots, so that a slot freed by an answer is taken
      // at once by a waiting request rather than after the next request is prepared.
      workers: client.limiter.limit + Math.floor(client.limiter.limit / 4),
      checkpointEvery: options.checkpointEvery,
    }, {
      client,
      ...(prompts.protocol === "reference"
        ? {
          attempt: (_, item, settings, tag, signal) =>
            explainItemReference(client, item, { ...settings, prompts }, tag, signal),
        }
        : {}),
      signal: ctx.signal,
      progress,
      onDone(job, reply) {
        const [system, user] = rewardTemplate(prompts, job.item.obs, job.item.pred_task);
        const conversation: Conversation = {
          conversations: [system, user, { role: "assistant", content: reply }],
        };
        slots[job.index] = encodeConversation(conversation);
      },
      requestCheckpoint: () => checkpoints.request(),
    });
  } catch (error) {
    progress.done();
    await checkpoints.flush().catch(() => {});
    if (defined(slots).length > 0) {
      await writeOutput().catch((writeError) => {
        ctx.logger.error(
          `Cannot save the conversations done to "${options.output}": ${writeError}`,
        );
      });
    }
    journal.end(ctx.signal.aborted ? "interrupted" : "failed");
    throw stoppedError(error, ctx.signal, defined(slots).length, entries.length, options.output);
  }
  progress.done();
  await checkpoints.flush().catch(() => {});

  const written = defined(slots).length;
  const codes = (counts: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(counts).map(([c, n]) => [categoryCode(c as RewardItem["category"]), n]),
    );
  const summary: RewardSummary = {
    command: "reward",
    run,
    input: options.input,
    output: options.output,
    failuresFile: options.failures,
    datasetInfo: options.datasetInfo,
    datasetName: datasetName(options.output),
    summaryFile: options.summary,
    promptVersions: {
      reward: REWARD_PROMPT_VERSION,
      explain: EXPLAIN_PROMPT_VERSION,
      consistency: CONSISTENCY_PROMPT_VERSION,
    },
    promptSet: prompts.label,
    seed: options.seed.toString(),
    maxAttempts: options.maxAttempts,
    consistency: {
      samples: options.consistencySamples,
      temperature: options.consistencyTemperature,
    },
    limit: options.llm.limit ?? null,
    balance: { target: balance.target, before: codes(balance.before), after: codes(balance.after) },
    counts: {
      inputItems: inputs.length,
      balancedItems: entries.length,
      alreadyDone,
      asked: jobs.length,
      succeeded: result.succeeded,
      failed: result.failures.length,
      notAsked,
      written,
      dropped: unmatched.length,
      attempts: result.attempts,
      checkpoints: checkpoints.writes,
    },
    llm: llm.stats.toJSON(),
    startedAt: new Date(startedAt).toISOString(),
    durationMs: ctx.now() - startedAt,
  };

  const file = summaryFile(summary, earlierRuns);
  for (const path of [options.failures, options.datasetInfo, options.summary]) {
    await ensureParent(path);
  }
  const encoder = new TextEncoder();
  const card = await rewardCard(options, summary, file, args, ctx.now());
  const stem = join(dirname(options.output), summary.datasetName);
  const reports = [
    { path: options.failures, chunks: [encoder.encode(toJsonl(result.failures))] },
    { path: options.summary, chunks: [encoder.encode(JSON.stringify(file, null, 2) + "\n")] },
  ];
  const cards = [
    { path: `${stem}.card.json`, chunks: [encoder.encode(cardJson(card))] },
    { path: `${stem}.card.md`, chunks: [encoder.encode(cardMarkdown(card))] },
  ];
  try {
    if (written === 0) {
      // No dataset: the output, its card and dataset_info.json stay as they were.
      await writeFilesAtomic(reports);
    } else {
      await withDatasetInfoLock(options.datasetInfo, "proactive reward", async () => {
        const dataset = await mergedDatasetInfo(options.datasetInfo, summary.datasetName, entry);
        await writeFilesAtomic([
          { path: options.output, chunks: outputChunks(defined(slots)) },
          { path: options.datasetInfo, chunks: [encoder.encode(dataset)] },
          ...reports,
          ...cards,
        ]);
      });
    }
  } catch (error) {
    journal.end(ctx.signal.aborted ? "interrupted" : "failed");
    throw error;
  }
  // The summary counts this run and the journal's: the journal has done its work.
  journal.close();
  await removeUsageJournal(journalPath);
  return { summary, file, failures: result.failures, stats: llm.stats.formatStats() };
}

/**
 * The dataset card of the reward set: the input's hash, the model and prompt versions,
 * the seed and settings, what the dataset holds, and the LLM use of every run on this
 * output (requests sent and tokens: a re-run that takes everything from the output or the
 * cache adds nothing, so the card stays the same apart from `generated_at`).
 */
async function rewardCard(
  options: RewardOptions,
  summary: RewardSummary,
  file: RewardSummaryFile,
  args: readonly string[],
  now: number,
): Promise<DatasetCard> {
  const endpoint = options.llm.endpoints.reward!;
  const { totals } = file;
  return {
    dataset: options.output,
    dataset_name: summary.datasetName,
    format: "json",
    generated_at: new Date(now).toISOString(),
    command: cardCommand("reward", args),
    inputs: [await cardInput(options.input)],
    roles: {
      reward: {
        model: endpoint.model,
        alias: endpoint.alias,
        prompt_version: Object.values(summary.promptVersions).join(", "),
        llm: {
          requests: totals.requests,
          retries: totals.retries,
          prompt_tokens: totals.promptTokens,
          completion_tokens: totals.completionTokens,
        },
      },
    },
    prompt_set: promptsOf(options.llm).id,
    seed: summary.seed,
    settings: {
      max_attempts: summary.maxAttempts,
      consistency_samples: summary.consistency.samples,
      consistency_temperature: summary.consistency.temperature,
      limit: summary.limit,
    },
    counts: {
      input_items: summary.counts.inputItems,
      balanced_items: summary.counts.balancedItems,
      balance: summary.balance,
      conversations: summary.counts.written,
      failed_items: summary.counts.failed,
      not_asked: summary.counts.notAsked,
    },
    training: trainingHint(summary.datasetName, dirname(options.output)),
  };
}

/** The items of the input JSONL, validated. */
export async function readRewardItems(
  path: string,
): Promise<{ item: RewardItem; line: number }[]> {
  const rows = await readJsonlFile(path);
  const items = rows.map(({ value, line }) => ({ item: parseRewardItem(value, path, line), line }));
  if (items.length === 0) throw inputError(`"${path}" holds no reward items`);
  return items;
}

function defined(slots: readonly (Uint8Array | undefined)[]): Uint8Array[] {
  return slots.filter((s): s is Uint8Array => s !== undefined);
}

async function ensureParent(path: string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
}

function stoppedError(
  error: unknown,
  signal: AbortSignal,
  saved: number,
  total: number,
  output: string,
): Error {
  const kept = `${saved} of ${total} conversations are saved in "${output}"; ` +
    `run the same command again to continue`;
  if (signal.aborted) return runtimeError(`Interrupted: ${kept}`);
  if (error instanceof ProactiveError) {
    return new ProactiveError(error.kind, `${error.message} (${kept})`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** The reward template of the set's protocol: the training conversation's first messages. */
function rewardTemplate(
  prompts: PromptSet,
  obs: RewardItem["obs"],
  task: string | null,
): ChatMessage[] {
  return prompts.protocol === "reference"
    ? referenceRewardMessages(prompts, obs, task)
    : rewardMessages(prompts, obs, task);
}
