/**
 * The completion cache: every successful completion is kept under the SHA-256 of what
 * determines it — model id, messages and every request parameter (sampling, `n`,
 * `response_format`) plus an optional caller tag — but never the base URL or the key.
 * Re-running a finished stage then makes no requests, and a run killed at any moment
 * re-sends only the requests whose answers were not yet stored.
 *
 * Storage: an append-only log (`append_log_store.ts`) under `<dir>/completions-v1/`,
 * one segment file per run. Not one file per entry: creating a file costs a metadata
 * write, and at 32 requests in flight those writes queue up behind each other (tens of
 * ms per answer measured here), while appends grouped into one write cost microseconds.
 * Not Deno KV: a value there is limited to 64 KiB and a commit to ~800 KiB, so large
 * answers would need a chunking protocol, a commit costs about a millisecond, and a KV
 * handle must be opened and closed. With the log a value of any size is one line, a
 * killed run leaves at most one torn line (ignored), several processes can share the
 * folder, and entries are plain JSON one can inspect. A corrupt entry is reported and
 * treated as missing.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Logger } from "../cli/logger.ts";
import { openAppendLogStore } from "./append_log_store.ts";
import { canonicalJson, type CanonicalMemo, canonicalMessages } from "./canonical_json.ts";

/** Everything that determines a completion. Keys, URLs and headers have no place here. */
export interface CompletionRequest {
  model: string;
  messages: readonly { role: string; content: string }[];
  /** The request body besides model and messages, exactly as sent. */
  params: Readonly<Record<string, unknown>>;
  /** A caller's tag to tell otherwise identical requests apart (e.g. "attempt 2"). */
  tag?: string;
}

export interface CompletionChoice {
  text: string;
  finishReason: string | null;
}

export interface CompletionUsage {
  promptTokens: number;
  completionTokens: number;
}

/** A stored completion. */
export interface Completion {
  choices: CompletionChoice[];
  usage: CompletionUsage;
}

export interface CompletionCache {
  /** False for `--no-cache`: `get` finds nothing and `put` stores nothing. */
  readonly enabled: boolean;
  get(key: string): Promise<Completion | undefined>;
  put(key: string, request: CompletionRequest, completion: Completion): Promise<void>;
}

const FORMAT = "proactive-completion/1";
const FOLDER = "completions-v1";

/**
 * The cache key of a request: hex SHA-256 of its canonical JSON (`canonicalJson` of
 * `{model, messages, params, tag}`).
 */
export function cacheKey(request: CompletionRequest): string {
  return requestKeyer(request.model, canonicalMessages(request.messages))(
    request.params,
    request.tag,
  );
}

/**
 * `cacheKey` for requests that differ only in their parameters and tag (a request without
 * and with its seed): the hash of the part they share — messages and model, most of the
 * bytes — is computed once and copied for each. The pieces hashed are the canonical JSON
 * of the request, keys in sorted order (messages, model, params, tag). `messagesJson` is
 * `canonicalMessages` of the messages; `memo` holds the canonical text of frozen parameter
 * values.
 */
export function requestKeyer(
  model: string,
  messagesJson: string,
): (params: CompletionRequest["params"], tag?: string, memo?: CanonicalMemo) => string {
  const shared = createHash("sha256")
    .update('{"messages":')
    .update(messagesJson)
    .update(`,"model":${JSON.stringify(model)},"params":`);
  return (params, tag, memo) =>
    shared.copy()
      .update(canonicalJson(params, memo))
      .update(`,"tag":${JSON.stringify(tag ?? null)}}`)
      .digest("hex");
}

export interface CacheOptions {
  /** The cache folder, or null for no cache. */
  dir: string | null;
  logger?: Logger;
  now?: () => number;
}

/** Opens the cache in `dir` (created on first write), or a disabled one for null. */
export function openCompletionCache(
  { dir, logger, now = Date.now }: CacheOptions,
): CompletionCache {
  if (dir === null) {
    return { enabled: false, get: () => Promise.resolve(undefined), put: () => Promise.resolve() };
  }
  const store = openAppendLogStore(join(dir, FOLDER), { now });
  return {
    enabled: true,
    async get(key) {
      const line = await store.get(key);
      if (!line.found) return undefined;
      const completion = "value" in line ? readEntry(line.value) : undefined;
      if (!completion) {
        logger?.warn(
          `Ignoring a corrupt completion cache entry in "${"path" in line ? line.path : dir}"`,
        );
      }
      return completion;
    },
    put(key, request, completion) {
      return store.append(key, {
        format: FORMAT,
        storedAt: new Date(now()).toISOString(),
        request,
        completion,
      });
    },
  };
}

function readEntry(entry: Record<string, unknown>): Completion | undefined {
  const completion = entry.completion as Completion | undefined;
  if (entry.format !== FORMAT || !Array.isArray(completion?.choices)) return undefined;
  const choicesOk = completion.choices.every((c) => typeof c?.text === "string");
  if (!choicesOk || typeof completion.usage?.promptTokens !== "number") return undefined;
  return completion;
}
