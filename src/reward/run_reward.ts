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
import { describeError, inputError } from "../cli/errors.ts";
import { categoryCode, parseRewardItem, type RewardItem } from "../formats/reward_item.ts";
import { readJsonlFile, toJsonl } from "../jsonl/jsonl_streams.ts";
import type { LlmOptions } from "../llm/llm_config.ts";
import { readUsageJournal, removeUsageJournal, UsageJournal } from "../llm/usage_journal.ts";
import {
  type ReadTools,
  runStage,
  type StageContext,
  type StageTools,
} from "../stage/run_stage.ts";
import type { BusyPolicy } from "../store/process_lock.ts";
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

/** What the read phase found: the balanced items, what is done, what to ask for. */
interface RewardRead {
  /** Items to ask for. */
  total: number;
  prompts: PromptSet;
  inputs: number;
  balance: ReturnType<typeof balanceItems>;
  entries: { key: string; job: RewardJob }[];
  /** The encoded conversation of each balanced item, once done (earlier runs' included). */
  slots: (Uint8Array | undefined)[];
  alreadyDone: number;
  jobs: RewardJob[];
  notAsked: number;
  dropped: number;
  earlierRuns: Awaited<ReturnType<typeof readEarlierRuns>>;
  run: string;
  journal: UsageJournal;
}

/**
 * `proactive reward` as the stage outline's phases (`stage/run_stage.ts`), holding its
 * outputs' locks (the dataset and the failures file; the summary and cards are named
 * after the dataset), so two runs on one output never interleave their writes.
 */
export function runReward(
  options: RewardOptions,
  ctx: StageContext,
  /** The command line, for the dataset card. */
  args: readonly string[] = [],
): Promise<RewardRunResult> {
  return runStage<RewardRead, RewardWork, RewardRunResult>({
    name: "reward",
    outputs: [
      { path: options.output, kind: "file", what: `The dataset "${options.output}"` },
      { path: options.failures, kind: "file", what: `The failures file "${options.failures}"` },
    ],
    onBusy: options.onBusy,
    llm: {
      options: options.llm,
      onUsage: (read) => (endpoint, delta) => read.journal.record(endpoint, delta),
    },
    read: (tools) => readRewardRun(options, tools),
    work: (read, tools) => askForItems(options, read, tools),
    async stopped(read, tools) {
      const saved = defined(read.slots);
      if (saved.length > 0) {
        await writeOutput(options, read.slots).catch((writeError) => {
          tools.logger.error(
            `Cannot save the conversations done to "${options.output}": ${writeError}`,
          );
        });
      }
      read.journal.end(tools.signal.aborted ? "interrupted" : "failed");
      const kept = `${saved.length} of ${read.entries.length} conversations are saved in ` +
        `"${options.output}"; run the same command again to continue`;
      return { kept, keptOnFailure: true };
    },
    finish: (read, worked, tools) => writeRewardRun(options, { read, worked, tools, args }),
  }, ctx);
}

/** The usage journal of the output (see `llm/usage_journal.ts`). */
export function usageJournalPath(summaryPath: string): string {
  return join(dirname(summaryPath), `.${basename(summaryPath)}.journal`);
}

/** Reads and balances the items, matches the output's conversations, opens the journal. */
async function readRewardRun(options: RewardOptions, tools: ReadTools): Promise<RewardRead> {
  const prompts = promptsOf(options.llm);
  if (prompts.protocol === "reference") {
    requireReferenceTexts(prompts, "reward", REFERENCE_REWARD_SET_TEXTS);
  }
  const inputs = await readRewardItems(options.input);
  const balance = balanceItems(inputs, options.seed);
  for (const category of balance.emptyBelowTarget) {
    tools.logger.warn(`"${options.input}" has no ${category} item: that category stays empty`);
  }
  const existing = await readExistingOutput(options.output);
  const journalPath = usageJournalPath(options.summary);
  const earlierRuns = withJournaledRuns(
    await readEarlierRuns(options.summary, options.output, tools.logger),
    await readUsageJournal(journalPath),
  );
  const entry = datasetInfoEntry(options.output);
  await mergedDatasetInfo(options.datasetInfo, datasetName(options.output), entry); // fails early
  const entries = rewardEntries(prompts, balance.items);
  const { assigned, unmatched } = matchDone(entries.map((e) => e.key), existing);
  if (unmatched.length > 0) {
    tools.logger.warn(
      `${unmatched.length} conversation(s) in "${options.output}" match no item of ` +
        `"${options.input}" (other input, seed or prompt version); they are dropped`,
    );
  }
  const slots: (Uint8Array | undefined)[] = assigned.map((c) => c && encodeConversation(c));
  const limit = options.llm.limit ?? entries.length;
  const jobs = entries.filter((_, i) => i < limit && slots[i] === undefined).map((e) => e.job);
  const run = crypto.randomUUID().slice(0, 8);
  return {
    total: jobs.length,
    prompts,
    inputs: inputs.length,
    balance,
    entries,
    slots,
    alreadyDone: slots.filter((s) => s !== undefined).length,
    jobs,
    notAsked: entries.filter((_, i) => i >= limit && slots[i] === undefined).length,
    dropped: unmatched.length,
    earlierRuns,
    run,
    journal: await UsageJournal.open(journalPath, run, tools.now),
  };
}

/** Each balanced item's key (its conversation's messages and judgement) and job. */
function rewardEntries(
  prompts: PromptSet,
  items: ReturnType<typeof balanceItems>["items"],
): { key: string; job: RewardJob }[] {
  const copies = new Map<string, number>();
  return items.map(({ item, line }, index) => {
    const [system, user] = rewardTemplate(prompts, item.obs, item.pred_task);
    const key = conversationKey(system.content, user.content, judgementOf(item.valid));
    const copy = copies.get(key) ?? 0;
    copies.set(key, copy + 1);
    return { key, job: { index, item, line, copy } as RewardJob };
  });
}

function writeOutput(options: RewardOptions, slots: readonly (Uint8Array | undefined)[]) {
  return writeFilesAtomic([{ path: options.output, chunks: outputChunks(defined(slots)) }]);
}

type RewardWork = Awaited<ReturnType<typeof buildRewardSet>> & { checkpoints: number };

/** Asks for the items not done (`buildRewardSet`), checkpointing the output as it goes. */
async function askForItems(
  options: RewardOptions,
  read: RewardRead,
  tools: StageTools,
): Promise<RewardWork> {
  const { prompts, jobs, slots } = read;
  const { logger, llm } = tools;
  const checkpoints = new CoalescedWriter(
    () => writeOutput(options, slots),
    (error) => logger.warn(`Cannot write a checkpoint: ${describeError(error)}`),
  );
  const client = llm.client("reward");
  if (jobs.length > 0) {
    logger.info(
      `reward: ${jobs.length} item(s) to ask for, ${read.alreadyDone} already in "${options.output}"`,
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
      signal: tools.signal,
      progress: tools.progress,
      onDone(job, reply) {
        const [system, user] = rewardTemplate(prompts, job.item.obs, job.item.pred_task);
        const conversation: Conversation = {
          conversations: [system, user, { role: "assistant", content: reply }],
        };
        slots[job.index] = encodeConversation(conversation);
      },
      requestCheckpoint: () => checkpoints.request(),
    });
  } finally {
    await checkpoints.flush().catch(() => {});
  }
  // After the last flush: the checkpoints written include the one it made.
  return { ...result, checkpoints: checkpoints.writes };
}

interface FinishParts {
  read: RewardRead;
  worked: RewardWork;
  tools: StageTools;
  args: readonly string[];
}

/** This run's summary: settings, prompt versions, balance, counts, LLM use. */
function rewardSummary(options: RewardOptions, { read, worked, tools }: FinishParts) {
  const codes = (counts: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(counts).map(([c, n]) => [categoryCode(c as RewardItem["category"]), n]),
    );
  const { balance } = read;
  const summary: RewardSummary = {
    command: "reward",
    run: read.run,
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
    promptSet: read.prompts.label,
    seed: options.seed.toString(),
    maxAttempts: options.maxAttempts,
    consistency: {
      samples: options.consistencySamples,
      temperature: options.consistencyTemperature,
    },
    limit: options.llm.limit ?? null,
    balance: { target: balance.target, before: codes(balance.before), after: codes(balance.after) },
    counts: {
      inputItems: read.inputs,
      balancedItems: read.entries.length,
      alreadyDone: read.alreadyDone,
      asked: read.jobs.length,
      succeeded: worked.succeeded,
      failed: worked.failures.length,
      notAsked: read.notAsked,
      written: defined(read.slots).length,
      dropped: read.dropped,
      attempts: worked.attempts,
      checkpoints: worked.checkpoints,
    },
    llm: tools.llm.stats.toJSON(),
    startedAt: new Date(tools.startedAt).toISOString(),
    durationMs: tools.now() - tools.startedAt,
  };
  return summary;
}

/**
 * Writes the dataset, `dataset_info.json`, the failures, the summary and the cards
 * together; without a conversation, only the failures and the summary.
 */
async function writeRewardRun(
  options: RewardOptions,
  parts: FinishParts,
): Promise<RewardRunResult> {
  const { read, worked, tools } = parts;
  const summary = rewardSummary(options, parts);
  const file = summaryFile(summary, read.earlierRuns);
  for (const path of [options.failures, options.datasetInfo, options.summary]) {
    await ensureParent(path);
  }
  const encoder = new TextEncoder();
  const card = await rewardCard(options, { summary, file, args: parts.args, now: tools.now() });
  const stem = join(dirname(options.output), summary.datasetName);
  const reports = [
    { path: options.failures, chunks: [encoder.encode(toJsonl(worked.failures))] },
    { path: options.summary, chunks: [encoder.encode(JSON.stringify(file, null, 2) + "\n")] },
  ];
  const cards = [
    { path: `${stem}.card.json`, chunks: [encoder.encode(cardJson(card))] },
    { path: `${stem}.card.md`, chunks: [encoder.encode(cardMarkdown(card))] },
  ];
  try {
    if (summary.counts.written === 0) {
      // No dataset: the output, its card and dataset_info.json stay as they were.
      await writeFilesAtomic(reports);
    } else {
      await withDatasetInfoLock(options.datasetInfo, "proactive reward", async () => {
        const entry = datasetInfoEntry(options.output);
        const dataset = await mergedDatasetInfo(options.datasetInfo, summary.datasetName, entry);
        await writeFilesAtomic([
          { path: options.output, chunks: outputChunks(defined(read.slots)) },
          { path: options.datasetInfo, chunks: [encoder.encode(dataset)] },
          ...reports,
          ...cards,
        ]);
      });
    }
  } catch (error) {
    read.journal.end(tools.signal.aborted ? "interrupted" : "failed");
    throw error;
  }
  // The summary counts this run and the journal's: the journal has done its work.
  read.journal.close();
  await removeUsageJournal(usageJournalPath(options.summary));
  return { summary, file, failures: worked.failures, stats: tools.llm.stats.formatStats() };
}

/**
 * The dataset card of the reward set: the input's hash, the model and prompt versions,
 * the seed and settings, what the dataset holds, and the LLM use of every run on this
 * output (requests sent and tokens: a re-run that takes everything from the output or the
 * cache adds nothing, so the card stays the same apart from `generated_at`).
 */
async function rewardCard(
  options: RewardOptions,
  { summary, file, args, now }: {
    summary: RewardSummary;
    file: RewardSummaryFile;
    /** The command line. */
    args: readonly string[];
    now: number;
  },
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
