/**
 * Copies of result files kept before serve rewrites them: `<out>/.state/replaced/
 * <trace>.<ms>.json`, the file's bytes as they were. Each copy is created exclusively with
 * mode 0600 (a name already there — a file or a planted link — is never opened; the next
 * free name is taken) and flushed to disk before the original may be rewritten. A file
 * kept already (a copy of the trace with the same bytes) is not copied again, so a file
 * serve does not rewrite is not copied anew at every start. The folders `.state` and
 * `.state/replaced` must not be symbolic links: one is refused, naming it, before anything
 * is written. `importResultFiles` (`result_import.ts`) keeps such a copy of every result
 * file it does not take whole, before `startServer` rewrites the folder.
 *
 * @module
 */
import { join } from "node:path";
import { describeError, runtimeError } from "../cli/errors.ts";
import {
  createExclusive,
  readFileNoFollow,
  refuseSymlink,
  SymlinkRefusedError,
} from "../store/no_follow.ts";

/** Permission bits of a copy: the owner's only, whatever the original's were. */
export const COPY_MODE = 0o600;

/** Names tried for one copy before giving up (same trace, same millisecond). */
const ATTEMPTS = 100;

/** The folder of the copies under `outDir`. */
export function replacedFolder(outDir: string): string {
  return join(outDir, ".state", "replaced");
}

/** Refuses `.state` or `.state/replaced` when either is a symbolic link. */
export async function refuseLinkedCopyFolders(outDir: string): Promise<void> {
  await refuseSymlink(join(outDir, ".state"), "folder of serve's state");
  await refuseSymlink(replacedFolder(outDir), "folder of replaced result files");
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await file.write(bytes.subarray(written));
  }
}

/** Opens a new copy of `trace`'s file, exclusively, under a free name. */
async function createCopy(folder: string, trace: string, at: number) {
  for (let k = 0; k < ATTEMPTS; k++) {
    const path = join(folder, `${trace}.${at}${k === 0 ? "" : `-${k}`}.json`);
    try {
      return { path, file: await createExclusive(path, { mode: COPY_MODE }) };
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) {
        throw runtimeError(`Cannot create the copy "${path}": ${describeError(error, path)}`);
      }
    }
  }
  throw runtimeError(`Cannot find a free name for a copy of "${trace}" in "${folder}"`);
}

/** A copy to keep: the bytes of the result file of `trace` in `outDir`, at `at` (ms). */
export interface ReplacedCopy {
  outDir: string;
  trace: string;
  bytes: Uint8Array;
  at: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** True when `name` is one of the names `createCopy` gives copies of `trace`. */
function isCopyName(name: string, trace: string): boolean {
  return name.startsWith(`${trace}.`) && /^\d+(?:-\d+)?\.json$/.test(name.slice(trace.length + 1));
}

/** A copy of `trace` in `folder` holding `bytes` already, if there is one. */
async function existingCopy(
  folder: string,
  trace: string,
  bytes: Uint8Array,
): Promise<string | undefined> {
  for await (const entry of Deno.readDir(folder)) {
    if (!entry.isFile || !isCopyName(entry.name, trace)) continue;
    const path = join(folder, entry.name);
    try {
      if (sameBytes(await readFileNoFollow(path), bytes)) return path;
    } catch (error) {
      // Gone meanwhile, or swapped for a link: not a copy.
      if (!(error instanceof SymlinkRefusedError || error instanceof Deno.errors.NotFound)) {
        throw error;
      }
    }
  }
  return undefined;
}

/**
 * Keeps a result file's bytes in `.state/replaced/`; resolves to the copy's path and
 * whether it is new (false: the same bytes were kept there already).
 */
export async function saveReplacedCopy(
  { outDir, trace, bytes, at }: ReplacedCopy,
): Promise<{ path: string; created: boolean }> {
  const folder = replacedFolder(outDir);
  await refuseLinkedCopyFolders(outDir);
  await Deno.mkdir(folder, { recursive: true });
  await refuseLinkedCopyFolders(outDir); // not swapped for a link meanwhile
  const kept = await existingCopy(folder, trace, bytes);
  if (kept !== undefined) return { path: kept, created: false };
  const { path, file } = await createCopy(folder, trace, at);
  try {
    await writeAll(file, bytes);
    await file.syncData();
  } catch (error) {
    throw runtimeError(`Cannot write the copy "${path}": ${describeError(error, path)}`);
  } finally {
    file.close();
  }
  return { path, created: true };
}
