/**
 * The stored files of a KV work store (`StoredFiles` of `work_store.ts`): `[…, "file", key]`
 * → `{id, chunks, at}` and `[…, "file_chunk", key, id, i]` → the text in UTF-8 chunks
 * (`kv_chunks.ts`). A put writes its chunks first, then moves the head to them in one
 * commit checked against the head it read, and only then deletes the chunks it replaced,
 * so a reader never sees a file half written.
 *
 * @module
 */
import { runtimeError } from "../cli/errors.ts";
import type { StoredFiles } from "./work_store.ts";
import {
  chunksOf,
  commit,
  deleteUnder,
  get,
  type KvContext,
  listPages,
  readChunks,
  writeChunks,
} from "./kv_chunks.ts";

interface FileHead {
  id: string;
  chunks: number;
  at: number;
}

/** Puts lost to a concurrent writer before giving up. */
const MAX_CONFLICTS = 20;

const encoder = new TextEncoder();

export function createKvStoredFiles(ctx: KvContext): StoredFiles {
  const headKey = (key: string): Deno.KvKey => [...ctx.prefix, "file", key];
  const chunkBase = (key: string, id: string): Deno.KvKey => [
    ...ctx.prefix,
    "file_chunk",
    key,
    id,
  ];
  return {
    async get(key) {
      const head = (await get<FileHead>(ctx, headKey(key))).value;
      return head ? await readChunks(ctx, chunkBase(key, head.id), head.chunks) : undefined;
    },
    async put(key, text) {
      const id = crypto.randomUUID();
      const chunks = chunksOf(encoder.encode(text));
      await writeChunks(ctx, chunkBase(key, id), chunks);
      for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
        const current = await get<FileHead>(ctx, headKey(key));
        const head: FileHead = { id, chunks: chunks.length, at: ctx.now() };
        const written = await commit(ctx, (op) => op.check(current).set(headKey(key), head));
        if (!written.ok) continue;
        if (current.value) await deleteUnder(ctx, chunkBase(key, current.value.id));
        return;
      }
      await deleteUnder(ctx, chunkBase(key, id));
      throw runtimeError(
        `Cannot store the file "${key}": it kept changing under ${MAX_CONFLICTS} tries`,
      );
    },
    async keys(prefix) {
      const keys: string[] = [];
      for await (const entry of listPages<FileHead>(ctx, [...ctx.prefix, "file"])) {
        const key = String(entry.key[entry.key.length - 1]);
        if (key.startsWith(prefix)) keys.push(key);
      }
      return keys;
    },
  };
}
