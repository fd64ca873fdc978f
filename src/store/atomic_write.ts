import { basename, dirname, join } from "node:path";
import { describeError, ProactiveError, runtimeError } from "../cli/errors.ts";
import { createExclusive, lstatOrUndefined, SymlinkRefusedError } from "./no_follow.ts";

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

export interface WriteFilesOptions {
  /**
   * While a file is written, what is written so far is flushed to disk in the background
   * every `flushEvery` bytes (default 8 MiB), through a second handle: the disk works
   * while the next chunks are produced, and the flush before the rename has only the
   * tail left. Files smaller than this are flushed once, at the end, as before.
   */
  flushEvery?: number;
}

/**
 * Writes several files together, streaming: every file goes to a temporary file in its
 * folder and is flushed; only when all are complete are they renamed over their targets,
 * back to back. A failure while writing removes the temporary files and replaces none.
 * One chunk is written while the next is produced, and a large file is flushed in the
 * background as it grows (see `WriteFilesOptions`).
 *
 * Nothing is written through a symbolic link: a target that is a link is refused
 * (`SymlinkRefusedError`, before anything is written), and temporary files are created
 * exclusively, so a link planted at a temporary name fails the write instead of being
 * followed. Failures are `ProactiveError`s naming the target (`Cannot write "a.json": No
 * space left on the disk for "a.json"`).
 */
export async function writeFilesAtomic(
  files: readonly AtomicFileContent[],
  { flushEvery = 8 << 20 }: WriteFilesOptions = {},
): Promise<void> {
  const temps: string[] = [];
  let current = files[0]?.path ?? "";
  try {
    for (const { path } of files) {
      current = path;
      if ((await lstatOrUndefined(path))?.isSymlink) throw new SymlinkRefusedError(path);
    }
    for (const { path, chunks } of files) {
      current = path;
      const temp = join(dirname(path), `.${basename(path)}.tmp-${crypto.randomUUID().slice(0, 8)}`);
      const file = await createExclusive(temp);
      temps.push(temp);
      const flusher = new BackgroundFlush(temp, flushEvery);
      let pending: Promise<void> | undefined;
      try {
        for await (const chunk of chunks) {
          if (pending) await pending;
          pending = writeAll(file, chunk);
          flusher.wrote(chunk.length);
        }
        const last = pending;
        pending = undefined;
        await last;
        await flusher.settle();
        await file.syncData();
      } finally {
        if (pending) await pending.catch(() => {});
        await flusher.close();
        file.close();
      }
    }
    for (let i = 0; i < files.length; i++) {
      current = files[i].path;
      await Deno.rename(temps[i], files[i].path);
      temps[i] = "";
    }
  } catch (error) {
    await Promise.all(temps.filter((t) => t !== "").map((t) => Deno.remove(t).catch(() => {})));
    if (error instanceof ProactiveError) throw error;
    throw runtimeError(`Cannot write "${current}": ${describeError(error, current)}`, error);
  }
}

/**
 * Flushes a file being written, in the background, through a handle of its own: Deno runs
 * the operations on one handle one after the other, so a flush on the writer's handle
 * would hold up its writes.
 */
class BackgroundFlush {
  #handle: Deno.FsFile | undefined;
  #running: Promise<void> | undefined;
  #failure: { error: unknown } | undefined;
  #unflushed = 0;

  constructor(readonly path: string, readonly every: number) {}

  /** Counts bytes handed to the writer; starts a flush when enough are new and none runs. */
  wrote(bytes: number): void {
    this.#unflushed += bytes;
    if (this.#unflushed < this.every || this.#running) return;
    this.#unflushed = 0;
    this.#running = this.#flush()
      .catch((error) => {
        this.#failure ??= { error };
      })
      .finally(() => {
        this.#running = undefined;
      });
  }

  async #flush(): Promise<void> {
    this.#handle ??= await Deno.open(this.path, { write: true });
    await this.#handle.syncData();
  }

  /** Waits for the flush in progress; throws if any background flush failed. */
  async settle(): Promise<void> {
    await this.#running;
    if (this.#failure) throw this.#failure.error;
  }

  async close(): Promise<void> {
    await this.#running;
    this.#handle?.close();
    this.#handle = undefined;
  }
}
