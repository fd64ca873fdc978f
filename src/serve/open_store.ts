/**
 * Opening the serve store. `openStore` (called by `startServer` with `openSplitStore`)
 * refuses a store whose file or `-wal` / `-shm` companion is a symbolic link
 * (`refuseStoreLinks`), opens the Deno KV file and reads from it once, so a damaged file
 * fails the start with a recovery hint (`damagedStoreError`: move it away; the labels come
 * back from the result files through `result_import.ts`) instead of failing requests later.
 * `isDamagedStoreError` recognises SQLite's corruption errors; `startServer` applies it to
 * the import and the first reads too.
 *
 * @module
 */
import { refuseStoreLinks } from "../store/no_follow.ts";
import { describeError, type ProactiveError, runtimeError } from "../cli/errors.ts";

/**
 * True for SQLite's "this file is not (or no longer) a valid database" errors, which Deno
 * KV reports when opening or reading a damaged store file.
 */
export function isDamagedStoreError(error: unknown): boolean {
  return /file is not a database|database disk image is malformed|malformed database schema|SQLITE_CORRUPT|SQLITE_NOTADB/i
    .test(error instanceof Error ? error.message : String(error));
}

/** The start-up error for a damaged store, with how to recover. */
export function damagedStoreError(path: string, error: unknown): ProactiveError {
  return runtimeError(
    `The store "${path}" is damaged (${
      describeError(error)
    }): move it away (mv ${path} ${path}.broken, ` +
      `and its -wal and -shm files if present) and restart; labels come back from the result files`,
    error,
  );
}

/**
 * Opens the Deno KV store at `path` (with `open`, e.g. `openSplitStore`) and reads from it
 * once, so a damaged file is refused here with a recovery hint rather than failing
 * requests later.
 */
export async function openStore(
  path: string,
  open: (path: string) => Promise<Deno.Kv> = Deno.openKv,
): Promise<Deno.Kv> {
  let kv: Deno.Kv;
  await refuseStoreLinks(path);
  try {
    kv = await open(path);
  } catch (error) {
    if (isDamagedStoreError(error)) throw damagedStoreError(path, error);
    throw runtimeError(`Cannot open the store "${path}": ${describeError(error)}`, error);
  }
  try {
    for await (const _ of kv.list({ prefix: [] }, { limit: 1 })) break;
  } catch (error) {
    kv.close();
    if (isDamagedStoreError(error)) throw damagedStoreError(path, error);
    throw runtimeError(`Cannot read the store "${path}": ${describeError(error)}`, error);
  }
  return kv;
}
