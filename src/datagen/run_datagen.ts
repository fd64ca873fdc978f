/**
 * `proactive datagen` from options to logs: find the scenes, and play up to `concurrency`
 * of them at once. Each scene: skipped when its log is complete (unless `force`), leased
 * (skipped when another run holds it), played by the scene runner into `<log>.partial`,
 * renamed when complete, and released. A failed scene keeps its partial log, its reason and
 * its counts so far; the others go on. A failed (or interrupted) `--force` re-run of a
 * complete scene keeps the previous complete log and removes its partial one. Ctrl-C stops starting scenes, aborts the running ones and releases
 * their leases. The summary is printed by the command and written beside the logs.
 */
import { join } from "node:path";
import { describeError, runtimeError } from "../cli/errors.ts";
import type { Logger } from "../cli/logger.ts";
import { SceneFailure, type SceneRunner, type SceneRunOptions } from "../gym/gym_types.ts";
import { promptsOf } from "../prompts/prompt_set.ts";
import { holdLease } from "../store/lease_holder.ts";
import { isCompleteLog, type LogFormat } from "../gym/log_writer.ts";
import { playIntoLog, ScenePlayError } from "./play_scene.ts";
import type { LlmOptions } from "../llm/llm_config.ts";
import type { LlmRuntime } from "../llm/llm_runtime.ts";
import { runStage, type StageContext, type StageTools } from "../stage/run_stage.ts";
import { runWorkerPool } from "../stage/worker_pool.ts";
import { writeJsonAtomic } from "../store/atomic_write.ts";
import { openKvLeaseStore } from "../store/kv_lease_store.ts";
import { abandonedOnThisHost, leaseOwnerName, type LeaseStore } from "../store/lease_store.ts";
import { lockOutputs, type OutputLocks } from "../store/output_lock.ts";
import { describeOwner, LockBusyError } from "../store/process_lock.ts";
import {
  costOf,
  countScenes,
  type DatagenSummary,
  formatSceneLine,
  type SceneReport,
  SUMMARY_FILE,
  sumScenes,
} from "./datagen_summary.ts";
import { findScenes, type FoundScene } from "./find_scenes.ts";

export interface DatagenOptions {
  /** Folder of `scene_*.yaml` (used without `sceneFile`). */
  scenesDir: string;
  sceneFile?: string;
  /** Default: the scenes' folder (or the scene list's). */
  outDir?: string;
  /** Lease store; default `<outDir>/.state/datagen.kv`. */
  kv?: string;
  force: boolean;
  /** Scenes played at once. */
  concurrency: number;
  leaseTtlMs: number;
  scene: SceneRunOptions;
  llm: LlmOptions;
  /**
   * `--log-format` / the config's `log_format`; absent: "reference" under a prompt set
   * with protocol: reference, else "proactive".
   */
  logFormat?: LogFormat;
}

/** The log format a run writes (see `DatagenOptions.logFormat`). */
export function logFormatOf(options: DatagenOptions): LogFormat {
  return options.logFormat ??
    (promptsOf(options.llm).protocol === "reference" ? "reference" : "proactive");
}

export interface DatagenDeps {
  runner: SceneRunner;
  /** Names this run in leases (default: host, pid and a random id). */
  owner?: string;
  openLeaseStore?: (path: string) => Promise<LeaseStore>;
  /** The LLM layer (default: built from `options.llm`). */
  llm?: LlmRuntime;
}

export interface DatagenResult {
  summary: DatagenSummary;
  /** The accounting block printed at the end. */
  stats: string;
  /** True when the run was stopped by its signal. */
  interrupted: boolean;
}

export const DEFAULT_KV = join(".state", "datagen.kv");

/** What the read phase found: the scenes to play and where their leases are. */
interface DatagenRead {
  total: number;
  found: Awaited<ReturnType<typeof findScenes>>;
  candidates: FoundScene[];
  outDir: string;
  kvPath: string;
  owner: string;
  store: LeaseStore;
  /** Each scene's report; "interrupted" until it is played. */
  reports: SceneReport[];
}

/** `proactive datagen` as the stage outline's phases (`stage/run_stage.ts`). */
export function runDatagen(
  options: DatagenOptions,
  ctx: StageContext,
  deps: DatagenDeps,
): Promise<DatagenResult> {
  return runStage<DatagenRead, boolean, DatagenResult>({
    name: "datagen",
    // No output lock: every scene is leased (see `lease.ts`), so runs can share the work.
    llm: { options: options.llm, runtime: deps.llm },
    read: (tools) => findSceneJobs(options, deps, tools.logger),
    work: (read, tools) => playScenes(options, read, { tools, deps }),
    async finish(read, interrupted, tools) {
      const summary = datagenSummary(options, read, tools);
      await writeJsonAtomic(join(read.outDir, SUMMARY_FILE), summary);
      return { summary, stats: tools.llm.stats.formatStats(), interrupted };
    },
  }, ctx);
}

/** The scenes (up to `--limit`), the output folder and the lease store. */
async function findSceneJobs(
  options: DatagenOptions,
  deps: DatagenDeps,
  logger: Logger,
): Promise<DatagenRead> {
  const found = await findScenes(options);
  for (const warning of found.warnings) logger.warn(warning);
  const candidates = found.scenes.slice(0, options.llm.limit ?? found.scenes.length);
  const outDir = found.outDir;
  try {
    await Deno.mkdir(outDir, { recursive: true });
  } catch (error) {
    throw runtimeError(
      `Cannot create the output folder "${outDir}": ${describeError(error, outDir)}`,
    );
  }
  const kvPath = options.kv ?? join(outDir, DEFAULT_KV);
  const store = await (deps.openLeaseStore ?? ((path) => openKvLeaseStore(path)))(kvPath);
  const reports: SceneReport[] = candidates.map((scene) => ({
    name: scene.name,
    log: scene.job?.logPath ?? join(outDir, `${scene.name}.jsonl`),
    status: "interrupted",
    reason: "not started: the run was interrupted",
  }));
  const owner = deps.owner ?? leaseOwnerName();
  return { total: candidates.length, found, candidates, outDir, kvPath, owner, store, reports };
}

/** Plays the scenes, `--concurrency` at once; resolves to true when interrupted. */
async function playScenes(
  options: DatagenOptions,
  read: DatagenRead,
  { tools, deps }: { tools: StageTools; deps: DatagenDeps },
): Promise<boolean> {
  const { candidates, reports, store } = read;
  const { logger, progress } = tools;
  logger.info(
    `datagen: ${candidates.length} scene(s) in "${read.outDir}"` +
      (candidates.length < read.found.scenes.length
        ? ` (first ${candidates.length} by --limit)`
        : "") +
      `, ${options.concurrency} at once, leases in "${read.kvPath}"`,
  );
  const play = async (index: number, signal: AbortSignal) => {
    const report = await playSceneJob(candidates[index], reports[index], {
      options,
      store,
      owner: read.owner,
      llm: tools.llm,
      logger,
      runner: deps.runner,
      signal,
      interrupted: () => tools.signal.aborted,
      now: tools.now,
    });
    reports[index] = report;
    // Complete logs are skipped quietly: a cron job would repeat them on every run.
    const level = report.status === "failed"
      ? "error"
      : report.status === "complete"
      ? "debug"
      : "info";
    logger[level](formatSceneLine(report).trim());
    progress.tick(1, { failed: report.status === "failed" });
  };
  try {
    await runWorkerPool(candidates.length, options.concurrency, play, tools.signal);
    return false;
  } catch (error) {
    if (!tools.signal.aborted) throw error; // a bug: playSceneJob catches scene failures
    return true;
  } finally {
    store.close();
  }
}

function datagenSummary(
  options: DatagenOptions,
  read: DatagenRead,
  tools: StageTools,
): DatagenSummary {
  return buildDatagenSummary(options, {
    input: options.sceneFile !== undefined
      ? { sceneFile: options.sceneFile }
      : { scenesDir: options.scenesDir },
    outDir: read.outDir,
    kv: read.kvPath,
    owner: read.owner,
    reports: read.reports,
    dropped: read.found.warnings,
  }, tools);
}

/** What a run reports besides its settings, counts and accounting. */
export type RunFacts = Pick<DatagenSummary, "input" | "outDir" | "kv" | "owner" | "dropped"> & {
  reports: SceneReport[];
};

/** The summary of a run: a local one (`datagenSummary`) or a shared run's worker. */
export function buildDatagenSummary(
  options: DatagenOptions,
  { reports, ...facts }: RunFacts,
  tools: StageTools,
): DatagenSummary {
  return {
    command: "datagen",
    input: facts.input,
    outDir: facts.outDir,
    kv: facts.kv,
    owner: facts.owner,
    promptSet: tools.llm.prompts.label,
    settings: {
      ...options.scene,
      force: options.force,
      limit: options.llm.limit ?? null,
      concurrency: options.concurrency,
      logFormat: logFormatOf(options),
    },
    counts: countScenes(reports),
    totals: sumScenes(reports),
    cost: costOf(reports),
    scenes: reports,
    dropped: facts.dropped,
    llm: tools.llm.stats.toJSON(),
    startedAt: new Date(tools.startedAt).toISOString(),
    durationMs: tools.now() - tools.startedAt,
  };
}

interface PlayDeps {
  options: DatagenOptions;
  store: LeaseStore;
  owner: string;
  llm: LlmRuntime;
  logger: Logger;
  runner: SceneRunner;
  /** The pool's signal: aborted on Ctrl-C. */
  signal: AbortSignal;
  interrupted: () => boolean;
  now: () => number;
}

/** One scene, from its checks to its released lease; never throws. */
async function playSceneJob(
  scene: FoundScene,
  pending: SceneReport,
  deps: PlayDeps,
): Promise<SceneReport> {
  const base = { name: scene.name, log: pending.log };
  if (!scene.job) return { ...base, status: "failed", reason: scene.error };
  const job = scene.job;
  const started = deps.now();
  const failed = (error: unknown, note = ""): SceneReport => {
    if (deps.interrupted()) return { ...base, status: "interrupted", reason: `interrupted${note}` };
    return {
      ...base,
      status: "failed",
      reason: describeError(error) + note,
      // What the scene did (and cost) before it failed.
      ...(error instanceof SceneFailure ? { summary: error.summary } : {}),
      durationMs: deps.now() - started,
    };
  };
  try {
    if (!deps.options.force && await isCompleteLog(job.logPath)) {
      return { ...base, status: "complete" };
    }
    if (deps.signal.aborted) return pending;
    const held = await holdLease(deps.store, job.name, deps.owner, {
      ttlMs: deps.options.leaseTtlMs,
      now: deps.now,
      logger: deps.logger,
      // A lease left by a run killed on this host is taken over at once, not at expiry.
      isAbandoned: abandonedOnThisHost(),
    });
    if (!held) {
      const holder = await deps.store.holder(job.name).catch(() => undefined);
      return {
        ...base,
        status: "taken",
        reason: `taken by another run${holder ? ` (${holder.owner})` : ""}`,
      };
    }
    let logLock: OutputLocks | undefined;
    try {
      // The log's own lock: runs with different lease stores never write one log together.
      try {
        logLock = await lockOutputs([{ path: job.logPath, kind: "file", what: "The log" }], {
          command: "proactive datagen",
          onBusy: "fail",
        });
      } catch (error) {
        if (!(error instanceof LockBusyError)) throw error;
        const by = error.owner ? ` (${describeOwner(error.owner)})` : "";
        return { ...base, status: "taken", reason: `being written by another run${by}` };
      }
      // Another run may have finished it between the first look and the lease.
      if (!deps.options.force && await isCompleteLog(job.logPath)) {
        return { ...base, status: "complete" };
      }
      const signal = AbortSignal.any([deps.signal, held.signal]);
      try {
        const summary = await playIntoLog(job, { ...deps, signal });
        return { ...base, status: "done", summary, durationMs: deps.now() - started };
      } catch (error) {
        const played = error instanceof ScenePlayError ? error : undefined;
        const cause = held.signal.aborted ? held.signal.reason : played?.cause ?? error;
        // A forced re-run of a complete scene that fails keeps the previous complete log;
        // its partial log goes, or it would lie beside the complete one for good (later
        // runs skip the scene).
        if (deps.options.force && await isCompleteLog(job.logPath)) {
          if (played) await Deno.remove(played.partialPath).catch(() => {});
          return failed(cause, "; the previous complete log kept");
        }
        return failed(cause);
      }
    } finally {
      logLock?.release();
      await held.release();
    }
  } catch (error) {
    return failed(error);
  }
}
