/**
 * The result folder as one zip, for the admin's download (`GET /api/admin/results.zip`,
 * `status_routes.ts`): `results/<trace>.json` for every result file `<out>/<trace>.json`
 * (`result_writer.ts`) and `results/notes/<trace>.json` for every side file in
 * `<out>/notes/` when that folder exists, each sorted by name. Nothing else goes in: not
 * `<out>/.state/` (the store's locks and replaced copies), no other name starting with "."
 * (the writer's temporary files are `.<name>.tmp-*`), no symbolic link, nothing outside
 * `<out>`.
 *
 * The zip is streamed: the folder is listed when the request comes, then each file is read
 * in 64 KiB chunks, deflated and sent only as fast as the client reads, one file at a time,
 * so neither the zip nor a whole folder is ever held in memory. A file gone between the
 * listing and its turn (or no longer a plain file) is left out; any other read error is
 * logged and errors the stream, so the client sees a failed download rather than a
 * truncated zip that looks complete.
 *
 * The zip format is fflate's (`Zip` with `ZipDeflate`), not written by hand here: CRC-32,
 * local headers, data descriptors and the central directory are easy to get subtly wrong.
 * fflate writes no zip64, so past 65,535 entries or 4 GiB the download fails (logged)
 * instead of producing a zip whose offsets wrapped around.
 *
 * @module
 */
import { NOTES_FOLDER } from "../formats/notes_file.ts";
import { Zip, ZipDeflate } from "fflate";
import { join } from "node:path";
import { describeError } from "../cli/errors.ts";
import type { Logger } from "../cli/logger.ts";
import { SECURITY_HEADERS } from "./http_guards.ts";

const CHUNK_BYTES = 64 * 1024;
/** The limits of a zip without zip64: entries, and bytes (every offset must fit). */
const MAX_ENTRIES = 0xffff;
const MAX_ZIP_BYTES = 0xffff_ffff;

/** What `resultZipResponse` reads. */
export interface ResultZipOptions {
  /** The result folder (`--out`). */
  outDir: string;
  logger: Logger;
  /** The clock: the download's file name and the time of entries with no usable mtime. */
  now: () => number;
}

/** One file of the zip: its name in the zip and where it is read from. */
interface ZipEntry {
  name: string;
  path: string;
}

/**
 * The download of the result folder: `200 application/zip`, named
 * `results-<UTC time>.zip`, its body streamed (see the module doc). The folder is listed
 * before answering, so an unreadable folder rejects (a 500) instead of a broken download.
 */
export async function resultZipResponse(options: ResultZipOptions): Promise<Response> {
  const entries = await listEntries(options.outDir);
  if (entries.length > MAX_ENTRIES) {
    throw new Error(`${entries.length} files are too many for a zip (at most ${MAX_ENTRIES})`);
  }
  return new Response(ReadableStream.from(zipChunks(entries, options)), {
    headers: {
      "Content-Type": "application/zip",
      "Content-Disposition": `attachment; filename="${zipFileName(options.now())}"`,
      "Cache-Control": "no-store",
      ...SECURITY_HEADERS,
    },
  });
}

/** `results-20261207T203000Z.zip` for that instant (UTC, to the second). */
export function zipFileName(at: number): string {
  const stamp = new Date(at).toISOString().replace(/\.\d+Z$/, "Z").replace(/[-:]/g, "");
  return `results-${stamp}.zip`;
}

/** The result files, then the side files in `notes/` (when that is a real folder). */
async function listEntries(outDir: string): Promise<ZipEntry[]> {
  const notes = join(outDir, NOTES_FOLDER);
  const notesInfo = await lstatOrNull(notes);
  return [
    ...await jsonFilesIn(outDir, "results/"),
    ...notesInfo?.isDirectory ? await jsonFilesIn(notes, "results/notes/") : [],
  ];
}

/** The plain `*.json` files directly in `dir` not starting with ".", sorted by name. */
async function jsonFilesIn(dir: string, prefix: string): Promise<ZipEntry[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && !entry.name.startsWith(".") && entry.name.endsWith(".json")) {
      names.push(entry.name);
    }
  }
  return names.sort().map((name) => ({ name: prefix + name, path: join(dir, name) }));
}

/** The zip's bytes, file after file; logs and rethrows what fails. */
async function* zipChunks(
  entries: ZipEntry[],
  options: ResultZipOptions,
): AsyncGenerator<Uint8Array> {
  const sink = zipSink();
  try {
    for (const entry of entries) yield* fileChunks(sink, entry, options);
    sink.zip.end();
    yield* sink.take();
  } catch (error) {
    options.logger.error(
      `The download of the results zip of "${options.outDir}" failed: ${describeError(error)}`,
    );
    throw error;
  }
}

/** A `Zip` whose output is collected for `take()`, which throws what went wrong. */
function zipSink(): { zip: Zip; take(): Uint8Array[] } {
  const pending: Uint8Array[] = [];
  let written = 0;
  let failure: Error | undefined;
  const zip = new Zip((error, chunk) => {
    if (error) failure ??= error;
    else if ((written += chunk.length) > MAX_ZIP_BYTES) {
      failure ??= new Error("The results are too big for a zip (at most 4 GiB)");
    } else pending.push(chunk);
  });
  return {
    zip,
    take() {
      if (failure) throw failure;
      return pending.splice(0);
    },
  };
}

/** One entry's part of the zip: nothing when its file is gone or no longer a plain file. */
async function* fileChunks(
  sink: ReturnType<typeof zipSink>,
  entry: ZipEntry,
  options: ResultZipOptions,
): AsyncGenerator<Uint8Array> {
  const file = await openPlainFile(entry.path);
  if (!file) {
    options.logger.debug(`Results zip: "${entry.path}" is gone, left out`);
    return;
  }
  try {
    const member = new ZipDeflate(entry.name, { level: 6 });
    member.mtime = zipTime((await file.stat()).mtime, options.now);
    sink.zip.add(member);
    for (let done = false; !done;) {
      const chunk = await readChunk(file);
      done = chunk === null;
      member.push(chunk ?? new Uint8Array(0), done);
      yield* sink.take();
    }
  } finally {
    file.close();
  }
}

/**
 * `path` opened for reading if it is still a plain file (checked again just before, so a
 * symbolic link put in its place after the listing is not followed); null if it is gone.
 */
async function openPlainFile(path: string): Promise<Deno.FsFile | null> {
  if (!(await lstatOrNull(path))?.isFile) return null;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  if ((await file.stat()).isFile) return file;
  file.close();
  return null;
}

/** The next chunk of `file`, a fresh buffer each time (the zip may keep it); null at the end. */
async function readChunk(file: Deno.FsFile): Promise<Uint8Array | null> {
  const buffer = new Uint8Array(CHUNK_BYTES);
  const read = await file.read(buffer);
  return read === null ? null : buffer.subarray(0, read);
}

/** The file's mtime if a zip can hold it (1980 to 2099), else now. */
function zipTime(mtime: Date | null, now: () => number): Date {
  const year = mtime?.getFullYear() ?? 0;
  return mtime && year >= 1980 && year <= 2099 ? mtime : new Date(now());
}

async function lstatOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}
