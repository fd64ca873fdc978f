/**
 * The shared completion cache on Deno KV (`CompletionCache` of `llm/completion_cache.ts`,
 * part of the KV work store): `[…, "completion", key]` → `{chunks, id}` and
 * `[…, "completion_chunk", key, id, i]` → the completion's JSON in chunks. The chunks are
 * written first, then the head only where none is (a versionstamp check), so the first
 * answer stored for a key is kept and a racing second one removes its own chunks. An entry
 * whose chunks are missing or whose JSON is broken counts as missing.
 *
 * @module
 */
import type { Completion, CompletionCache } from "../llm/completion_cache.ts";
import {
  chunksOf,
  commit,
  deleteUnder,
  get,
  type KvContext,
  readChunks,
  writeChunks,
} from "./kv_chunks.ts";

interface CompletionHead {
  chunks: number;
  id: string;
}

const encoder = new TextEncoder();

/** The completion cache of a KV work store (see the module doc). */
export function createKvCompletionCache(ctx: KvContext): CompletionCache {
  const headKey = (key: string): Deno.KvKey => [...ctx.prefix, "completion", key];
  const chunkBase = (key: string, id: string): Deno.KvKey => [
    ...ctx.prefix,
    "completion_chunk",
    key,
    id,
  ];
  return {
    enabled: true,
    async get(key) {
      const head = (await get<CompletionHead>(ctx, headKey(key))).value;
      if (!head) return undefined;
      const text = await readChunks(ctx, chunkBase(key, head.id), head.chunks);
      return text === undefined ? undefined : parseCompletion(text);
    },
    async put(key, _request, completion) {
      if ((await get<CompletionHead>(ctx, headKey(key))).versionstamp !== null) return;
      const id = crypto.randomUUID();
      const chunks = chunksOf(encoder.encode(JSON.stringify(completion)));
      await writeChunks(ctx, chunkBase(key, id), chunks);
      const head: CompletionHead = { chunks: chunks.length, id };
      const written = await commit(
        ctx,
        (op) => op.check({ key: headKey(key), versionstamp: null }).set(headKey(key), head),
      );
      // Another answer was stored first: it is kept, this one goes.
      if (!written.ok) await deleteUnder(ctx, chunkBase(key, id));
    },
  };
}

/** The stored completion, or undefined when the text is not one (treated as missing). */
function parseCompletion(text: string): Completion | undefined {
  try {
    const completion = JSON.parse(text) as Completion;
    return Array.isArray(completion?.choices) ? completion : undefined;
  } catch {
    return undefined;
  }
}
