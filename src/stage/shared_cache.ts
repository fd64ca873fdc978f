/**
 * `--db` for an LLM stage: the completion cache of the shared work store
 * (`store/work_store.ts`, PostgreSQL or a Deno KV file) instead of the folder of
 * `--cache-dir`, so stages run on several machines (or again on another one) pay for each
 * answer once. `openSharedCache` opens the store (its schema migrated) before the stage's
 * requests; `close` ends it after.
 *
 * @module
 */
import type { CompletionCache } from "../llm/completion_cache.ts";
import type { LlmOptions } from "../llm/llm_config.ts";
import { openWorkStore } from "../store/open_work_store.ts";
import type { WorkStore } from "../store/work_store.ts";

export interface SharedCache {
  /** The store's cache; undefined without `--db` (the stage uses `--cache-dir`). */
  cache?: CompletionCache;
  /** The store itself (its stored files: a stage's finished steps), with `--db`. */
  store?: WorkStore;
  close(): Promise<void>;
}

/** Opens the cache `llm.db` names, if any. */
export async function openSharedCache(llm: Pick<LlmOptions, "db">): Promise<SharedCache> {
  if (llm.db === undefined) return { close: () => Promise.resolve() };
  const store = await openWorkStore(llm.db);
  return { cache: store.completions, store, close: () => store.close() };
}
