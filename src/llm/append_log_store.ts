/**
 * A key → JSON store made of append-only segment files (JSON Lines), for the completion
 * cache. Each opened store appends to a segment of its own (`<time>-<random>.jsonl`), so
 * several processes can share a folder; lines waiting while a write is under way go out
 * together in the next write (group commit), so an entry costs far less than a file of
 * its own. On first use the store scans every segment once and keeps only an index
 * (key → file, offset, length); `get` reads the one line it needs.
 *
 * Each line is `{"key":"<64 hex>",…}`. A process killed mid-write leaves at most one
 * torn last line in its own segment: it has no newline, so it is not indexed (or it fails
 * to parse and `get` reports it as corrupt). Nothing is fsynced: a killed process loses
 * nothing the kernel already has, and whatever a power cut damages is simply missing.
 */
import { openNoFollow } from "../store/no_follow.ts";
import { join } from "node:path";

interface Location {
  path: string;
  offset: number;
  length: number;
}

interface PendingLine {
  key: string;
  bytes: Uint8Array;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** What `get` found: nothing, a parsed line, or a line that is not JSON. */
export type StoredLine =
  | { found: false }
  | { found: true; value: Record<string, unknown> }
  | { found: true; corrupt: true; path: string };

export interface AppendLogStore {
  get(key: string): Promise<StoredLine>;
  /** Appends `{key, ...fields}` and resolves once it is written. */
  append(key: string, fields: Record<string, unknown>): Promise<void>;
}

const KEY = /^[0-9a-f]{64}$/;
const PREFIX = '{"key":"';
const HEAD_LENGTH = PREFIX.length + 64 + 1;
const CHUNK = 1 << 20;
const NEWLINE = 10;

export function openAppendLogStore(
  folder: string,
  { now = Date.now }: { now?: () => number } = {},
): AppendLogStore {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  let index: Promise<Map<string, Location>> | undefined;
  const loaded = () => index ??= loadIndex(folder);
  let segment: string | undefined;
  let size = 0;
  let queue: PendingLine[] = [];
  let draining: Promise<void> | undefined;

  const drain = async () => {
    try {
      while (queue.length > 0) {
        const batch = queue;
        queue = [];
        try {
          const map = await loaded();
          if (segment === undefined) {
            await Deno.mkdir(folder, { recursive: true });
            const stamp = new Date(now()).toISOString().replace(/[-:.]/g, "");
            segment = join(folder, `${stamp}-${crypto.randomUUID().slice(0, 8)}.jsonl`);
            size = 0;
          }
          await appendBytes(segment, concat(batch.map((line) => line.bytes)));
          for (const line of batch) {
            map.set(line.key, { path: segment, offset: size, length: line.bytes.length - 1 });
            size += line.bytes.length;
          }
          for (const line of batch) line.resolve();
        } catch (error) {
          segment = undefined; // never append after a possibly torn line
          for (const line of batch) line.reject(error);
        }
      }
    } finally {
      draining = undefined;
    }
  };

  return {
    async get(key) {
      const location = (await loaded()).get(key);
      if (!location) return { found: false };
      const bytes = await readRange(location);
      try {
        const value = JSON.parse(decoder.decode(bytes));
        if (value?.key === key) return { found: true, value };
      } catch { /* reported below */ }
      return { found: true, corrupt: true, path: location.path };
    },
    append(key, fields) {
      if (!KEY.test(key)) {
        return Promise.reject(new RangeError(`A store key must be 64 hex digits, got "${key}"`));
      }
      const { key: _, ...rest } = fields;
      // The key goes first (`{"key":"…"`): the index scan reads it without parsing lines.
      const line = encoder.encode(JSON.stringify({ key, ...rest }) + "\n");
      return new Promise<void>((resolve, reject) => {
        queue.push({ key, bytes: line, resolve, reject });
        draining ??= drain();
      });
    },
  };
}

async function loadIndex(folder: string): Promise<Map<string, Location>> {
  const index = new Map<string, Location>();
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(folder)) {
      if (entry.isFile && entry.name.endsWith(".jsonl")) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return index;
    throw error;
  }
  names.sort(); // oldest first: a later entry for the same key wins
  for (const name of names) await scanSegment(join(folder, name), index);
  return index;
}

/** Indexes every complete line of one segment, reading it in chunks. */
async function scanSegment(path: string, index: Map<string, Location>): Promise<void> {
  const file = await Deno.open(path, { read: true });
  try {
    const buffer = new Uint8Array(CHUNK);
    let chunkStart = 0;
    let lineStart = 0;
    let head: number[] = [];
    for (;;) {
      const n = await file.read(buffer);
      if (n === null) break;
      const chunk = buffer.subarray(0, n);
      let pos = 0;
      while (pos < n) {
        const newline = chunk.indexOf(NEWLINE, pos);
        const end = newline === -1 ? n : newline;
        for (let i = pos; i < end && head.length < HEAD_LENGTH; i++) head.push(chunk[i]);
        if (newline === -1) break;
        const key = keyOf(head);
        if (key) {
          index.set(key, { path, offset: lineStart, length: chunkStart + newline - lineStart });
        }
        lineStart = chunkStart + newline + 1;
        head = [];
        pos = newline + 1;
      }
      chunkStart += n;
    }
  } finally {
    file.close();
  }
}

function keyOf(head: number[]): string | undefined {
  if (head.length < HEAD_LENGTH) return undefined;
  const text = String.fromCharCode(...head);
  if (!text.startsWith(PREFIX) || text[HEAD_LENGTH - 1] !== '"') return undefined;
  const key = text.slice(PREFIX.length, PREFIX.length + 64);
  return KEY.test(key) ? key : undefined;
}

async function readRange({ path, offset, length }: Location): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  const file = await Deno.open(path, { read: true });
  try {
    await file.seek(offset, Deno.SeekMode.Start);
    let read = 0;
    while (read < length) {
      const n = await file.read(bytes.subarray(read));
      if (n === null) break;
      read += n;
    }
    return bytes.subarray(0, read);
  } finally {
    file.close();
  }
}

async function appendBytes(path: string, bytes: Uint8Array): Promise<void> {
  // A link planted in the cache folder is refused, never appended to.
  const file = await openNoFollow(path, { append: true, create: true });
  try {
    for (let written = 0; written < bytes.length;) {
      written += await file.write(bytes.subarray(written));
    }
  } finally {
    file.close();
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
