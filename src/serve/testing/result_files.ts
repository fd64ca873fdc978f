/** Test support for the start-up import: writing every result file, and importing them. */
import { assertEquals } from "../../../tests/assert.ts";
import { importResultFiles } from "../result_import.ts";
import { createResultWriter } from "../result_writer.ts";
import type { TestContext } from "./test_context.ts";

/** Writes every trace's result (and notes) file of `ctx`'s store into `dir`. */
export async function writeAll(ctx: TestContext, dir: string): Promise<void> {
  const writer = createResultWriter({
    kv: ctx.kv,
    catalog: ctx.catalog,
    outDir: dir,
    logger: ctx.logger,
  });
  await writer.regenerateAll();
  assertEquals(await writer.close(), []);
}

/** Imports the files of `dir` into `ctx`'s store, as `serve` does at start-up. */
export function importInto(ctx: TestContext, dir: string) {
  return importResultFiles({
    kv: ctx.kv,
    catalog: ctx.catalog,
    outDir: dir,
    logger: ctx.logger,
    now: ctx.now,
  });
}
