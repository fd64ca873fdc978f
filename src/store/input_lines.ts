/**
 * JSONL inputs line by line, under the rules of `read_input.ts`: a leading byte order mark
 * dropped, bytes that are not UTF-8 refused with their offset and line, a folder or a
 * missing file named. Lines end at `\n`; a `\r` before it (or at the end of the file) is
 * not part of the line; every line is numbered from 1, blank ones included.
 *
 * Memory stays bounded by one line: a line longer than `MAX_INPUT_LINE_BYTES` is refused
 * as soon as that many of its bytes have arrived, without holding the rest of it.
 */
import { inputError, ProactiveError } from "../cli/errors.ts";
import { folderError, openError } from "./read_input.ts";
import { decodeUtf8, formatCap, startsWithBom, UTF8_BOM } from "./utf8_text.ts";

/**
 * The longest line of a JSONL input: 16 MiB (its bytes, without the line break). The
 * longest real lines are reward items and gym records holding whole conversations, tens to
 * hundreds of KiB; 16 MiB is far above them, while one line's text and its parsed value
 * stay within a few hundred MiB of memory.
 */
export const MAX_INPUT_LINE_BYTES = 16 * 1024 * 1024;

export interface InputLine {
  /** 1-based. */
  line: number;
  text: string;
}

export interface InputLineOptions {
  /** What the file is, for messages: "reward input" gives `The reward input "a.jsonl" …`. */
  what?: string;
  /** The cap on one line (default `MAX_INPUT_LINE_BYTES`). */
  maxLineBytes?: number;
}

const NEWLINE = 0x0a;
const RETURN = 0x0d;

/**
 * Cuts a file's bytes, chunk by chunk, into decoded lines. Holds at most one unfinished
 * line (`peakBufferedBytes` tells the most it held).
 */
export class InputLineSplitter {
  readonly #source: string;
  readonly #what: string | undefined;
  readonly #cap: number;
  #pending = new Uint8Array(0);
  #length = 0;
  #peak = 0;
  /** Lines emitted so far. */
  #line = 0;
  /** The file offset of the first byte of the line being read. */
  #offset = 0;

  constructor(source: string, options: InputLineOptions = {}) {
    this.#source = source;
    this.#what = options.what;
    this.#cap = options.maxLineBytes ?? MAX_INPUT_LINE_BYTES;
  }

  /** The most bytes of an unfinished line held at once. */
  get peakBufferedBytes(): number {
    return this.#peak;
  }

  /** The lines `chunk` completes, in order. */
  push(chunk: Uint8Array): InputLine[] {
    const lines: InputLine[] = [];
    let start = 0;
    while (start <= chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline === -1) {
        this.#hold(chunk.subarray(start));
        break;
      }
      const piece = chunk.subarray(start, newline);
      if (this.#length === 0) {
        lines.push(this.#emit(piece));
      } else {
        this.#hold(piece);
        lines.push(this.#emit(this.#pending.subarray(0, this.#length)));
        this.#length = 0;
      }
      this.#offset++; // the newline
      start = newline + 1;
    }
    return lines;
  }

  /** The last line, when the file does not end with a line break. */
  end(): InputLine[] {
    if (this.#length === 0) return [];
    const last = this.#emit(this.#pending.subarray(0, this.#length));
    this.#length = 0;
    this.#pending = new Uint8Array(0);
    return [last];
  }

  /** Keeps `bytes` of the unfinished line; refuses it once it is over the cap. */
  #hold(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const needed = this.#length + bytes.length;
    // Room for a `\r` (and, on line 1, a byte order mark) beyond the cap.
    const slack = this.#line === 0 ? UTF8_BOM.length + 1 : 1;
    if (needed > this.#cap + slack) throw this.#tooLong(this.#line + 1);
    if (needed > this.#pending.length) {
      const grown = new Uint8Array(
        Math.min(Math.max(needed, 2 * this.#pending.length), this.#cap + slack),
      );
      grown.set(this.#pending.subarray(0, this.#length));
      this.#pending = grown;
    }
    this.#pending.set(bytes, this.#length);
    this.#length = needed;
    this.#peak = Math.max(this.#peak, needed);
  }

  #emit(bytes: Uint8Array): InputLine {
    const line = ++this.#line;
    const skip = line === 1 && startsWithBom(bytes) ? UTF8_BOM.length : 0;
    let end = bytes.length;
    if (end > skip && bytes[end - 1] === RETURN) end--;
    if (end - skip > this.#cap) throw this.#tooLong(line);
    const text = decodeUtf8(bytes.subarray(skip, end), {
      source: this.#source,
      what: this.#what,
      offset: this.#offset + skip,
      line,
    });
    this.#offset += bytes.length;
    return { line, text };
  }

  #tooLong(line: number): ProactiveError {
    const file = `${this.#what === undefined ? "" : `the ${this.#what} `}"${this.#source}"`;
    return inputError(
      `Line ${line} of ${file} is longer than the ${formatCap(this.#cap)} cap on one line`,
    );
  }
}

/** The lines of a byte stream (`source` names it in errors). */
export async function* splitInputLines(
  chunks: AsyncIterable<Uint8Array>,
  source: string,
  options: InputLineOptions = {},
): AsyncGenerator<InputLine> {
  const splitter = new InputLineSplitter(source, options);
  try {
    for await (const chunk of chunks) yield* splitter.push(chunk);
  } catch (error) {
    throw error instanceof ProactiveError ? error : openError(error, source, options.what);
  }
  yield* splitter.end();
}

/** Opens an input file for reading; refuses a missing path or a folder, naming it. */
export async function openInputFile(path: string, what?: string): Promise<Deno.FsFile> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    throw openError(error, path, what);
  }
  let info: Deno.FileInfo;
  try {
    info = await file.stat();
  } catch (error) {
    file.close();
    throw openError(error, path, what);
  }
  if (info.isDirectory) {
    file.close();
    throw folderError(path, what);
  }
  return file;
}

/** The lines of the input file `path` (see the module doc). */
export async function* readInputLines(
  path: string,
  options: InputLineOptions = {},
): AsyncGenerator<InputLine> {
  const file = await openInputFile(path, options.what);
  yield* splitInputLines(file.readable, path, options);
}
