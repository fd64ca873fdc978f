/**
 * `eval agent --db`: the finished prediction files of a model folder kept in the shared
 * store too (`StoredFiles` of `store/work_store.ts`, key `eval-agent/<folder>/<file>`), so a
 * run on another machine — without the first one's folder — resumes from them: before the
 * predictions, every trace file the local folder lacks is written from the store (and then
 * skipped as done); after them, every finished file the store lacks, or holds in another
 * version, is stored.
 *
 * @module
 */
import { basename, join } from "node:path";
import { writeFileAtomic } from "../store/atomic_write.ts";
import type { WorkStore } from "../store/work_store.ts";

const keyOf = (outDir: string, file: string) => `eval-agent/${basename(outDir)}/${file}`;

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Writes the stored files of `files` that `outDir` lacks; resolves to how many. */
export async function pullPredictions(
  store: WorkStore,
  { outDir, files }: { outDir: string; files: readonly string[] },
): Promise<number> {
  let pulled = 0;
  for (const file of files) {
    const path = join(outDir, file);
    if (await exists(path)) continue;
    const text = await store.files.get(keyOf(outDir, file));
    if (text === undefined) continue;
    await writeFileAtomic(path, text);
    pulled++;
  }
  return pulled;
}

/** Stores the finished `files` of `outDir` the store lacks or holds otherwise; how many. */
export async function pushPredictions(
  store: WorkStore,
  { outDir, files }: { outDir: string; files: readonly string[] },
): Promise<number> {
  let pushed = 0;
  for (const file of files) {
    const text = await Deno.readTextFile(join(outDir, file));
    const key = keyOf(outDir, file);
    if ((await store.files.get(key)) === text) continue;
    await store.files.put(key, text);
    pushed++;
  }
  return pushed;
}
