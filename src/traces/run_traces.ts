/**
 * `proactive traces` from options to files: find the complete gym logs, build each log's
 * trace (`buildLogTrace`; several logs at once, within the endpoint's limit), write each
 * trace atomically as `<out>/<log stem>.json` as soon as it is done, then `splits.json`.
 * A log whose trace is already in `--out` with one turn per event is skipped, so an
 * interrupted run continues where it stopped (and finished requests come from the cache).
 * A log whose trace file would be another output or another log's trace is refused
 * (`trace_names.ts`).
 */
import type { PromptSetLabel } from "../prompts/prompt_set.ts";
import { basename, join } from "node:path";
import { describeError, inputError } from "../cli/errors.ts";
import type { Logger } from "../cli/logger.ts";
import { findGymLogs, type FoundLogs, reportSkippedLogs } from "../gym/find_gym_logs.ts";
import { type GymLog, readGymLog } from "../gym/read_gym_log.ts";
import { isValidTraceName, parseTraceText } from "../formats/trace.ts";
import type { LlmOptions } from "../llm/llm_config.ts";
import { runWorkerPool } from "../stage/worker_pool.ts";
import { writeJsonAtomic } from "../store/atomic_write.ts";
import { runStage, type StageContext, type StageTools } from "../stage/run_stage.ts";
import type { BusyPolicy } from "../store/process_lock.ts";
import { readInputText } from "../store/read_input.ts";
import { buildLogTrace } from "./log_trace.ts";
import { refusedTraceNames } from "./trace_names.ts";
import { type SplitEntry, traceSplits } from "./trace_splits.ts";

export interface TracesOptions {
  logs: string;
  out: string;
  candidates: number;
  year: number;
  /** When another run writes the same folder: exit naming it, or wait (`--wait`). */
  onBusy?: BusyPolicy;
  llm: LlmOptions;
}

export interface TracesResult {
  written: string[];
  skipped: string[];
  failures: { log: string; error: string }[];
  incomplete: string[];
  /** Logs read, by encoding (proactive's, the reference's). */
  formats: { proactive: number; reference: number };
  turns: number;
  /** Written traces where no turn has a candidate task (`serve` skips them). */
  withoutQuestion: string[];
  splitsPath: string;
  /** The prompt set the candidates were asked with. */
  promptSet?: PromptSetLabel;
  stats: string;
}

/** True when `path` holds a trace with `turns` turns. */
async function isDone(path: string, turns: number): Promise<boolean> {
  let text: string;
  try {
    text = await readInputText(path, { noFollow: true });
  } catch {
    return false;
  }
  try {
    return parseTraceText(text, path).length === turns;
  } catch {
    return false;
  }
}

/** What the read phase found: the logs to turn into traces, and what is done already. */
interface TracesRead {
  /** Turns to ask for. */
  total: number;
  todo: { log: GymLog; target: string }[];
  /** The split entries of the traces already complete. */
  entries: SplitEntry[];
  result: TracesResult;
}

/** `proactive traces` as the stage outline's phases (`stage/run_stage.ts`). */
export function runTraces(options: TracesOptions, ctx: StageContext): Promise<TracesResult> {
  return runStage({
    name: "traces",
    progressLabel: "traces turns",
    outputs: [{ path: options.out, kind: "folder", what: `The traces folder "${options.out}"` }],
    onBusy: options.onBusy,
    llm: { options: options.llm },
    read: (tools) => readLogs(options, tools.logger),
    work: (read, tools) => buildTraces(options, read, tools),
    stopped: () =>
      Promise.resolve({
        kept: `the finished traces are in "${options.out}"; run the same command again to ` +
          `continue (finished requests come from the completion cache)`,
      }),
    async finish(read, done, tools) {
      const entries = [...read.entries, ...done.filter((e): e is SplitEntry => e !== undefined)];
      await writeJsonAtomic(read.result.splitsPath, traceSplits(entries), 4);
      return {
        ...read.result,
        stats: tools.llm.stats.formatStats(),
        promptSet: tools.llm.prompts.label,
      };
    },
  }, ctx);
}

/** The complete logs, read; those whose trace is already complete are set aside. */
async function readLogs(options: TracesOptions, logger: Logger): Promise<TracesRead> {
  const found = await findGymLogs(options.logs, []);
  reportSkippedLogs(found, logger);
  const paths = found.complete.slice(0, options.llm.limit ?? found.complete.length);
  const result = emptyResult(options, found);
  const read: TracesRead = { total: 0, todo: [], entries: [], result };
  // Over every complete log, so that what is refused does not depend on --limit.
  const refused = refusedTraceNames(found.complete, options.out);
  for (const path of paths) {
    const refusal = refused.get(path);
    if (refusal !== undefined) {
      result.failures.push({ log: path, error: refusal });
      logger.error(`Cannot make a trace of the gym log "${path}": ${refusal}`);
      continue;
    }
    const log = await readTraceableLog(path, result, logger);
    if (log === undefined) continue;
    result.formats[log.format]++;
    const target = join(options.out, `${log.name}.json`);
    if (await isDone(target, log.events.length)) {
      result.skipped.push(target);
      read.entries.push({ file: `${log.name}.json`, theme: log.theme });
    } else {
      read.todo.push({ log, target });
    }
  }
  read.total = read.todo.reduce((n, t) => n + t.log.events.length, 0);
  return read;
}

function emptyResult(options: TracesOptions, found: FoundLogs): TracesResult {
  return {
    written: [],
    skipped: [],
    failures: [...found.unreadable],
    incomplete: found.incomplete,
    formats: { proactive: 0, reference: 0 },
    turns: 0,
    withoutQuestion: [],
    splitsPath: join(options.out, "splits.json"),
    stats: "",
  };
}

/** The log at `path` when it can be read and names a trace; else its failure is noted. */
async function readTraceableLog(
  path: string,
  result: TracesResult,
  logger: Logger,
): Promise<GymLog | undefined> {
  try {
    const log = await readGymLog(path);
    if (!isValidTraceName(log.name)) {
      throw inputError(
        `its name "${log.name}" is not a valid trace name (letters, digits, "_", "-", "." only)`,
      );
    }
    return log;
  } catch (error) {
    result.failures.push({ log: path, error: describeError(error) });
    logger.error(`Cannot read the gym log "${path}": ${describeError(error)}`);
    return undefined;
  }
}

/** Asks for every turn of the logs to do; each trace is written as it is done. */
async function buildTraces(
  options: TracesOptions,
  { todo, result }: TracesRead,
  { llm, logger, progress, signal: stageSignal }: StageTools,
): Promise<(SplitEntry | undefined)[]> {
  const agent = llm.client("agent");
  if (todo.length > 0) logger.info(`traces: ${todo.length} gym log(s) to turn into traces`);
  const done: (SplitEntry | undefined)[] = new Array(todo.length);
  // Every turn of a log is asked at once; a few logs at once keep the endpoint busy.
  const workers = Math.max(1, Math.ceil(agent.limiter.limit / 4));
  await runWorkerPool(todo.length, workers, async (index, signal) => {
    const { log, target } = todo[index];
    let ticked = 0;
    try {
      const trace = await buildLogTrace(log, {
        agent,
        prompts: llm.prompts,
        candidates: options.candidates,
        year: options.year,
        signal,
        onTurn: () => {
          ticked++;
          progress.tick();
        },
      });
      await writeJsonAtomic(target, trace, 4);
      result.written.push(target);
      result.turns += trace.length;
      if (trace.every((turn) => turn.agent_response.candidate_task.length === 0)) {
        result.withoutQuestion.push(target);
        logger.warn(
          `No turn of "${log.path}" got a candidate task: "${target}" has no question, and ` +
            `serve skips it`,
        );
      }
      done[index] = { file: `${log.name}.json`, theme: log.theme };
    } catch (error) {
      if (signal.aborted || stageSignal.aborted) throw error;
      const reason = describeError(error);
      result.failures.push({ log: log.path, error: reason });
      logger.error(`Cannot build the trace of "${log.path}": ${reason}`);
      const left = log.events.length - ticked;
      if (left > 0) progress.tick(left, { failed: true });
    }
  }, stageSignal);
  return done;
}

/** The report printed at the end of a run. */
export function formatTracesReport(result: TracesResult): string {
  const lines = [
    `traces: ${result.written.length} trace(s) written (${result.turns} turns), ` +
    `${result.skipped.length} already complete, splits in "${result.splitsPath}"` +
    ` (logs read: ${result.formats.proactive} proactive, ${result.formats.reference} reference)` +
    (result.promptSet
      ? ` (prompt set ${result.promptSet.name} ${result.promptSet.hash.slice(0, 12)})`
      : ""),
  ];
  if (result.incomplete.length > 0) {
    lines.push(
      `  incomplete logs skipped: ${result.incomplete.map((p) => basename(p)).join(", ")}`,
    );
  }
  if (result.withoutQuestion.length > 0) {
    lines.push(
      `  without a question (serve skips them): ${
        result.withoutQuestion.map((p) => basename(p)).join(", ")
      }`,
    );
  }
  for (const failure of result.failures) {
    lines.push(`  failed log: ${failure.log}: ${failure.error}`);
  }
  return lines.join("\n") + "\n" + result.stats;
}
