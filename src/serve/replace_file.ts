import { basename, dirname, join } from "node:path";

/**
 * Replaces `path` with `text` atomically but without waiting for the disk: the bytes go to
 * a temporary file in the same folder (one write), which is renamed over the target.
 * Readers (and a restarted server after `kill -9`, since the bytes are in the OS's cache)
 * see the old file or the new one, never half of either. Only an OS crash or power loss
 * before the next `syncFile` may lose the newest version; for files that mirror the store
 * (the result files, rebuilt from KV at every start) that costs nothing, and skipping the
 * per-write fsync keeps the disk free for the store's commits. A failure removes the
 * temporary file and leaves the target as it was.
 */
export async function replaceFile(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.tmp-${crypto.randomUUID().slice(0, 8)}`);
  try {
    await Deno.writeTextFile(temp, text);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/** Flushes the file at `path` (as it is now) to disk. */
export async function syncFile(path: string): Promise<void> {
  const file = await Deno.open(path, { read: true });
  try {
    await file.syncData();
  } finally {
    file.close();
  }
}

/**
 * Flushes a folder's entries (the renames done in it) to disk. Platforms that cannot open
 * a folder as a file (Windows) are skipped: there a rename is durable once the file is.
 */
export async function syncFolder(path: string): Promise<void> {
  let folder: Deno.FsFile;
  try {
    folder = await Deno.open(path, { read: true });
  } catch {
    return;
  }
  try {
    await folder.sync();
  } catch {
    // Some file systems refuse fsync on a folder; the files themselves are synced.
  } finally {
    folder.close();
  }
}
