import { basename, dirname, join } from "node:path";

/**
 * Replaces `path` with `data` atomically: the bytes go to a temporary file in the same
 * folder, are flushed to disk, and the file is renamed over the target. Readers see the
 * old file or the new one, never half of either; a crash leaves at most a stray
 * `.<name>.tmp-*` file, which is never read.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return writeFilesAtomic([{ path, chunks: [bytes] }]);
}

/** `writeFileAtomic` for JSON text. */
export function writeJsonAtomic(path: string, value: unknown, indent = 2): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, indent) + "\n");
}

/**
 * One file for `writeFilesAtomic`. A chunk is written while the next one is produced, and
 * fully written before the one after is requested: a producer may alternate between two
 * buffers, but must not refill the chunk it yielded last.
 */
export interface AtomicFileContent {
  path: string;
  chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
}

async function writeAll(file: Deno.FsFile, chunk: Uint8Array): Promise<void> {
  for (let written = 0; written < chunk.length;) {
    written += await file.write(chunk.subarray(written));
  }
}

/**
 * Writes several files together, streaming: every file goes to a temporary file in its
 * folder and is flushed; only when all are complete are they renamed over their targets,
 * back to back. A failure while writing removes the temporary files and replaces none.
 * One chunk is written while the next is produced.
 */
export async function writeFilesAtomic(files: readonly AtomicFileContent[]): Promise<void> {
  const temps: string[] = [];
  try {
    for (const { path, chunks } of files) {
      const temp = join(dirname(path), `.${basename(path)}.tmp-${crypto.randomUUID().slice(0, 8)}`);
      temps.push(temp);
      const file = await Deno.open(temp, { write: true, create: true, truncate: true });
      let pending: Promise<void> | undefined;
      try {
        for await (const chunk of chunks) {
          if (pending) await pending;
          pending = writeAll(file, chunk);
        }
        const last = pending;
        pending = undefined;
        await last;
        await file.syncData();
      } finally {
        if (pending) await pending.catch(() => {});
        file.close();
      }
    }
    for (let i = 0; i < files.length; i++) {
      await Deno.rename(temps[i], files[i].path);
      temps[i] = "";
    }
  } catch (error) {
    await Promise.all(temps.filter((t) => t !== "").map((t) => Deno.remove(t).catch(() => {})));
    throw error;
  }
}
