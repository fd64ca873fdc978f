/**
 * `proactive agent-trainset` from options to files: find the complete gym logs, build each
 * log's samples (`replayLog`; several logs at once within the per-endpoint limit), and
 * write the dataset, its `dataset_info.json` entry and its dataset card together,
 * atomically, once every log is done — the old output stays whole until then. A killed
 * run loses no model answer: running the same command again replays the finished requests
 * from the completion cache.
 */
import { basename, dirname } from "node:path";
import { describeError } from "../cli/errors.ts";
import type { Logger } from "../cli/logger.ts";
import type { LlmOptions } from "../llm/llm_config.ts";
import type { CallUsage } from "../llm/llm_types.ts";
import { runWorkerPool } from "../stage/worker_pool.ts";
import { AGENT_PROMPT_VERSION } from "../prompts/agent_prompts.ts";
import { REWARD_PROMPT_VERSION } from "../prompts/reward_prompts.ts";
import {
  datasetInfoEntry,
  datasetName,
  mergedDatasetInfo,
  withDatasetInfoLock,
} from "../reward/dataset_info.ts";
import { runStage, type StageContext, type StageTools } from "../stage/run_stage.ts";
import type { BusyPolicy } from "../store/process_lock.ts";
import { writeFilesAtomic } from "../store/atomic_write.ts";
import {
  cardCommand,
  cardInput,
  cardJson,
  cardMarkdown,
  type DatasetCard,
  type RoleCard,
  trainingHint,
} from "../formats/dataset_card.ts";
import { findGymLogs, type FoundLogs, reportSkippedLogs } from "../gym/find_gym_logs.ts";
import { type GymLog, readGymLog } from "../gym/read_gym_log.ts";
import { type InvalidSample, type LogResult, replayLog, type SampleSource } from "./replay_log.ts";

export interface AgentTrainsetOptions {
  inDir: string;
  output: string;
  format: "json" | "jsonl";
  datasetInfo: string;
  cardJson: string;
  cardMarkdown: string;
  maxTrials: number;
  maxChars: number;
  maxAssistantChars: number;
  /** Under protocol: reference, reproduce the reference script's requests (bounded). */
  referenceQuirks?: boolean;
  /** When another run writes the same dataset: exit naming it, or wait (`--wait`). */
  onBusy?: BusyPolicy;
  llm: LlmOptions;
}

export interface LogFailure {
  log: string;
  error: string;
}

export interface AgentTrainsetResult {
  card: DatasetCard;
  samples: number;
  failures: LogFailure[];
  invalid: InvalidSample[];
  incomplete: string[];
  /** The accounting block printed at the end. */
  stats: string;
}

const encoder = new TextEncoder();

type ReadLog = { log: GymLog } | { error: string };

/** What the read phase found: the logs to build from, read. */
interface TrainsetRead {
  /** Events to replay. */
  total: number;
  found: FoundLogs;
  logs: string[];
  read: ReadLog[];
}

/** What the work phase did: per log, its samples or its failure. */
interface TrainsetWork {
  results: (LogResult | undefined)[];
  failures: LogFailure[];
  seeds: Set<number>;
  /** The answers the samples rest on, per role, with their tokens. */
  usage: Record<"agent" | "reward", RoleCard["llm"]>;
}

/**
 * `proactive agent-trainset` as the stage outline's phases (`stage/run_stage.ts`),
 * holding the lock of its dataset (its cards are named after it).
 */
export function runAgentTrainset(
  options: AgentTrainsetOptions,
  args: readonly string[],
  ctx: StageContext,
): Promise<AgentTrainsetResult> {
  return runStage({
    name: "agent-trainset",
    progressLabel: "agent-trainset events",
    outputs: [{ path: options.output, kind: "file", what: `The dataset "${options.output}"` }],
    onBusy: options.onBusy,
    llm: { options: options.llm },
    read: (tools) => readLogs(options, tools.logger),
    work: (read, tools) => replayLogs(options, read, tools),
    stopped: () =>
      Promise.resolve({
        kept: `the finished requests are saved in the completion cache, "${options.output}" ` +
          `is unchanged; run the same command again to continue`,
      }),
    finish: (read, worked, tools) => writeTrainset(options, { read, worked, tools, args }),
  }, ctx);
}

/** The complete logs (up to `--limit`), read: a log that cannot be read fails alone. */
async function readLogs(options: AgentTrainsetOptions, logger: Logger): Promise<TrainsetRead> {
  const found = await findGymLogs(options.inDir, [options.output]);
  reportSkippedLogs(found, logger);
  const name = datasetName(options.output);
  await mergedDatasetInfo(options.datasetInfo, name, datasetInfoEntry(options.output)); // fails early
  const logs = found.complete.slice(0, options.llm.limit ?? found.complete.length);
  const read = await Promise.all(
    logs.map((path) =>
      readGymLog(path).then((log) => ({ log }), (error) => ({ error: describeError(error) }))
    ),
  );
  const total = read.reduce((n, r) => n + ("log" in r ? r.log.events.length : 0), 0);
  return { total, found, logs, read };
}

/** Replays every log (`replayLog`); a log that fails is noted and the others go on. */
async function replayLogs(
  options: AgentTrainsetOptions,
  { logs, read }: TrainsetRead,
  { llm, logger, progress, signal: stageSignal }: StageTools,
): Promise<TrainsetWork> {
  const agent = llm.client("agent");
  const reward = llm.client("reward");
  const worked: TrainsetWork = {
    results: new Array(logs.length),
    failures: [],
    seeds: new Set<number>(),
    usage: { agent: zeroUsage(), reward: zeroUsage() },
  };
  const onUsage = (role: "agent" | "reward", call: CallUsage) => {
    if (!call.answer) return;
    worked.usage[role].answers++;
    worked.usage[role].prompt_tokens += call.answer.promptTokens;
    worked.usage[role].completion_tokens += call.answer.completionTokens;
  };
  if (logs.length > 0) logger.info(`agent-trainset: ${logs.length} gym log(s) to build from`);
  // One log replays its events one after the other (each depends on the answers before
  // it); enough logs run at once to keep every request slot of the endpoints busy.
  const workers = Math.max(agent.limiter.limit, reward.limiter.limit);
  await runWorkerPool(logs.length, workers, async (index, signal) => {
    const entry = read[index];
    let ticked = 0;
    try {
      if ("error" in entry) throw new Error(entry.error);
      const { log } = entry;
      if (log.seed !== null) worked.seeds.add(log.seed);
      worked.results[index] = await replayLog(log, options, {
        agent,
        reward,
        prompts: llm.prompts,
        signal,
        onUsage,
        onEvent: () => {
          ticked++;
          progress.tick();
        },
      });
    } catch (error) {
      if (signal.aborted || stageSignal.aborted) throw error;
      const reason = describeError(error);
      worked.failures[index] = { log: logs[index], error: reason };
      logger.error(`Cannot build samples from "${logs[index]}": ${reason}`);
      const left = ("log" in entry ? entry.log.events.length : 0) - ticked;
      if (left > 0) progress.tick(left, { failed: true });
    }
  }, stageSignal);
  return worked;
}

/** The samples of the logs done, with the invalid ones named and left out. */
function collectSamples(worked: TrainsetWork, logger: Logger) {
  const done = worked.results.filter((r): r is LogResult => r !== undefined);
  const samples = done.flatMap((r) => r.samples);
  const invalid = done.flatMap((r) => r.invalid);
  for (const bad of invalid) {
    logger.warn(
      `A ${bad.source} sample of "${bad.log}" at event ${bad.event} is not valid for ` +
        `LLaMA-Factory (${bad.problem}): not written`,
    );
  }
  return { done, samples, invalid };
}

/** The dataset card: inputs, models, prompt versions, settings and counts. */
async function trainsetCard(
  options: AgentTrainsetOptions,
  { read, worked, tools, args }: FinishParts,
  { done, samples, invalid }: ReturnType<typeof collectSamples>,
): Promise<DatasetCard> {
  const bySource: Record<SampleSource, number> = { logged: 0, replay: 0, proposal: 0 };
  for (const sample of samples) bySource[sample.source]++;
  const sum = (pick: (r: LogResult) => number) => done.reduce((n, r) => n + pick(r), 0);
  const roleCard = (role: "agent" | "reward", version: string): RoleCard => ({
    model: options.llm.endpoints[role]!.model,
    alias: options.llm.endpoints[role]!.alias,
    prompt_version: version,
    // The answers the dataset rests on and their tokens as reported when they were made
    // (the same when replayed from the cache); what was sent now is printed at the end.
    llm: worked.usage[role],
  });
  const name = datasetName(options.output);
  const seeds = worked.seeds;
  return {
    dataset: options.output,
    dataset_name: name,
    format: options.format,
    generated_at: new Date(tools.now()).toISOString(),
    command: cardCommand("agent-trainset", args),
    inputs: await Promise.all(read.logs.map(cardInput)),
    roles: {
      agent: roleCard("agent", AGENT_PROMPT_VERSION),
      reward: roleCard("reward", REWARD_PROMPT_VERSION),
    },
    prompt_set: tools.llm.prompts.id,
    seed: seeds.size === 0 ? null : [...seeds].sort((a, b) => a - b).join(", "),
    settings: {
      max_trials: options.maxTrials,
      max_chars: options.maxChars,
      max_assistant_chars: options.maxAssistantChars,
      limit: options.llm.limit ?? null,
    },
    counts: {
      logs: read.logs.length,
      logs_per_format: logsPerFormat(read.read),
      incomplete_logs_skipped: read.found.incomplete.length,
      failed_logs: read.found.unreadable.length + worked.failures.filter(Boolean).length,
      events: sum((r) => r.counts.events),
      samples: samples.length,
      samples_per_source: bySource,
      events_without_sample: sum((r) => r.counts.eventsWithoutSample),
      trials: sum((r) => r.counts.trials),
      rejected_trials: sum((r) => r.counts.rejected),
      unreadable_answers: sum((r) => r.counts.unreadable),
      invalid_samples: invalid.length,
    },
    training: trainingHint(name, dirname(options.output)),
  };
}

interface FinishParts {
  read: TrainsetRead;
  worked: TrainsetWork;
  tools: StageTools;
  args: readonly string[];
}

/**
 * Writes the dataset, its `dataset_info.json` entry and its cards together, atomically;
 * without a sample, only the cards.
 */
async function writeTrainset(
  options: AgentTrainsetOptions,
  parts: FinishParts,
): Promise<AgentTrainsetResult> {
  const collected = collectSamples(parts.worked, parts.tools.logger);
  const { samples, invalid } = collected;
  const card = await trainsetCard(options, parts, collected);
  for (const path of [options.output, options.datasetInfo, options.cardJson]) {
    await Deno.mkdir(dirname(path), { recursive: true });
  }
  const cards = [
    { path: options.cardJson, chunks: [encoder.encode(cardJson(card))] },
    { path: options.cardMarkdown, chunks: [encoder.encode(cardMarkdown(card))] },
  ];
  if (samples.length === 0) {
    await writeFilesAtomic(cards);
  } else {
    await withDatasetInfoLock(options.datasetInfo, "proactive agent-trainset", async () => {
      const entry = datasetInfoEntry(options.output);
      const info = await mergedDatasetInfo(options.datasetInfo, card.dataset_name, entry);
      await writeFilesAtomic([
        { path: options.output, chunks: datasetChunks(samples, options.format) },
        { path: options.datasetInfo, chunks: [encoder.encode(info)] },
        ...cards,
      ]);
    });
  }
  const { found } = parts.read;
  return {
    card,
    samples: samples.length,
    failures: [...found.unreadable, ...parts.worked.failures.filter(Boolean)],
    invalid,
    incomplete: found.incomplete,
    stats: parts.tools.llm.stats.formatStats(),
  };
}

function zeroUsage() {
  return { answers: 0, prompt_tokens: 0, completion_tokens: 0 };
}

/** The dataset's bytes, one sample at a time. */
function* datasetChunks(
  samples: readonly { conversations: unknown }[],
  format: "json" | "jsonl",
): Generator<Uint8Array> {
  if (format === "jsonl") {
    for (const { conversations } of samples) {
      yield encoder.encode(JSON.stringify({ conversations }) + "\n");
    }
    return;
  }
  yield encoder.encode("[");
  for (const [i, { conversations }] of samples.entries()) {
    yield encoder.encode((i === 0 ? "\n  " : ",\n  ") + JSON.stringify({ conversations }));
  }
  yield encoder.encode(samples.length === 0 ? "]\n" : "\n]\n");
}

/** How many of the logs read were in each encoding. */
export function logsPerFormat(read: readonly ({ log: GymLog } | { error: string })[]) {
  const counts = { proactive: 0, reference: 0 };
  for (const r of read) if ("log" in r) counts[r.log.format]++;
  return counts;
}

/** The report printed at the end of a run. */
export function formatAgentTrainsetReport(result: AgentTrainsetResult): string {
  const c = result.card.counts as Record<string, unknown>;
  const lines = [
    `agent-trainset: ${result.samples} sample(s) in "${result.card.dataset}" ` +
    `(${JSON.stringify(c.samples_per_source)}) from ${c.logs} log(s) ` +
    `(${JSON.stringify(c.logs_per_format)})`,
    `  events: ${c.events}, without a sample: ${c.events_without_sample}, trials: ${c.trials} ` +
    `(${c.rejected_trials} rejected, ${c.unreadable_answers} unreadable)`,
  ];
  if (result.incomplete.length > 0) {
    lines.push(
      `  incomplete logs skipped: ${result.incomplete.map((p) => basename(p)).join(", ")}`,
    );
  }
  for (const bad of result.invalid) {
    lines.push(`  invalid sample: ${bad.log} event ${bad.event} (${bad.source}): ${bad.problem}`);
  }
  for (const failure of result.failures) {
    lines.push(`  failed log: ${failure.log}: ${failure.error}`);
  }
  return lines.join("\n") + "\n" + result.stats;
}
