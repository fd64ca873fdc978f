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
import { inputError } from "../cli/errors.ts";
import type { Scene } from "../formats/scene.ts";
import type { LlmOptions } from "../llm/llm_config.ts";
import { SCENES_PROMPT_VERSION } from "../prompts/scenes_prompts.ts";
import { writeFileAtomic } from "../store/atomic_write.ts";
import { buildScenes, type SeedFailure } from "./build_scenes.ts";
import { sceneConfigFiles, sceneListText, writeSeedTaskConfigs } from "./scenes_output.ts";
import { DEFAULT_SEEDS_SOURCE, readSeeds, type SeedTask, selectKinds } from "./seed_file.ts";
import { runStage, type StageContext, type StageTools } from "../stage/run_stage.ts";
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

/** What the read phase found: the seed tasks to ask for and where the answers go. */
interface ScenesRead {
  total: number;
  seeds: readonly SeedTask[];
  source: string;
  /** Seed tasks in the seed file. */
  seedTasks: number;
  /** The scenes of each seed task, once answered. */
  slots: (Scene[] | undefined)[];
  /** Rewrites the scene list behind the answers. */
  writer: CoalescedWriter;
  configs: { written: number; unchanged: number; removed: number };
}

/** `proactive scenes` as the stage outline's phases (`stage/run_stage.ts`). */
export function runScenes(options: ScenesOptions, ctx: StageContext): Promise<ScenesRunResult> {
  return runStage({
    name: "scenes",
    outputs: [
      { path: options.out, kind: "file", what: `The scene list "${options.out}"` },
      { path: options.scenesDir, kind: "folder", what: `The scenes folder "${options.scenesDir}"` },
    ],
    onBusy: options.onBusy,
    llm: { options: options.llm },
    before: () => refuseFolderOut(options.out),
    read: () => readSeedTasks(options),
    work: (read, tools) => askForScenes(options, read, tools),
    async stopped(read) {
      await read.writer.flush().catch((writeError) => {
        ctx.logger.error(`Cannot save the scenes done to "${options.out}": ${writeError}`);
      });
      const done = read.slots.filter((s) => s !== undefined).length;
      const kept = `the scenes of ${done} of ${read.seeds.length} seed task(s) are saved in ` +
        `"${options.out}" and "${options.scenesDir}"; run the same command again to ` +
        `continue (finished conversations come from the cache)`;
      return { kept, keptOnFailure: true };
    },
    async finish(read, result, tools) {
      await read.writer.flush();
      return {
        summary: scenesSummary(options, { read, result, tools }),
        failures: result.failures,
        stats: tools.llm.stats.formatStats(),
      };
    },
  }, ctx);
}

async function refuseFolderOut(out: string): Promise<void> {
  const outStat = await Deno.stat(out).catch(() => undefined);
  if (outStat?.isDirectory) {
    throw inputError(`--out "${out}" is a folder; give the scene list's file name`);
  }
}

/** The seed tasks selected by `--kinds` and `--limit`, and the answers' empty slots. */
async function readSeedTasks(options: ScenesOptions): Promise<ScenesRead> {
  const source = options.seeds ?? DEFAULT_SEEDS_SOURCE;
  const all = await readSeeds(options.seeds);
  const selected = selectKinds(all, options.kinds, source);
  const seeds = selected.slice(0, options.llm.limit ?? selected.length);
  if (seeds.length === 0) throw inputError(`No seed task to ask for in "${source}"`);
  const slots: (Scene[] | undefined)[] = seeds.map(() => undefined);
  return {
    total: seeds.length,
    seeds,
    source,
    seedTasks: all.length,
    slots,
    writer: new CoalescedWriter(() => writeFileAtomic(options.out, sceneListText(slots))),
    configs: { written: 0, unchanged: 0, removed: 0 },
  };
}

/** One conversation per seed task; each answer's files are written as it comes. */
function askForScenes(options: ScenesOptions, read: ScenesRead, tools: StageTools) {
  const { seeds, slots, configs } = read;
  const { llm, logger } = tools;
  const client = llm.client("scenes");
  logger.info(
    `scenes: ${seeds.length} seed task(s) from "${read.source}" (prompts ${SCENES_PROMPT_VERSION})`,
  );
  return buildScenes(seeds, {
    seed: options.seed,
    maxRepairs: options.llm.maxRepairs,
    workers: client.limiter.limit,
    prompts: llm.prompts,
  }, {
    client,
    logger,
    signal: tools.signal,
    progress: tools.progress,
    onRepair: () => llm.stats.add(client.endpoint, { repairs: 1 }),
    async onDone(index, answer) {
      const files = sceneConfigFiles(seeds[index], answer.scenes, answer.indices);
      const written = await writeSeedTaskConfigs(options.scenesDir, seeds[index], files);
      configs.written += written.written.length;
      configs.unchanged += written.unchanged.length;
      configs.removed += written.removed.length;
      for (const path of written.removed) logger.info(`Removed the stale "${path}"`);
      slots[index] = answer.scenes;
      read.writer.request();
    },
  });
}

function scenesSummary(
  options: ScenesOptions,
  { read, result, tools }: {
    read: ScenesRead;
    result: Awaited<ReturnType<typeof buildScenes>>;
    tools: StageTools;
  },
): ScenesSummary {
  return {
    seeds: read.source,
    out: options.out,
    scenesDir: options.scenesDir,
    promptVersion: SCENES_PROMPT_VERSION,
    promptSet: tools.llm.prompts.label,
    seed: options.seed.toString(),
    counts: {
      seedTasks: read.seedTasks,
      asked: read.seeds.length,
      succeeded: result.succeeded,
      failed: result.failures.length,
      scenes: read.slots.reduce((n, s) => n + (s?.length ?? 0), 0),
      dropped: result.dropped,
      repairs: result.repairs,
      configsWritten: read.configs.written,
      configsUnchanged: read.configs.unchanged,
      configsRemoved: read.configs.removed,
    },
  };
}
