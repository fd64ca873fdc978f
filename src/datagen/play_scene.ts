/**
 * Playing one scene into its log, shared by the local run (`run_datagen.ts`) and the
 * workers of a shared one (`shared_datagen.ts`): the scene runner writes `<log>.partial`,
 * renamed to the log's name when the scene ends; on failure or interrupt the partial log
 * stays (closed) and the error is thrown for the caller to report.
 *
 * @module
 */
import type { Logger } from "../cli/logger.ts";
import type { SceneJob, SceneRunner, SceneSummary } from "../gym/gym_types.ts";
import { sceneRunOptionsFor } from "../gym/gym_types.ts";
import { openGymLog } from "../gym/log_writer.ts";
import type { LlmRuntime } from "../llm/llm_runtime.ts";
import { promptsOf } from "../prompts/prompt_set.ts";
import { type DatagenOptions, logFormatOf } from "./run_datagen.ts";

export interface PlaySceneDeps {
  options: DatagenOptions;
  llm: LlmRuntime;
  logger: Logger;
  runner: SceneRunner;
  /** Aborts the scene (Ctrl-C, or its lease lost). */
  signal: AbortSignal;
}

/** A scene that did not complete, with the path of the partial log it left. */
export class ScenePlayError extends Error {
  constructor(readonly partialPath: string, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/**
 * Plays `job` into its log and resolves to the scene's summary; throws a `ScenePlayError`
 * (its `cause` the failure) when the scene fails or `signal` aborts it.
 */
export async function playIntoLog(job: SceneJob, deps: PlaySceneDeps): Promise<SceneSummary> {
  const log = await openGymLog(job.logPath, { format: logFormatOf(deps.options) });
  try {
    const sceneOptions = sceneRunOptionsFor(
      job.config,
      deps.options.scene,
      promptsOf(deps.options.llm).protocol,
    );
    const summary = await deps.runner(job, sceneOptions, {
      llm: deps.llm,
      log,
      logger: deps.logger,
      signal: deps.signal,
    });
    if (deps.signal.aborted) throw deps.signal.reason;
    await log.complete();
    return summary;
  } catch (error) {
    log.close();
    throw new ScenePlayError(log.partialPath, error);
  }
}
