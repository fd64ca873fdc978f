/**
 * Strict UTF-8 decoding for input files: text that is not UTF-8 is refused with the byte
 * offset (from 0) and the line of its first bad byte, never turned into U+FFFD. The fast
 * path is the platform's decoder; the offset is only searched for when it refuses.
 */
import { inputError, type ProactiveError } from "../cli/errors.ts";

/** The UTF-8 byte order mark (EF BB BF). */
export const UTF8_BOM: readonly number[] = [0xef, 0xbb, 0xbf];

/** True when `bytes` (from `start`) begin with the UTF-8 byte order mark. */
export function startsWithBom(bytes: Uint8Array, start = 0): boolean {
  return bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf;
}

/** The allowed range of the second byte after each lead byte (Unicode table 3-7). */
function secondByteRange(lead: number): [low: number, high: number, length: number] | null {
  if (lead >= 0xc2 && lead <= 0xdf) return [0x80, 0xbf, 2];
  if (lead === 0xe0) return [0xa0, 0xbf, 3];
  if (lead === 0xed) return [0x80, 0x9f, 3]; // no UTF-16 surrogates
  if (lead >= 0xe1 && lead <= 0xef) return [0x80, 0xbf, 3];
  if (lead === 0xf0) return [0x90, 0xbf, 4];
  if (lead >= 0xf1 && lead <= 0xf3) return [0x80, 0xbf, 4];
  if (lead === 0xf4) return [0x80, 0x8f, 4]; // nothing past U+10FFFF
  return null;
}

/**
 * The index of the first byte of `bytes[start, end)` that does not begin or continue a
 * well-formed UTF-8 character (for a character cut short, its lead byte), or -1 when all
 * of it is UTF-8.
 */
export function invalidUtf8Index(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let i = start;
  while (i < end) {
    const lead = bytes[i];
    if (lead < 0x80) {
      i++;
      continue;
    }
    const range = secondByteRange(lead);
    if (range === null) return i;
    const [low, high, length] = range;
    if (i + length > end) return i;
    const second = bytes[i + 1];
    if (second < low || second > high) return i;
    for (let k = 2; k < length; k++) {
      const next = bytes[i + k];
      if (next < 0x80 || next > 0xbf) return i;
    }
    i += length;
  }
  return -1;
}

/** The number of newline bytes (0x0A) in `bytes[start, end)`. */
export function countNewlines(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let count = 0;
  for (let i = bytes.indexOf(10, start); i !== -1 && i < end; i = bytes.indexOf(10, i + 1)) {
    count++;
  }
  return count;
}

/** How an input file is named in messages: `"a.json"`, or `The seed file "a.yaml"`. */
export function inputName(source: string, what?: string): string {
  return what === undefined ? JSON.stringify(source) : `The ${what} ${JSON.stringify(source)}`;
}

/** Where the bad byte of a refused text is: its file offset (from 0) and line (from 1). */
export interface BadByte {
  offset: number;
  line: number;
  value: number;
}

/** `"a.json" is not UTF-8 text: invalid byte 0xff at byte offset 12 (line 3)`. */
export function notUtf8Error(source: string, bad: BadByte, what?: string): ProactiveError {
  const hex = `0x${bad.value.toString(16).padStart(2, "0")}`;
  return inputError(
    `${inputName(source, what)} is not UTF-8 text: invalid byte ${hex} at byte offset ` +
      `${bad.offset} (line ${bad.line})`,
  );
}

/** Decoders keep no state between calls without `stream`, so these can be shared. */
const lenient = new TextDecoder("utf-8", { ignoreBOM: true });
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Where the text to decode sits in its file, for the offset and line of a bad byte. */
export interface TextPlace {
  source: string;
  what?: string;
  /** The file offset of `bytes[0]` (default 0). */
  offset?: number;
  /** The line of `bytes[0]` (default 1). */
  line?: number;
}

/**
 * `bytes` as text; a byte order mark is kept (callers strip it where the file starts).
 * Text that is not UTF-8 is refused naming the file, the offset and the line of the first
 * bad byte. The lenient decoder is the faster one, so the strict check runs only on text
 * that holds U+FFFD (from bad bytes, or written as such).
 */
export function decodeUtf8(bytes: Uint8Array, place: TextPlace): string {
  const text = lenient.decode(bytes);
  if (!text.includes("\ufffd")) return text;
  try {
    return strict.decode(bytes);
  } catch {
    const index = invalidUtf8Index(bytes);
    const at = index < 0 ? 0 : index; // the platform refused: trust it
    throw notUtf8Error(place.source, {
      offset: (place.offset ?? 0) + at,
      line: (place.line ?? 1) + countNewlines(bytes, 0, at),
      value: bytes[at] ?? 0,
    }, place.what);
  }
}

/** A whole file's bytes as text: a leading byte order mark is dropped (see `decodeUtf8`). */
export function decodeInputBytes(bytes: Uint8Array, source: string, what?: string): string {
  const start = startsWithBom(bytes) ? UTF8_BOM.length : 0;
  return decodeUtf8(bytes.subarray(start), { source, what, offset: start });
}

/** A cap in words: `16 MiB`, or `1000 bytes` when it is not a whole number of MiB. */
export function formatCap(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${mib} MiB` : `${bytes} bytes`;
}
