/** Test support for the serve modules: an in-memory store, a fake clock, the fixtures. */
import { fileURLToPath } from "node:url";
import { createMemoryLogger } from "../../cli/testing/memory_logger.ts";
import type { ServeContext } from "../serve_context.ts";
import { type Catalog, loadCatalogDir } from "../trace_catalog.ts";
import { TraceRecords } from "../trace_records.ts";
import { CommitBatcher } from "../commit_batcher.ts";

export const FIXTURE_TRACES = fileURLToPath(
  new URL("../../../tests/testdata/serve/traces", import.meta.url),
);

export function fixtureCatalog(checkpoints?: number[]): Promise<Catalog> {
  return loadCatalogDir(FIXTURE_TRACES, checkpoints);
}

export interface TestContext extends ServeContext {
  /** The result folder of `createApp({ ...ctx })`: a fresh temporary folder, removed by `close`. */
  outDir: string;
  clock: { now: number };
  /** Every `traceChanged` call, in order. */
  changed: string[];
  logLines: string[];
  close(): void;
}

export async function openTestContext(options: {
  catalog?: Catalog;
  annotatorsPerTrace?: number;
  reclaimAfterMs?: number;
} = {}): Promise<TestContext> {
  const kv = await Deno.openKv(":memory:");
  const clock = { now: 1_717_000_000_000 };
  const changed: string[] = [];
  const logger = createMemoryLogger();
  const records = new TraceRecords(kv);
  await records.load();
  const outDir = await Deno.makeTempDir({ prefix: "proactive_test_out_" });
  return {
    kv,
    commits: new CommitBatcher(kv),
    records,
    catalog: options.catalog ?? await fixtureCatalog(),
    annotatorsPerTrace: options.annotatorsPerTrace ?? 3,
    reclaimAfterMs: options.reclaimAfterMs ?? 2 * 3600 * 1000,
    now: () => clock.now,
    logger,
    traceChanged: (trace) => changed.push(trace),
    outDir,
    clock,
    changed,
    logLines: logger.lines,
    close() {
      kv.close();
      Deno.removeSync(outDir, { recursive: true });
    },
  };
}

/** Runs `fn` with a fresh test context and closes it afterwards. */
export async function withContext(
  options: Parameters<typeof openTestContext>[0],
  fn: (ctx: TestContext) => Promise<void>,
): Promise<void> {
  const ctx = await openTestContext(options);
  try {
    await fn(ctx);
  } finally {
    ctx.close();
  }
}
