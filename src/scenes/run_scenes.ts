/**
 * `proactive scenes` from options to files: read the seeds, run one conversation per seed
 * task (`buildScenes`), and write each success as it comes — its scene configurations at
 * once, the scene list (all successes so far, in seed order) rewritten atomically behind
 * it. A run that produces no scene at all leaves the scene list as it was.
 *
 * A re-run asks for every seed task again; the answers of the conversations that were
 * completed before come from the completion cache (the cache key holds the messages, the
 * parameters and the seed task's tag), so they cost nothing and give the same scenes.
 */
import type { PromptSetLabel } from "../prompts/prompt_set.ts";
import { CoalescedWriter } from "../store/coalesced_writer.ts";
import { dirname } from "node:path";
import type { CommandContext } from "../cli/command.ts";
import { inputError, ProactiveError, runtimeError } from "../cli/errors.ts";
import type { Scene } from "../formats/scene.ts";
import type { LlmOptions } from "../llm/llm_config.ts";
import { createLlmRuntime } from "../llm/llm_runtime.ts";
import { createCommandProgress, loggerAboveProgress } from "../llm/progress.ts";
import { SCENES_PROMPT_VERSION } from "../prompts/scenes_prompts.ts";
import { writeFileAtomic } from "../store/atomic_write.ts";
import { buildScenes, type SeedFailure } from "./build_scenes.ts";
import { sceneConfigFiles, sceneListText, writeSeedTaskConfigs } from "./scenes_output.ts";
import { DEFAULT_SEEDS_SOURCE, readSeeds, type SeedTask, selectKinds } from "./seed_file.ts";
import { withOutputLocks } from "../store/output_lock.ts";
import type { BusyPolicy } from "../store/process_lock.ts";

export interface ScenesOptions {
  /** `--seeds`; undefined: the embedded seedtask.yaml. */
  seeds: string | undefined;
  out: string;
  scenesDir: string;
  seed: bigint;
  /** `--kinds`; undefined: every kind. */
  kinds: string[] | undefined;
  /** When another run writes the same outputs: exit naming it, or wait (`--wait`). */
  onBusy?: BusyPolicy;
  llm: LlmOptions;
}

export interface ScenesSummary {
  seeds: string;
  out: string;
  scenesDir: string;
  promptVersion: string;
  /** The prompt set the conversations were built from. */
  promptSet?: PromptSetLabel;
  seed: string;
  counts: {
    /** Seed tasks in the seed file. */
    seedTasks: number;
    /** Seed tasks asked for (after --kinds and --limit). */
    asked: number;
    succeeded: number;
    failed: number;
    scenes: number;
    dropped: number;
    repairs: number;
    configsWritten: number;
    configsUnchanged: number;
    configsRemoved: number;
  };
}

export interface ScenesRunResult {
  summary: ScenesSummary;
  failures: SeedFailure[];
  /** The LLM accounting block. */
  stats: string;
}

type RunContext = Pick<CommandContext, "logger" | "stderr" | "isTerminal" | "now" | "signal">;

export async function runScenes(options: ScenesOptions, ctx: RunContext): Promise<ScenesRunResult> {
  const source = options.seeds ?? DEFAULT_SEEDS_SOURCE;
  const all = await readSeeds(options.seeds);
  const selected = selectKinds(all, options.kinds, source);
  const seeds = selected.slice(0, options.llm.limit ?? selected.length);
  if (seeds.length === 0) throw inputError(`No seed task to ask for in "${source}"`);

  const outStat = await Deno.stat(options.out).catch(() => undefined);
  if (outStat?.isDirectory) {
    throw inputError(`--out "${options.out}" is a folder; give the scene list's file name`);
  }
  await Deno.mkdir(dirname(options.out), { recursive: true });
  await Deno.mkdir(options.scenesDir, { recursive: true });
  return await withOutputLocks(
    [
      { path: options.out, kind: "file", what: `The scene list "${options.out}"` },
      { path: options.scenesDir, kind: "folder", what: `The scenes folder "${options.scenesDir}"` },
    ],
    { command: "proactive scenes", onBusy: options.onBusy, signal: ctx.signal, logger: ctx.logger },
    () => askAndWrite(options, { seeds, source, seedTasks: all.length }, ctx),
  );
}

/** What is asked: the selected seed tasks, where they come from, how many the file has. */
interface ScenesInput {
  seeds: readonly SeedTask[];
  source: string;
  seedTasks: number;
}

async function askAndWrite(
  options: ScenesOptions,
  { seeds, source, seedTasks }: ScenesInput,
  ctx: RunContext,
): Promise<ScenesRunResult> {
  const slots: (Scene[] | undefined)[] = seeds.map(() => undefined);
  const writer = new CoalescedWriter(() => writeFileAtomic(options.out, sceneListText(slots)));
  const configs = { written: 0, unchanged: 0, removed: 0 };

  const progress = createCommandProgress(ctx, seeds.length, "scenes");
  const logger = loggerAboveProgress(ctx.logger, progress);
  const llm = createLlmRuntime(options.llm, { logger, signal: ctx.signal, now: ctx.now });
  const client = llm.client("scenes");
  logger.info(
    `scenes: ${seeds.length} seed task(s) from "${source}" (prompts ${SCENES_PROMPT_VERSION})`,
  );

  let result;
  try {
    result = await buildScenes(seeds, {
      seed: options.seed,
      maxRepairs: options.llm.maxRepairs,
      workers: client.limiter.limit,
      prompts: llm.prompts,
    }, {
      client,
      logger,
      signal: ctx.signal,
      progress,
      onRepair: () => llm.stats.add(client.endpoint, { repairs: 1 }),
      async onDone(index, answer) {
        const files = sceneConfigFiles(seeds[index], answer.scenes, answer.indices);
        const written = await writeSeedTaskConfigs(options.scenesDir, seeds[index], files);
        configs.written += written.written.length;
        configs.unchanged += written.unchanged.length;
        configs.removed += written.removed.length;
        for (const path of written.removed) logger.info(`Removed the stale "${path}"`);
        slots[index] = answer.scenes;
        writer.request();
      },
    });
  } catch (error) {
    progress.done();
    await writer.flush().catch((writeError) => {
      ctx.logger.error(`Cannot save the scenes done to "${options.out}": ${writeError}`);
    });
    const done = slots.filter((s) => s !== undefined).length;
    const kept = `the scenes of ${done} of ${seeds.length} seed task(s) are saved in ` +
      `"${options.out}" and "${options.scenesDir}"; run the same command again to ` +
      `continue (finished conversations come from the cache)`;
    if (ctx.signal.aborted) throw runtimeError(`Interrupted: ${kept}`);
    if (error instanceof ProactiveError) {
      throw new ProactiveError(error.kind, `${error.message} (${kept})`, { cause: error });
    }
    throw error;
  }
  progress.done();
  await writer.flush();

  return {
    summary: {
      seeds: source,
      out: options.out,
      scenesDir: options.scenesDir,
      promptVersion: SCENES_PROMPT_VERSION,
      promptSet: llm.prompts.label,
      seed: options.seed.toString(),
      counts: {
        seedTasks,
        asked: seeds.length,
        succeeded: result.succeeded,
        failed: result.failures.length,
        scenes: slots.reduce((n, s) => n + (s?.length ?? 0), 0),
        dropped: result.dropped,
        repairs: result.repairs,
        configsWritten: configs.written,
        configsUnchanged: configs.unchanged,
        configsRemoved: configs.removed,
      },
    },
    failures: result.failures,
    stats: llm.stats.formatStats(),
  };
}
