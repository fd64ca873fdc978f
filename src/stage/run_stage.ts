/**
 * One outline for every LLM stage (`reward`, `scenes`, `datagen`, `agent-trainset`,
 * `traces`): `runStage` owns what they share, and a stage is its named phases.
 *
 * 1. `before` (optional): checks that need no lock (an `--out` that is a folder, …).
 * 2. The outputs' folders are created and their locks taken (`withOutputLocks`), so two
 *    runs on one output never interleave their writes; held until the stage ends.
 * 3. `read`: read the inputs and match what an earlier run already did; its `total` sizes
 *    the progress bar.
 * 4. The clock's start, the progress bar (a bar on a terminal, plain lines in cron logs),
 *    the logger above it and the LLM runtime are made: the `StageTools` of the phases.
 * 5. `work`: the requests. When it throws, the bar is closed and `stopped` saves what it
 *    can and says what is kept: an interruption (Ctrl-C, SIGTERM) becomes
 *    `Interrupted: <kept>`, an expected failure gets `(<kept>)` when `keptOnFailure`.
 * 6. `finish`: summarise (the accounting is `tools.llm.stats`) and write the outputs.
 *
 * @example
 * ```ts
 * return await runStage({
 *   name: "scenes",
 *   outputs: [{ path: options.out, kind: "file" }],
 *   llm: { options: options.llm },
 *   read: async () => ({ total: seeds.length, seeds }),
 *   work: (read, tools) => buildScenes(read.seeds, …),
 *   stopped: async () => ({ kept: "the scenes done are saved" }),
 *   finish: async (read, built, tools) => ({ …, stats: tools.llm.stats.formatStats() }),
 * }, ctx);
 * ```
 *
 * @module
 */
import type { CommandContext } from "../cli/command.ts";
import { describeError, inputError, ProactiveError, runtimeError } from "../cli/errors.ts";
import type { Logger } from "../cli/logger.ts";
import type { LlmOptions } from "../llm/llm_config.ts";
import { createLlmRuntime, type LlmRuntime, type LlmRuntimeDeps } from "../llm/llm_runtime.ts";
import type { CompletionCache } from "../llm/completion_cache.ts";
import { openSharedCache } from "./shared_cache.ts";
import { createCommandProgress, loggerAboveProgress, type Progress } from "../llm/progress.ts";
import { type LockedOutput, withOutputLocks } from "../store/output_lock.ts";
import type { BusyPolicy } from "../store/process_lock.ts";
import { dirname } from "node:path";

/** What a stage's run gets from its command. */
export type StageContext = Pick<
  CommandContext,
  "logger" | "stderr" | "isTerminal" | "now" | "signal"
>;

/** What the phases after `read` share. */
export interface StageTools {
  /** The logger above the progress bar: use it, not the command's, while the bar shows. */
  logger: Logger;
  progress: Progress;
  llm: LlmRuntime;
  signal: AbortSignal;
  now: () => number;
  /** The clock's reading when the stage started (before `read`). */
  startedAt: number;
}

/** What `read` gets: the command's logger (no bar yet), the signal and the clock. */
export type ReadTools = Pick<StageTools, "logger" | "signal" | "now" | "startedAt">;

/** What a stopped `work` leaves behind, in a sentence ("3 of 5 traces are saved in …"). */
export interface StopNote {
  kept: string;
  /** Also add the sentence to an expected failure's message (default: interruptions only). */
  keptOnFailure?: boolean;
}

/** A stage as its phases; `R` is what `read` found, `W` what `work` did, `T` the result. */
export interface StageOutline<R extends { total: number }, W, T> {
  /** The command's name: the locks name `proactive <name>`, the bar is labelled with it. */
  name: string;
  /** The label of the progress bar (default: `name`). */
  progressLabel?: string;
  /** The files and folders the stage writes, locked for its whole run. Default: none. */
  outputs?: readonly LockedOutput[];
  /** When another run holds an output: exit naming it, or wait (`--wait`). */
  onBusy?: BusyPolicy;
  llm: {
    options: LlmOptions;
    /** A runtime made elsewhere (tests, datagen's entry points) instead of one from `options`. */
    runtime?: LlmRuntime;
    /** Told of every change of the accounting, once `read` is done (a usage journal). */
    onUsage?: (read: R) => LlmRuntimeDeps["onUsage"];
    /** A completion cache found by `read` (a shared one) instead of `--cache-dir`'s. */
    cache?: (read: R) => LlmRuntimeDeps["cache"];
  };
  before?(): Promise<void>;
  read(tools: ReadTools): Promise<R>;
  work(read: R, tools: StageTools): Promise<W>;
  /** Saves what a stopped `work` leaves and says what is kept. Default: nothing to add. */
  stopped?(read: R, tools: StageTools): Promise<StopNote | undefined>;
  finish(read: R, worked: W, tools: StageTools): Promise<T>;
}

/** Runs a stage's phases in the outline's order (see the module doc). */
export async function runStage<R extends { total: number }, W, T>(
  outline: StageOutline<R, W, T>,
  ctx: StageContext,
): Promise<T> {
  await outline.before?.();
  const outputs = outline.outputs ?? [];
  if (outputs.length === 0) return await runPhases(outline, ctx);
  await createOutputFolders(outputs);
  return await withOutputLocks(
    outputs,
    {
      command: `proactive ${outline.name}`,
      onBusy: outline.onBusy,
      signal: ctx.signal,
      logger: ctx.logger,
    },
    () => runPhases(outline, ctx),
  );
}

async function runPhases<R extends { total: number }, W, T>(
  outline: StageOutline<R, W, T>,
  ctx: StageContext,
): Promise<T> {
  const { signal, now } = ctx;
  const startedAt = now();
  const read = await outline.read({ logger: ctx.logger, signal, now, startedAt });
  const cache = outline.llm.cache?.(read);
  // --db: the shared completion cache, unless the stage brings its own runtime or cache.
  const shared = outline.llm.runtime || cache
    ? undefined
    : await openSharedCache(outline.llm.options);
  try {
    return await runWork(outline, ctx, { read, startedAt, cache: cache ?? shared?.cache });
  } finally {
    await shared?.close();
  }
}

async function runWork<R extends { total: number }, W, T>(
  outline: StageOutline<R, W, T>,
  ctx: StageContext,
  { read, startedAt, cache }: { read: R; startedAt: number; cache?: CompletionCache },
): Promise<T> {
  const { signal, now } = ctx;
  const progress = createCommandProgress(ctx, read.total, outline.progressLabel ?? outline.name);
  const logger = loggerAboveProgress(ctx.logger, progress);
  const llm = outline.llm.runtime ??
    createLlmRuntime(outline.llm.options, {
      logger,
      signal,
      now,
      onUsage: outline.llm.onUsage?.(read),
      cache,
    });
  const tools: StageTools = { logger, progress, llm, signal, now, startedAt };
  let worked: W;
  try {
    worked = await outline.work(read, tools);
  } catch (error) {
    progress.done();
    const note = await outline.stopped?.(read, tools);
    throw stoppedError(error, signal, note);
  }
  progress.done();
  return await outline.finish(read, worked, tools);
}

/** The error a stopped stage ends with: see the module doc. */
function stoppedError(
  error: unknown,
  signal: AbortSignal,
  note: StopNote | undefined,
): unknown {
  if (note === undefined) return error;
  if (signal.aborted) return runtimeError(`Interrupted: ${note.kept}`);
  if (note.keptOnFailure && error instanceof ProactiveError) {
    return new ProactiveError(error.kind, `${error.message} (${note.kept})`, { cause: error });
  }
  return error;
}

/** The folder of each output: the folder itself, or a file's parent. */
async function createOutputFolders(outputs: readonly LockedOutput[]): Promise<void> {
  for (const output of outputs) {
    const dir = output.kind === "folder" ? output.path : dirname(output.path);
    try {
      await Deno.mkdir(dir, { recursive: true });
    } catch (error) {
      throw inputError(`Cannot create the output folder "${dir}": ${describeError(error)}`);
    }
  }
}
