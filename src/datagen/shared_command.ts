/**
 * The `--db` side of `proactive datagen` (`command.ts` hands over to it): enqueueing
 * (`--enqueue`), workers (`--worker`, or enqueue-then-work without either), and the two
 * subcommands that read a shared store:
 *
 * - `proactive datagen export --db URL --out-dir DIR`: every complete log (and only those)
 *   written to DIR as `<scene>.jsonl`, atomically;
 * - `proactive datagen status --db URL [--json]`: scenes pending / leased (by whom, until
 *   when) / done / failed (why), each worker's scenes done and pace, and the accounting each
 *   worker run recorded at its end (scenes, requests, tokens, time).
 *
 * @module
 */
import { dirname, join } from "node:path";
import type { CommandContext } from "../cli/command.ts";
import { inputError, interruptedError, runtimeError, usageError } from "../cli/errors.ts";
import { type FlagDecls, parseCommandLine } from "../cli/flags.ts";
import type { LlmRuntime } from "../llm/llm_runtime.ts";
import { readStageOptions, type StageOptionsReader } from "../stage/stage_options.ts";
import { writeFileAtomic } from "../store/atomic_write.ts";
import { DB_FLAG, openWorkStore, workStoreWhere } from "../store/open_work_store.ts";
import { type StoreRetry, withStoreRetry } from "./store_retry.ts";
import type { SceneRow, WorkStore } from "../store/work_store.ts";
import type { SceneRunner } from "../gym/gym_types.ts";
import { formatDatagenReport } from "./datagen_summary.ts";
import type { DatagenOptions } from "./run_datagen.ts";
import { enqueueScenes, runSharedDatagen } from "./shared_datagen.ts";

const EXPORT_FLAGS = {
  db: { ...DB_FLAG.db, required: "the store to export from" },
  "out-dir": {
    kind: "string",
    value: "DIR",
    required: "where the logs go",
    help: "Where the logs go",
  },
} as const satisfies FlagDecls;

const STATUS_FLAGS = {
  db: { ...DB_FLAG.db, required: "the store to read" },
  json: { kind: "boolean", help: "Print the status as JSON" },
} as const satisfies FlagDecls;

export const SHARED_HELP = `Subcommands of a shared store (--db URL, or PROACTIVE_DATABASE_URL):
  proactive datagen export --db URL --out-dir DIR
      writes every complete log (and only those) into DIR as <scene>.jsonl, atomically
  proactive datagen status --db URL [--json]
      scenes pending, leased (by whom, until when), done and failed (why), and each
      worker's scenes done and pace; --json prints it as JSON`;

/** The runner of `export` or `status` when `args` names one. */
export function sharedSubcommand(
  args: readonly string[],
): ((ctx: CommandContext) => Promise<number>) | undefined {
  if (args[0] === "export") return (ctx) => exportLogs(args.slice(1), ctx);
  if (args[0] === "status") return (ctx) => showStatus(args.slice(1), ctx);
  return undefined;
}

/**
 * Runs `body` with the store `db` open; with `retry`, opening waits for an unreachable
 * database (up to `--db-timeout`) instead of failing at once.
 */
async function withStore<T>(
  db: string,
  body: (store: WorkStore) => Promise<T>,
  retry?: StoreRetry,
): Promise<T> {
  const store = retry
    ? await withStoreRetry(() => openWorkStore(db), retry)
    : await openWorkStore(db);
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

/** A scene name safe as a file name in the export folder. */
function logFileName(key: string): string {
  if (key === "" || key.startsWith(".") || /[\/\\\0]/.test(key)) {
    throw inputError(`The stored scene "${key}" has a name that is no file name; not exported`);
  }
  return `${key}.jsonl`;
}

async function exportLogs(args: string[], ctx: CommandContext): Promise<number> {
  const { flags } = parseCommandLine(args, EXPORT_FLAGS, { env: ctx.env });
  const outDir = flags.outDir;
  await Deno.mkdir(outDir, { recursive: true });
  const written = await withStore(flags.db, async (store) => {
    let count = 0;
    for await (const { key, log } of store.scenes.logs()) {
      await writeFileAtomic(join(outDir, logFileName(key)), log);
      count++;
    }
    return { count, where: store.where };
  });
  ctx.stdout(`Exported ${written.count} complete log(s) from ${written.where} into "${outDir}"\n`);
  return 0;
}

/** Each worker's done scenes and their pace (scenes per hour between its first and last). */
function workersOf(rows: readonly SceneRow[]) {
  const byOwner = new Map<string, number[]>();
  for (const row of rows) {
    if (row.status !== "done" || row.owner === undefined || row.doneAt === undefined) continue;
    const times = byOwner.get(row.owner) ?? [];
    times.push(row.doneAt);
    byOwner.set(row.owner, times);
  }
  return [...byOwner].map(([owner, times]) => {
    const span = Math.max(...times) - Math.min(...times);
    const perHour = times.length > 1 && span > 0 ? ((times.length - 1) / span) * 3_600_000 : null;
    return { owner, done: times.length, perHour };
  });
}

async function showStatus(args: string[], ctx: CommandContext): Promise<number> {
  const { flags } = parseCommandLine(args, STATUS_FLAGS, { env: ctx.env });
  const { rows, runs, where } = await withStore(flags.db, async (store) => ({
    rows: await store.scenes.list(),
    runs: await store.runs.list(),
    where: store.where,
  }));
  const counts = { pending: 0, leased: 0, done: 0, failed: 0 };
  for (const row of rows) counts[row.status]++;
  const workers = workersOf(rows);
  const leased = rows.filter((r) => r.status === "leased");
  const failed = rows.filter((r) => r.status === "failed");
  if (flags.json) {
    ctx.stdout(JSON.stringify({ where, counts, leased, failed, workers, runs }, null, 2) + "\n");
    return 0;
  }
  const lines = [
    `${rows.length} scene(s) in ${where}: ${counts.pending} pending, ${counts.leased} leased, ` +
    `${counts.done} done, ${counts.failed} failed`,
    ...leased.map((r) =>
      `  leased ${r.key}: ${r.owner}, until ${new Date(r.expiresAt ?? 0).toISOString()} ` +
      `(attempt ${r.attempts})`
    ),
    ...failed.map((r) => `  failed ${r.key} after ${r.attempts} attempt(s): ${r.reason ?? "?"}`),
    ...workers.map((w) =>
      `  worker ${w.owner}: ${w.done} done` +
      (w.perHour === null ? "" : `, ${w.perHour.toFixed(1)} scenes/hour`)
    ),
    ...runs.map((r) =>
      `  run of ${r.owner} (ended ${new Date(r.at).toISOString()}): ${r.scenes.done} done, ` +
      `${r.scenes.failed} failed, ${r.requests} requests, ${r.promptTokens} + ` +
      `${r.completionTokens} tokens in ${Math.round(r.durationMs / 1000)} s`
    ),
  ];
  ctx.stdout(lines.join("\n") + "\n");
  return 0;
}

export interface SharedCommandDeps<D extends FlagDecls> {
  runner: SceneRunner;
  owner?: string;
  llm?: LlmRuntime;
  flags: D;
  options: StageOptionsReader<DatagenOptions>;
}

/**
 * `datagen` with `--db`: enqueue, work, or both; undefined without `--db` (a local run).
 * Exit status 1 when the store holds failed scenes at the end.
 */
export async function runSharedCommand<D extends FlagDecls>(
  args: string[],
  ctx: CommandContext,
  deps: SharedCommandDeps<D>,
): Promise<number | undefined> {
  // Positionals are the scenes of --enqueue (folders or scene files); refused otherwise.
  const parsed = parseCommandLine(args, deps.flags, { env: ctx.env, positionals: MAX_SOURCES });
  const flags = parsed.flags as unknown as SharedFlags;
  const sources = parsed.positionals;
  if (sources.length > 0 && !flags.enqueue) {
    throw usageError(`Unexpected argument "${sources[0]}" (scenes are named so with --enqueue)`);
  }
  if (flags.db === undefined) {
    if (flags.enqueue || flags.worker || flags.retryFailed) {
      throw usageError(
        "--enqueue, --worker and --retry-failed need --db URL (or PROACTIVE_DATABASE_URL)",
      );
    }
    return undefined;
  }
  if (flags.enqueue && flags.worker) {
    throw usageError("Pass either --enqueue or --worker, not both");
  }
  if (flags.worker && flags.outDir === undefined) {
    throw usageError("--worker needs --out-dir DIR: where this worker writes its logs");
  }
  const db = flags.db;
  if (flags.enqueue) return await enqueueOnly(flags, { db, sources }, ctx);
  const options = await readStageOptions(args, ctx.env, deps.options);
  const retry: StoreRetry = {
    timeoutMs: flags.dbTimeout,
    where: workStoreWhere(db),
    logger: ctx.logger,
    signal: ctx.signal,
  };
  return await withStore(db, async (store) => {
    if (!flags.worker) await enqueueAndSay({ ...options, limit: options.llm.limit }, store, ctx);
    const result = await runSharedDatagen(
      // Without --out-dir, the logs go where a local run writes them: the scenes' folder.
      {
        ...options,
        outDir: options.outDir ??
          (options.sceneFile !== undefined ? dirname(options.sceneFile) : options.scenesDir),
      },
      {
        maxSceneAttempts: flags.maxSceneAttempts,
        retryFailed: flags.retryFailed,
        dbTimeoutMs: flags.dbTimeout,
      },
      ctx,
      { runner: deps.runner, store, owner: deps.owner, llm: deps.llm },
    );
    ctx.stdout(formatDatagenReport(result.summary, result.stats));
    if (result.interrupted) {
      throw interruptedError("the scenes in progress went back to the queue");
    }
    const failed = (await store.scenes.list()).filter((r) => r.status === "failed").length;
    if (failed > 0) {
      throw runtimeError(
        `${failed} scene(s) failed for good in ${store.where} (proactive datagen status ` +
          "lists why; --retry-failed tries them again)",
      );
    }
    return 0;
  }, retry);
}

interface SharedFlags {
  db?: string;
  enqueue: boolean;
  worker: boolean;
  retryFailed: boolean;
  maxSceneAttempts: number;
  dbTimeout: number;
  outDir?: string;
  scenesDir?: string;
  sceneFile?: string;
  limit?: number;
}

/** The most scene folders and files one `--enqueue` names. */
const MAX_SOURCES = 10_000;

/**
 * `--enqueue`: the scenes of each folder or scene file named (`SCENES…`), else of
 * `--scenes-dir` / `--scene-file` as without `--db`.
 */
async function enqueueOnly(
  flags: SharedFlags,
  { db, sources }: { db: string; sources: string[] },
  ctx: CommandContext,
): Promise<number> {
  if (sources.length > 0 && (flags.scenesDir !== undefined || flags.sceneFile !== undefined)) {
    throw usageError("Name the scenes either as arguments or with --scenes-dir / --scene-file");
  }
  const inputs = sources.length === 0
    ? [{ scenesDir: flags.scenesDir ?? "scenes", sceneFile: flags.sceneFile }]
    : await Promise.all(sources.map(sourceInput));
  await withStore(db, async (store) => {
    for (const input of inputs) {
      await enqueueAndSay({ ...input, outDir: flags.outDir, limit: flags.limit }, store, ctx);
    }
  });
  return 0;
}

/** A folder of scene configurations, or a scene file (a list or one configuration). */
async function sourceInput(path: string): Promise<{ scenesDir: string; sceneFile?: string }> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    throw inputError(`Cannot read the scenes "${path}": ${(error as Error).message}`);
  }
  return info.isDirectory ? { scenesDir: path } : { scenesDir: ".", sceneFile: path };
}

async function enqueueAndSay(
  input: Parameters<typeof enqueueScenes>[0],
  store: WorkStore,
  ctx: CommandContext,
): Promise<void> {
  const { added, known, skipped } = await enqueueScenes(input, store);
  for (const warning of skipped) ctx.logger.warn(`Not enqueued: ${warning}`);
  const from = input.sceneFile ?? input.scenesDir;
  ctx.stdout(
    `Enqueued ${added} scene(s) of "${from}" into ${store.where} (${known} already there)\n`,
  );
}
