/**
 * Runs the scene conversations of every seed task, `workers` at a time (each has one
 * request in flight; the endpoint's limiter bounds the total). A seed task that fails —
 * the endpoint kept failing, an answer stayed unusable — is recorded with its reason and
 * the others go on; `onDone` receives each success as it comes (any order). What is not
 * about one seed task stops the run — an interruption, a refusal of the endpoint itself
 * (401, 403, 404: a wrong key or model; a 400 refusing step 6's `response_format`, which
 * names the switch), an error thrown by `onDone` (the output cannot be written): no new
 * seed starts and the error is thrown once the running ones have stopped.
 */
import { describeError, ProactiveError } from "../cli/errors.ts";
import type { Logger } from "../cli/logger.ts";
import { ResponseFormatRefusedError } from "../llm/structured_completion.ts";
import { runWorkerPool } from "../stage/worker_pool.ts";
import {
  askSeedTask,
  type ScenesClient,
  seedTaskLabel,
  type SeedTaskScenes,
  type SeedTaskSettings,
} from "./ask_seed_task.ts";
import type { SeedTask } from "./seed_file.ts";

export interface SeedFailure {
  /** Position of the seed task in the run's list. */
  index: number;
  kind: string;
  taskIndex: number;
  reason: string;
}

export interface BuildScenesSettings extends SeedTaskSettings {
  /** Seed tasks worked on at once. */
  workers: number;
}

export interface BuildScenesDeps {
  client: ScenesClient;
  logger: Logger;
  signal?: AbortSignal;
  /** One tick per finished seed task. */
  progress?: { tick(n?: number, options?: { failed?: boolean }): void };
  /** Receives each success, in completion order; awaited before the next seed starts. */
  onDone(index: number, result: SeedTaskScenes): Promise<void> | void;
  /** Called once per re-ask of step 6 (for the stats). */
  onRepair?: () => void;
  /** The conversation (tests substitute one); default `askSeedTask`. */
  ask?: typeof askSeedTask;
}

export interface BuildScenesResult {
  succeeded: number;
  /** Failed seed tasks, in seed order. */
  failures: SeedFailure[];
  /** Scenes dropped from answers, with their reasons. */
  dropped: number;
  repairs: number;
}

export async function buildScenes(
  seeds: readonly SeedTask[],
  settings: BuildScenesSettings,
  deps: BuildScenesDeps,
): Promise<BuildScenesResult> {
  const ask = deps.ask ?? askSeedTask;
  const result: BuildScenesResult = { succeeded: 0, failures: [], dropped: 0, repairs: 0 };

  const runSeed = async (index: number, signal: AbortSignal) => {
    const seed = seeds[index];
    let scenes: SeedTaskScenes;
    try {
      scenes = await ask(deps.client, seed, settings, { signal, onRepair: deps.onRepair });
    } catch (error) {
      if (signal.aborted || endpointRefusal(error)) throw error;
      const reason = describeError(error);
      deps.logger.error(`${seedTaskLabel(seed)} failed: ${reason}`);
      result.failures.push({ index, kind: seed.kind, taskIndex: seed.taskIndex, reason });
      deps.progress?.tick(1, { failed: true });
      return;
    }
    for (const reason of scenes.dropped) deps.logger.warn(`Dropped: ${reason}`);
    result.dropped += scenes.dropped.length;
    result.repairs += scenes.repairs;
    await deps.onDone(index, scenes);
    result.succeeded++;
    deps.progress?.tick(1);
  };

  await runWorkerPool(seeds.length, settings.workers, runSeed, deps.signal);
  result.failures.sort((a, b) => a.index - b.index);
  return result;
}

/** The endpoint refused the request for a reason no other seed task escapes. */
export function endpointRefusal(error: unknown): boolean {
  if (error instanceof ResponseFormatRefusedError) return true;
  return error instanceof ProactiveError && /failed: (401|403|404)\b/.test(error.message);
}
