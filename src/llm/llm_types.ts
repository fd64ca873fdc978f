/** The shapes a stage exchanges with the LLM layer (see `llm_client.ts`). */
import type { SamplingParams } from "./llm_config.ts";
import type { CompletionUsage } from "./completion_cache.ts";

export type ChatRole = "system" | "user" | "assistant";

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/** A JSON-schema `response_format` as the chat completions API takes it. */
export interface JsonSchemaResponseFormat {
  type: "json_schema";
  json_schema: { name: string; schema: Record<string, unknown>; strict: boolean };
}

/** Parameters of one call; they override the endpoint's default `params`. */
export interface ChatParams extends Omit<SamplingParams, "seed"> {
  response_format?: JsonSchemaResponseFormat | { type: "json_object" | "text" };
  /**
   * A seed to send; `null`: send none, not even the derived one (the reference's scripts
   * send no seed); absent: the derived seed (unless the model has `seed: false`).
   */
  seed?: number | null;
}

export interface CallOptions {
  /** Aborts waiting, retrying and the request itself. */
  signal?: AbortSignal;
  /**
   * Part of the cache key but not sent: tells apart requests that are otherwise the
   * same, so each gets its own sample (e.g. `item-17/attempt-2`).
   */
  cacheTag?: string;
  /**
   * Told what each completion of this call cost (a structured call's re-asks included):
   * HTTP requests sent (retries included; 0 from the cache) and tokens. Lets a caller
   * account per item while the stage's `LlmStats` counts everything.
   */
  onUsage?: (usage: CallUsage) => void;
  /**
   * Which waiting request gets the endpoint's next free slot: the highest priority first
   * (default 0). A pipeline gives its critical path the higher one.
   */
  priority?: number;
}

/** What one completion cost; all zero when it came from the cache. */
export interface CallUsage {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  cached: boolean;
  /**
   * The tokens of the answer as the endpoint reported them when it was made — the same
   * whether it came from the endpoint now or from the cache (so accounting that must
   * replay identically uses this); absent when the call got no answer.
   */
  answer?: CompletionUsage;
}

export interface StructuredCallOptions extends CallOptions {
  /** The `json_schema.name` sent (letters, digits, `_`, `-`; default "answer"). */
  schemaName?: string;
  /** `json_schema.strict` (default true: the schema is cut down to what strict mode takes). */
  strict?: boolean;
  /** Overrides `--max-repairs` for this call. */
  maxRepairs?: number;
}

/** The answer to one call: one text per choice (`n` of them). */
export interface ChatReply {
  choices: string[];
  /** `finish_reason` of each choice ("stop", "length", …). */
  finishReasons: (string | null)[];
  /** Tokens of this request (zero when served from the cache). */
  usage: CompletionUsage;
  /** True when the answer came from the completion cache. */
  cached: boolean;
}
