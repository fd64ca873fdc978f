/**
 * Deno KV plumbing of the work store (`kv_work_store.ts`, `kv_completion_cache.ts`):
 * operations retried (bounded) while SQLite says another process holds the file, lists
 * read page by page, and values of any size stored as UTF-8 chunks of at most
 * `CHUNK_BYTES` (a KV value holds 64 KiB, a commit 800 KiB).
 *
 * @module
 */
import { busyRetried } from "./kv_lease_store.ts";

/** What every part of a KV work store works with. */
export interface KvContext {
  kv: Deno.Kv;
  prefix: Deno.KvKey;
  now: () => number;
}

/** The size of one stored chunk of a log or a completion, in bytes. */
export const CHUNK_BYTES = 60_000;
/** Chunks written per commit (a commit holds at most 800 KiB). */
const CHUNKS_PER_COMMIT = 10;
/** Deletions per commit. */
const DELETES_PER_COMMIT = 100;
/** Entries read per page when listing. */
const PAGE_SIZE = 100;

const decoder = new TextDecoder();

/** Runs `operation`, retried while the file is busy (`busyRetried`, `kv_lease_store.ts`). */
export function whenFree<T>(operation: () => Promise<T>): Promise<T> {
  return busyRetried(operation);
}

/** Builds and commits one atomic operation (rebuilt for each busy retry). */
export function commit(ctx: KvContext, build: (op: Deno.AtomicOperation) => void) {
  return whenFree(() => {
    const op = ctx.kv.atomic();
    build(op);
    return op.commit();
  });
}

export function get<T>(ctx: KvContext, key: Deno.KvKey): Promise<Deno.KvEntryMaybe<T>> {
  return whenFree(() => ctx.kv.get<T>(key));
}

/** Every entry under `prefix` (read in one go: for small indexes and limited lists). */
export function listAll<T>(
  ctx: KvContext,
  prefix: Deno.KvKey,
  limit?: number,
): Promise<Deno.KvEntry<T>[]> {
  return whenFree(() => Array.fromAsync(ctx.kv.list<T>({ prefix }, { limit })));
}

/** Every entry under `prefix`, in key order, read page by page. */
export async function* listPages<T>(
  ctx: KvContext,
  prefix: Deno.KvKey,
): AsyncGenerator<Deno.KvEntry<T>> {
  let cursor: string | undefined;
  for (;;) {
    const page = await whenFree(async () => {
      const iterator = ctx.kv.list<T>({ prefix }, { limit: PAGE_SIZE, cursor });
      const entries = await Array.fromAsync(iterator);
      return { entries, cursor: iterator.cursor };
    });
    yield* page.entries;
    if (page.entries.length < PAGE_SIZE) return;
    cursor = page.cursor;
  }
}

/** `bytes` cut into chunks of at most `CHUNK_BYTES` (none for no bytes). */
export function chunksOf(bytes: Uint8Array): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += CHUNK_BYTES) {
    chunks.push(bytes.subarray(at, at + CHUNK_BYTES));
  }
  return chunks;
}

/** Writes `chunks` at `[...base, i]`, a few per commit. */
export async function writeChunks(
  ctx: KvContext,
  base: Deno.KvKey,
  chunks: Uint8Array[],
): Promise<void> {
  for (let first = 0; first < chunks.length; first += CHUNKS_PER_COMMIT) {
    const batch = chunks.slice(first, first + CHUNKS_PER_COMMIT);
    await commit(ctx, (op) => batch.forEach((chunk, i) => op.set([...base, first + i], chunk)));
  }
}

/** Deletes every entry under `base`. */
export async function deleteUnder(ctx: KvContext, base: Deno.KvKey): Promise<void> {
  for (;;) {
    const entries = await listAll(ctx, base, DELETES_PER_COMMIT);
    if (entries.length === 0) return;
    await commit(ctx, (op) => entries.forEach((entry) => op.delete(entry.key)));
  }
}

/** The chunks under `base`, joined and decoded; undefined unless there are `count`. */
export async function readChunks(ctx: KvContext, base: Deno.KvKey, count: number) {
  const parts: Uint8Array[] = [];
  for await (const entry of listPages<Uint8Array>(ctx, base)) parts.push(entry.value);
  if (parts.length !== count) return undefined;
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return decoder.decode(bytes);
}
