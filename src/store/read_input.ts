/**
 * The one reader of input files (the counterpart of `atomic_write.ts`): every command
 * reads its JSON, YAML, Markdown and text inputs with `readInputText` and its JSONL
 * inputs line by line with `readInputLines` (`input_lines.ts`). The rules, for all:
 *
 * - a leading UTF-8 byte order mark is dropped;
 * - text that is not UTF-8 is refused naming the file and the byte offset (from 0) and
 *   line of its first bad byte (`"a.json" is not UTF-8 text: invalid byte 0xff at byte
 *   offset 12 (line 3)`); it never becomes U+FFFD;
 * - a folder where a file is expected is `"x" is a folder, not a file`, a missing file
 *   `"x" does not exist`;
 * - a file over `MAX_INPUT_FILE_BYTES` is refused before it is read whole, naming the
 *   cap and the line where the file reaches it.
 *
 * Every failure is an input error (exit 1) whose message names the file.
 */
import { readFileNoFollow, SymlinkRefusedError } from "./no_follow.ts";
import { describeError, describeOsError, inputError, ProactiveError } from "../cli/errors.ts";
import { countNewlines, decodeInputBytes, formatCap, inputName } from "./utf8_text.ts";

/**
 * The largest input file read whole: 256 MiB. The biggest inputs read whole are datasets
 * and gym logs of tens of MiB; a JSON or YAML text this size already takes a few GiB once
 * parsed, and V8 strings stop at about 512 Mi UTF-16 units, so a larger file could not be
 * parsed anyway. JSONL files are read line by line and are not capped as a whole.
 */
export const MAX_INPUT_FILE_BYTES = 256 * 1024 * 1024;

export interface ReadInputOptions {
  /** What the file is, for messages: "seed file" gives `The seed file "s.yaml" …`. */
  what?: string;
  /** The cap on the file's size (default `MAX_INPUT_FILE_BYTES`). */
  maxBytes?: number;
  /**
   * For a file in an output folder that the command rewrites (its earlier output): a
   * symbolic link is refused (`SymlinkRefusedError`) and nothing is read from its target.
   */
  noFollow?: boolean;
}

/** True for a missing file: the platform's NotFound or a reader error caused by one. */
export function isMissingFile(error: unknown): boolean {
  if (error instanceof Deno.errors.NotFound) return true;
  return error instanceof ProactiveError && error.cause instanceof Deno.errors.NotFound;
}

/** The input error for a failed open, stat or read of `path`. */
export function openError(error: unknown, path: string, what?: string): ProactiveError {
  const name = inputName(path, what);
  if (error instanceof Deno.errors.NotFound) return inputError(`${name} does not exist`, error);
  if (error instanceof Deno.errors.IsADirectory) {
    return inputError(`${name} is a folder, not a file`, error);
  }
  const sentence = error instanceof Error ? describeOsError(error, path) : undefined;
  if (sentence === undefined) {
    const file = `${what === undefined ? "" : `the ${what} `}${JSON.stringify(path)}`;
    return inputError(`Cannot read ${file}: ${describeError(error)}`, error);
  }
  return inputError(what === undefined ? sentence : `Cannot read the ${what}: ${sentence}`, error);
}

/** The input error for a folder where the file `path` was expected. */
export function folderError(path: string, what?: string): ProactiveError {
  return inputError(`${inputName(path, what)} is a folder, not a file`);
}

/**
 * Looks `path` up (following links, unless `noFollow`: then a link is refused); refuses a
 * missing path or a folder.
 */
async function statInput(path: string, what?: string, noFollow = false): Promise<Deno.FileInfo> {
  let info: Deno.FileInfo;
  try {
    info = noFollow ? await Deno.lstat(path) : await Deno.stat(path);
  } catch (error) {
    throw openError(error, path, what);
  }
  if (info.isSymlink) throw new SymlinkRefusedError(path);
  if (info.isDirectory) throw folderError(path, what);
  return info;
}

/** `statInput`, synchronously. */
function statInputSync(path: string, what?: string): Deno.FileInfo {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    throw openError(error, path, what);
  }
  if (info.isDirectory) throw folderError(path, what);
  return info;
}

function tooLargeError(path: string, cap: number, line: number, what?: string) {
  return inputError(
    `${inputName(path, what)} is larger than the ${formatCap(cap)} cap on one input file ` +
      `(it reaches the cap at line ${line})`,
  );
}

/**
 * All the bytes of a file that is not a regular file (a pipe, a device), up to `cap`: its
 * size is unknown in advance.
 */
async function readStreamed(path: string, cap: number, what?: string): Promise<Uint8Array> {
  const file = await Deno.open(path, { read: true });
  const chunks: Uint8Array[] = [];
  let total = 0;
  let line = 1;
  for await (const chunk of file.readable) {
    if (total + chunk.length > cap) {
      throw tooLargeError(path, cap, line + countNewlines(chunk, 0, cap - total), what);
    }
    chunks.push(chunk);
    total += chunk.length;
    line += countNewlines(chunk);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

/**
 * The bytes of an input file as they are (no decoding: e.g. for its hash); a missing
 * file, a folder and a file over the cap are refused naming it.
 */
export async function readInputBytes(
  path: string,
  options: ReadInputOptions = {},
): Promise<Uint8Array> {
  const { what } = options;
  const cap = options.maxBytes ?? MAX_INPUT_FILE_BYTES;
  const info = await statInput(path, what, options.noFollow);
  try {
    if (!info.isFile && options.noFollow) {
      throw inputError(`${inputName(path, what)} is not a regular file`);
    }
    if (!info.isFile) return await readStreamed(path, cap, what);
    if (info.size > cap) throw tooLargeError(path, cap, lineAtByte(path, cap), what);
    return options.noFollow ? await readFileNoFollow(path) : await Deno.readFile(path);
  } catch (error) {
    throw error instanceof ProactiveError ? error : openError(error, path, what);
  }
}

/** `readInputBytes` for a regular file, synchronously (convert reads many small files). */
export function readInputBytesSync(path: string, options: ReadInputOptions = {}): Uint8Array {
  const { what } = options;
  const cap = options.maxBytes ?? MAX_INPUT_FILE_BYTES;
  const info = statInputSync(path, what);
  if (info.size > cap) throw tooLargeError(path, cap, lineAtByte(path, cap), what);
  try {
    return Deno.readFileSync(path);
  } catch (error) {
    throw openError(error, path, what);
  }
}

/**
 * The line where a file reaches `cap` bytes: its first `cap` bytes are read a MiB at a
 * time and their newlines counted (a refused file is never held in memory).
 */
function lineAtByte(path: string, cap: number): number {
  using file = Deno.openSync(path, { read: true });
  const buffer = new Uint8Array(Math.min(cap, 1024 * 1024));
  let line = 1;
  for (let seen = 0; seen < cap;) {
    const n = file.readSync(buffer.subarray(0, Math.min(buffer.length, cap - seen)));
    if (n === null) break;
    line += countNewlines(buffer, 0, n);
    seen += n;
  }
  return line;
}

/**
 * The text of an input file (JSON, YAML, Markdown…): a leading byte order mark dropped,
 * anything but UTF-8 refused with the offset of the first bad byte (see the module doc).
 */
export async function readInputText(
  path: string,
  options: ReadInputOptions = {},
): Promise<string> {
  return decodeInputBytes(await readInputBytes(path, options), path, options.what);
}

/** `readInputText`, or undefined when the file does not exist (other failures throw). */
export async function readOptionalInputText(
  path: string,
  options: ReadInputOptions = {},
): Promise<string | undefined> {
  try {
    return await readInputText(path, options);
  } catch (error) {
    if (isMissingFile(error)) return undefined;
    throw error;
  }
}

/** `readInputText`, synchronously. */
export function readInputTextSync(path: string, options: ReadInputOptions = {}): string {
  return decodeInputBytes(readInputBytesSync(path, options), path, options.what);
}
