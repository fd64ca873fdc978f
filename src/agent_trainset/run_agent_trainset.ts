/**
 * `proactive agent-trainset` from options to files: find the complete gym logs, build each
 * log's samples (`replayLog`; several logs at once within the per-endpoint limit), and
 * write the dataset, its `dataset_info.json` entry and its dataset card together,
 * atomically, once every log is done — the old output stays whole until then. A killed
 * run loses no model answer: running the same command again replays the finished requests
 * from the completion cache.
 */
import { basename, dirname } from "node:path";
import type { CommandContext } from "../cli/command.ts";
import { describeError, interruptedError } from "../cli/errors.ts";
import type { LlmOptions } from "../llm/llm_config.ts";
import { createLlmRuntime } from "../llm/llm_runtime.ts";
import type { CallUsage } from "../llm/llm_types.ts";
import { createCommandProgress, loggerAboveProgress } from "../llm/progress.ts";
import { runWorkerPool } from "../llm/worker_pool.ts";
import { AGENT_PROMPT_VERSION } from "../prompts/agent_prompts.ts";
import { REWARD_PROMPT_VERSION } from "../prompts/reward_prompts.ts";
import {
  datasetInfoEntry,
  datasetName,
  mergedDatasetInfo,
  withDatasetInfoLock,
} from "../reward/dataset_info.ts";
import { withOutputLocks } from "../store/output_lock.ts";
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
import { findGymLogs } from "../gym/find_gym_logs.ts";
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

type RunContext = Pick<CommandContext, "logger" | "stderr" | "isTerminal" | "now" | "signal">;

const encoder = new TextEncoder();

/** Runs `proactive agent-trainset` holding the lock of its dataset (its cards are named after it). */
export async function runAgentTrainset(
  options: AgentTrainsetOptions,
  args: readonly string[],
  ctx: RunContext,
): Promise<AgentTrainsetResult> {
  await Deno.mkdir(dirname(options.output), { recursive: true });
  return await withOutputLocks(
    [{ path: options.output, kind: "file", what: `The dataset "${options.output}"` }],
    {
      command: "proactive agent-trainset",
      onBusy: options.onBusy,
      signal: ctx.signal,
      logger: ctx.logger,
    },
    () => buildLocked(options, args, ctx),
  );
}

async function buildLocked(
  options: AgentTrainsetOptions,
  args: readonly string[],
  ctx: RunContext,
): Promise<AgentTrainsetResult> {
  const found = await findGymLogs(options.inDir, [options.output]);
  for (const path of found.incomplete) {
    ctx.logger.warn(`"${path}" is not a complete gym log (no end record): skipped`);
  }
  for (const { error } of found.unreadable) ctx.logger.error(error); // it names the log
  const name = datasetName(options.output);
  const entry = datasetInfoEntry(options.output);
  await mergedDatasetInfo(options.datasetInfo, name, entry); // fails early
  const logs = found.complete.slice(0, options.llm.limit ?? found.complete.length);

  // Read first: a log that cannot be read fails alone, and progress counts events.
  const read = await Promise.all(
    logs.map((path) =>
      readGymLog(path).then((log) => ({ log }), (error) => ({ error: describeError(error) }))
    ),
  );
  const totalEvents = read.reduce((n, r) => n + ("log" in r ? r.log.events.length : 0), 0);
  const progress = createCommandProgress(ctx, totalEvents, "agent-trainset events");
  const logger = loggerAboveProgress(ctx.logger, progress);
  const llm = createLlmRuntime(options.llm, { logger, signal: ctx.signal, now: ctx.now });
  const agent = llm.client("agent");
  const reward = llm.client("reward");
  const usage = { agent: zeroUsage(), reward: zeroUsage() };
  const onUsage = (role: "agent" | "reward", call: CallUsage) => {
    if (!call.answer) return;
    usage[role].answers++;
    usage[role].prompt_tokens += call.answer.promptTokens;
    usage[role].completion_tokens += call.answer.completionTokens;
  };
  if (logs.length > 0) logger.info(`agent-trainset: ${logs.length} gym log(s) to build from`);

  const results: (LogResult | undefined)[] = new Array(logs.length);
  const failures: LogFailure[] = [];
  const seeds = new Set<number>();
  // One log replays its events one after the other (each depends on the answers before
  // it); enough logs run at once to keep every request slot of the endpoints busy.
  const workers = Math.max(agent.limiter.limit, reward.limiter.limit);
  try {
    await runWorkerPool(logs.length, workers, async (index, signal) => {
      const entry = read[index];
      let ticked = 0;
      try {
        if ("error" in entry) throw new Error(entry.error);
        const { log } = entry;
        if (log.seed !== null) seeds.add(log.seed);
        results[index] = await replayLog(log, options, {
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
        if (signal.aborted || ctx.signal.aborted) throw error;
        const reason = describeError(error);
        failures[index] = { log: logs[index], error: reason };
        logger.error(`Cannot build samples from "${logs[index]}": ${reason}`);
        const left = ("log" in entry ? entry.log.events.length : 0) - ticked;
        if (left > 0) progress.tick(left, { failed: true });
      }
    }, ctx.signal);
  } catch (error) {
    progress.done();
    if (ctx.signal.aborted) {
      throw interruptedError(
        `the finished requests are saved in the completion cache, "${options.output}" is ` +
          `unchanged`,
      );
    }
    throw error;
  }
  progress.done();

  const done = results.filter((r): r is LogResult => r !== undefined);
  const samples = done.flatMap((r) => r.samples);
  const invalid = done.flatMap((r) => r.invalid);
  for (const bad of invalid) {
    logger.warn(
      `A ${bad.source} sample of "${bad.log}" at event ${bad.event} is not valid for ` +
        `LLaMA-Factory (${bad.problem}): not written`,
    );
  }
  const bySource: Record<SampleSource, number> = { logged: 0, replay: 0, proposal: 0 };
  for (const sample of samples) bySource[sample.source]++;
  const sum = (pick: (r: LogResult) => number) => done.reduce((n, r) => n + pick(r), 0);

  const roleCard = (role: "agent" | "reward", version: string): RoleCard => ({
    model: options.llm.endpoints[role]!.model,
    alias: options.llm.endpoints[role]!.alias,
    prompt_version: version,
    // The answers the dataset rests on and their tokens as reported when they were made
    // (the same when replayed from the cache); what was sent now is printed at the end.
    llm: usage[role],
  });
  const card: DatasetCard = {
    dataset: options.output,
    dataset_name: name,
    format: options.format,
    generated_at: new Date(ctx.now()).toISOString(),
    command: cardCommand("agent-trainset", args),
    inputs: await Promise.all(logs.map(cardInput)),
    roles: {
      agent: roleCard("agent", AGENT_PROMPT_VERSION),
      reward: roleCard("reward", REWARD_PROMPT_VERSION),
    },
    prompt_set: llm.prompts.id,
    seed: seeds.size === 0 ? null : [...seeds].sort((a, b) => a - b).join(", "),
    settings: {
      max_trials: options.maxTrials,
      max_chars: options.maxChars,
      max_assistant_chars: options.maxAssistantChars,
      limit: options.llm.limit ?? null,
    },
    counts: {
      logs: logs.length,
      logs_per_format: logsPerFormat(read),
      incomplete_logs_skipped: found.incomplete.length,
      failed_logs: found.unreadable.length + failures.filter(Boolean).length,
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
      const info = await mergedDatasetInfo(options.datasetInfo, name, entry);
      await writeFilesAtomic([
        { path: options.output, chunks: datasetChunks(samples, options.format) },
        { path: options.datasetInfo, chunks: [encoder.encode(info)] },
        ...cards,
      ]);
    });
  }
  return {
    card,
    samples: samples.length,
    failures: [...found.unreadable, ...failures.filter(Boolean)],
    invalid,
    incomplete: found.incomplete,
    stats: llm.stats.formatStats(),
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
