/**
 * `proactive datagen --db …`: scenes shared through the work store (`store/work_store.ts`)
 * by workers on any number of machines.
 *
 * - `enqueueScenes` (`--enqueue`): the scenes found as usual (`--scenes-dir`,
 *   `--scene-file`) are registered by name, not played; one machine plans, many run.
 * - `runSharedDatagen` (`--worker`, or after enqueueing without `--enqueue`): `--concurrency`
 *   slots each claim the next scene, play it into the worker's `--out-dir` (renewing the
 *   lease while it plays), and store the complete log with the scene (fenced: a worker whose
 *   lease was taken over stores nothing). A failed scene is retried by whichever worker
 *   claims it next, up to `--max-scene-attempts`; an interrupted one is given back. A slot
 *   stops when nothing is pending; while other workers still hold leases (one of them may
 *   have died) it waits and looks again. The LLM answers come from and go to the store's
 *   completion cache, so no request is paid twice across workers.
 * - The database going away: every store call is retried with backoff (`withStoreRetry`)
 *   for up to `--db-timeout`, then the worker stops with an error; a scene whose lease
 *   cannot be renewed meanwhile is abandoned before its lease runs out.
 *
 * @module
 */
import { basename, join } from "node:path";
import { describeError, runtimeError } from "../cli/errors.ts";
import { parseSceneConfig, type SceneConfig } from "../formats/scene.ts";
import type { SceneJob, SceneRunner } from "../gym/gym_types.ts";
import type { CompletionCache } from "../llm/completion_cache.ts";
import type { LlmRuntime } from "../llm/llm_runtime.ts";
import { abortableSleep } from "../llm/retry_policy.ts";
import { runStage, type StageContext, type StageTools } from "../stage/run_stage.ts";
import { writeJsonAtomic } from "../store/atomic_write.ts";
import { leaseOwnerName } from "../store/lease_store.ts";
import type { RunAccount, SceneClaim, SceneToEnqueue, WorkStore } from "../store/work_store.ts";
import {
  type DatagenSummary,
  formatSceneLine,
  type SceneReport,
  SUMMARY_FILE,
} from "./datagen_summary.ts";
import { findScenes, type SceneInput } from "./find_scenes.ts";
import { playIntoLog, ScenePlayError } from "./play_scene.ts";
import { buildDatagenSummary, type DatagenOptions } from "./run_datagen.ts";
import { holdClaim, type StoreRetry, withStoreRetry } from "./store_retry.ts";

/** What `--db` adds to a datagen run. */
export interface SharedOptions {
  /** `--max-scene-attempts` (3). */
  maxSceneAttempts: number;
  /** `--retry-failed`: failed scenes become pending again first. */
  retryFailed: boolean;
  /** `--db-timeout`: how long the database may be unreachable before the worker stops. */
  dbTimeoutMs: number;
  /** How long an idle slot waits before looking again while others hold leases. */
  pollMs?: number;
}

/** A scene as the store keeps it: its name, its log's file name and its configuration. */
interface ScenePayload {
  name: string;
  log: string;
  config: SceneConfig;
}

/** Registers the scenes found (valid ones) in the store; the others are returned as warnings. */
export async function enqueueScenes(
  options: SceneInput & { limit?: number },
  store: WorkStore,
): Promise<{ added: number; known: number; skipped: string[] }> {
  const found = await findScenes(options);
  const skipped = [...found.warnings];
  const scenes: SceneToEnqueue[] = [];
  for (const scene of found.scenes.slice(0, options.limit ?? found.scenes.length)) {
    if (!scene.job) {
      skipped.push(`${scene.name}: ${scene.error}`);
      continue;
    }
    const payload: ScenePayload = {
      name: scene.job.name,
      log: basename(scene.job.logPath),
      config: scene.job.config,
    };
    scenes.push({ key: scene.job.name, payload: JSON.stringify(payload) });
  }
  const { added, known } = await store.scenes.enqueue(scenes);
  return { added, known, skipped };
}

export interface SharedDatagenDeps {
  runner: SceneRunner;
  store: WorkStore;
  owner?: string;
  llm?: LlmRuntime;
}

interface SharedRead {
  /** How store calls wait for an unreachable database. */
  retry: StoreRetry;
  total: number;
  outDir: string;
  owner: string;
  reports: SceneReport[];
  /** The worker's calls to the store (claims, completions, …) and their time. */
  coordination: { calls: number; ms: number };
}

/** Plays scenes of the store until none is left (see the module doc). */
export function runSharedDatagen(
  options: DatagenOptions & { outDir: string },
  shared: SharedOptions,
  ctx: StageContext,
  deps: SharedDatagenDeps,
): Promise<{ summary: DatagenSummary; stats: string; interrupted: boolean }> {
  const { store } = deps;
  return runStage<
    SharedRead,
    boolean,
    { summary: DatagenSummary; stats: string; interrupted: boolean }
  >({
    name: "datagen",
    llm: {
      options: options.llm,
      runtime: deps.llm,
      cache: (read) => patientCache(store.completions, read.retry),
    },
    async read(tools) {
      await Deno.mkdir(options.outDir, { recursive: true }).catch((error) => {
        throw runtimeError(
          `Cannot create the output folder "${options.outDir}": ${describeError(error)}`,
        );
      });
      const coordination = { calls: 0, ms: 0 };
      const retry: StoreRetry = {
        timeoutMs: shared.dbTimeoutMs,
        where: store.where,
        logger: tools.logger,
        signal: tools.signal,
        timing: coordination,
      };
      if (shared.retryFailed) await withStoreRetry(() => store.scenes.retryFailed(), retry);
      const rows = await withStoreRetry(() => store.scenes.list(), retry);
      return {
        retry,
        total: rows.filter((s) => s.status === "pending").length,
        outDir: options.outDir,
        owner: deps.owner ?? leaseOwnerName(),
        reports: [],
        coordination,
      };
    },
    work: (read, tools) => work(options, shared, { read, tools, deps }),
    async finish(read, interrupted, tools) {
      const summary = sharedSummary(options, read, tools, store.where);
      await writeJsonAtomic(join(read.outDir, SUMMARY_FILE), summary);
      await withStoreRetry(() => store.runs.record(accountOf(summary, tools.now())), read.retry)
        .catch((error) => tools.logger.warn(`Cannot record this run's accounting: ${error}`));
      return { summary, stats: tools.llm.stats.formatStats(), interrupted };
    },
  }, ctx);
}

interface WorkDeps {
  read: SharedRead;
  tools: StageTools;
  deps: SharedDatagenDeps;
}

/** Runs `--concurrency` slots; resolves to true when interrupted. */
async function work(
  options: DatagenOptions & { outDir: string },
  shared: SharedOptions,
  { read, tools, deps }: WorkDeps,
): Promise<boolean> {
  const { logger } = tools;
  // The stage's logger (above the progress bar) from here on.
  const retry: StoreRetry = { ...read.retry, logger };
  logger.info(
    `datagen: worker ${read.owner} on ${deps.store.where}, ${options.concurrency} scene(s) at ` +
      `once, logs in "${read.outDir}"`,
  );
  const slot = async () => {
    for (;;) {
      if (tools.signal.aborted) return;
      const claim = await withStoreRetry(
        () =>
          deps.store.scenes.claim(read.owner, {
            ttlMs: options.leaseTtlMs,
            maxAttempts: shared.maxSceneAttempts,
          }),
        retry,
      );
      if (!claim) {
        if (!await othersAtWork(deps.store, retry)) return;
        // An abort ends the wait; the loop's check then stops the slot.
        await abortableSleep(shared.pollMs ?? 1_000, tools.signal).catch(() => {});
        continue;
      }
      const report = await playClaim(claim, {
        options,
        shared,
        tools,
        deps,
        retry,
        outDir: read.outDir,
      });
      read.reports.push(report);
      logger[report.status === "failed" ? "error" : "info"](formatSceneLine(report).trim());
      tools.progress.tick(1, { failed: report.status === "failed" });
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, slot));
  return tools.signal.aborted;
}

/**
 * The store's completion cache, patient with an unreachable database: a lookup or a write
 * waits for it (up to `--db-timeout`) instead of failing the scene's request.
 */
function patientCache(cache: CompletionCache, retry: StoreRetry): CompletionCache {
  return {
    enabled: cache.enabled,
    get: (key) => withStoreRetry(() => cache.get(key), retry),
    put: (key, request, completion) =>
      withStoreRetry(() => cache.put(key, request, completion), retry),
  };
}

/** True while some scene is pending or leased (by another worker, maybe a dead one: wait). */
function othersAtWork(store: WorkStore, retry: StoreRetry): Promise<boolean> {
  return withStoreRetry(() => store.scenes.hasOpenWork(), retry);
}

interface PlayClaimDeps extends Omit<WorkDeps, "read"> {
  options: DatagenOptions;
  shared: SharedOptions;
  retry: StoreRetry;
  outDir: string;
}

/** The job of a claimed scene, its log in this worker's output folder. */
function jobOf(claim: SceneClaim, outDir: string): SceneJob {
  const payload = JSON.parse(claim.payload) as ScenePayload;
  const log = basename(String(payload.log ?? `${claim.key}.jsonl`));
  const config = parseSceneConfig(payload.config, `the stored scene "${claim.key}"`);
  return { name: claim.key, config, logPath: join(outDir, log) };
}

/** One claimed scene, from its job to its stored log; never throws but for the store. */
async function playClaim(claim: SceneClaim, d: PlayClaimDeps): Promise<SceneReport> {
  const { store } = d.deps;
  const started = d.tools.now();
  const base = { name: claim.key, log: join(d.outDir, `${claim.key}.jsonl`) };
  let job: SceneJob;
  try {
    job = jobOf(claim, d.outDir);
  } catch (error) {
    const reason = `its stored configuration is not usable: ${describeError(error)}`;
    await withStoreRetry(() => store.scenes.fail(claim, reason, 1), d.retry);
    return { ...base, status: "failed", reason };
  }
  const held = holdClaim(store, claim, {
    ttlMs: d.options.leaseTtlMs,
    now: d.tools.now,
    logger: d.tools.logger,
  });
  const signal = AbortSignal.any([d.tools.signal, held.signal]);
  try {
    const summary = await playIntoLog(job, {
      options: d.options,
      llm: d.tools.llm,
      logger: d.tools.logger,
      runner: d.deps.runner,
      signal,
    });
    held.stop();
    const log = await Deno.readTextFile(job.logPath);
    const stored = await withStoreRetry(() =>
      store.scenes.complete(held.current(), log), d.retry) ||
      await doneByUs(store, held.current(), d.retry);
    const durationMs = d.tools.now() - started;
    return stored ? { name: claim.key, log: job.logPath, status: "done", summary, durationMs } : {
      name: claim.key,
      log: job.logPath,
      status: "taken",
      reason: "its lease ran out and another worker took the scene over: that worker's log counts",
    };
  } catch (error) {
    held.stop();
    const cause = error instanceof ScenePlayError ? error.cause : error;
    return await settleFailure(claim, { d, held, cause, logPath: job.logPath, started });
  }
}

/**
 * True when the store shows the scene done by this claim's owner: a `complete` whose answer
 * was lost with the connection, retried, finds its own work done.
 */
async function doneByUs(store: WorkStore, claim: SceneClaim, retry: StoreRetry): Promise<boolean> {
  const rows = await withStoreRetry(() => store.scenes.list(), retry);
  const row = rows.find((r) => r.key === claim.key);
  return row?.status === "done" && row.owner === claim.owner;
}

/** A scene that did not complete: given back (interrupt), lost (lease), or failed (counted). */
async function settleFailure(
  claim: SceneClaim,
  { d, held, cause, logPath, started }: {
    d: PlayClaimDeps;
    held: ReturnType<typeof holdClaim>;
    cause: unknown;
    logPath: string;
    started: number;
  },
): Promise<SceneReport> {
  const base = { name: claim.key, log: logPath };
  if (d.tools.signal.aborted) {
    await d.deps.store.scenes.release(held.current()).catch(() => {});
    return { ...base, status: "interrupted", reason: "interrupted: given back to the queue" };
  }
  if (held.signal.aborted) {
    return { ...base, status: "taken", reason: describeError(held.signal.reason) };
  }
  const reason = describeError(cause);
  const outcome = await withStoreRetry(
    () => d.deps.store.scenes.fail(held.current(), reason, d.shared.maxSceneAttempts),
    d.retry,
  );
  const note = outcome === "failed"
    ? ` (attempt ${claim.attempt} of ${d.shared.maxSceneAttempts}: failed for good until --retry-failed)`
    : outcome === "pending"
    ? ` (attempt ${claim.attempt} of ${d.shared.maxSceneAttempts}: it will be tried again)`
    : "";
  return { ...base, status: "failed", reason: reason + note, durationMs: d.tools.now() - started };
}

/** What a worker's summary tells the store's run accounting. */
function accountOf(summary: DatagenSummary, at: number): RunAccount {
  const { done, failed, taken, interrupted } = summary.counts;
  return {
    owner: summary.owner,
    at,
    scenes: { done, failed, taken, interrupted },
    requests: summary.llm.requests,
    promptTokens: summary.llm.promptTokens,
    completionTokens: summary.llm.completionTokens,
    durationMs: summary.durationMs,
  };
}

function sharedSummary(
  options: DatagenOptions,
  read: SharedRead,
  tools: StageTools,
  where: string,
): DatagenSummary {
  const facts = { input: { db: where }, outDir: read.outDir, kv: where, owner: read.owner };
  return {
    ...buildDatagenSummary(options, { ...facts, reports: read.reports, dropped: [] }, tools),
    coordination: { calls: read.coordination.calls, ms: Math.round(read.coordination.ms) },
  };
}
