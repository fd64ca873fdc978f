/**
 * The state several `datagen` workers share, behind one small interface with two engines:
 * the local Deno KV file (`kv_work_store.ts`, the zero-setup default on one machine) and
 * PostgreSQL (`postgres_work_store.ts`, `--db postgres://…`, for many machines). The same
 * behavioural suite (`testing/work_store_suite.ts`) runs against both.
 *
 * - `scenes`, the scene queue: scenes are enqueued once (by key), claimed one at a time by
 *   workers — the next pending one, or one whose lease expired — with an owner, a token, an
 *   expiry renewed while the worker plays it, and an attempt count; completion is fenced by
 *   the token, so a worker whose lease was taken over cannot overwrite its new owner's
 *   result; a scene whose attempts reach the limit is marked failed with its last reason
 *   and not claimed again until `retryFailed`. Each complete log is stored with its scene.
 * - `files`, what resumable steps finished (`eval agent`'s predictions), by key;
 * - `runs`, the accounting of every worker run (scenes, requests, tokens), for `status`;
 * - `completions`, the shared completion cache (`CompletionCache` of `llm/completion_cache.ts`,
 *   keyed exactly as the local one): the first answer stored for a key is kept, a racing
 *   second one never replaces it.
 *
 * Times are milliseconds of the store's clock (`now`, the workers' clocks: keep them in
 * step, NTP does, to well within a lease's time to live).
 *
 * @module
 */
import type { CompletionCache } from "../llm/completion_cache.ts";

/** Where a scene stands. */
export type SceneStatus = "pending" | "leased" | "done" | "failed";

/** A scene to enqueue: its key (unique) and its configuration, as text. */
export interface SceneToEnqueue {
  key: string;
  payload: string;
}

/** A scene a worker holds. */
export interface SceneClaim {
  key: string;
  payload: string;
  owner: string;
  /** Unique to this claim: renew, complete, fail and release act only with it. */
  token: string;
  /** This claim's attempt, from 1 (2: the scene's earlier worker did not finish it). */
  attempt: number;
  expiresAt: number;
}

/** A scene as `list` shows it. */
export interface SceneRow {
  key: string;
  status: SceneStatus;
  attempts: number;
  /** The worker holding it (leased), or that finished it (done). */
  owner?: string;
  /** Until when it is leased. */
  expiresAt?: number;
  /** Why it failed last (failed, or pending after a failure). */
  reason?: string;
  doneAt?: number;
}

export interface ClaimOptions {
  ttlMs: number;
  /** Attempts after which a scene whose lease ran out is failed instead of claimed again. */
  maxAttempts: number;
}

export interface SceneQueue {
  /** Adds the scenes not known yet (by key); known ones are left as they are. */
  enqueue(scenes: readonly SceneToEnqueue[]): Promise<{ added: number; known: number }>;
  /**
   * Claims the next scene in key order that is pending or whose lease expired (attempt
   * count + 1); undefined when none is. A scene whose lease expired after `maxAttempts`
   * attempts is marked failed ("its worker stopped …") and skipped. Atomic: of workers
   * racing, each scene goes to one.
   */
  claim(owner: string, options: ClaimOptions): Promise<SceneClaim | undefined>;
  /** Extends the claim to `ttlMs` from now; undefined when it is no longer ours. */
  renew(claim: SceneClaim, ttlMs: number): Promise<SceneClaim | undefined>;
  /** Marks the scene done with its complete log; false (nothing written) when not ours. */
  complete(claim: SceneClaim, log: string): Promise<boolean>;
  /**
   * The attempt failed with `reason`: the scene is pending again, or failed once its
   * attempts reach `maxAttempts`; "lost" (nothing written) when the claim is not ours.
   */
  fail(
    claim: SceneClaim,
    reason: string,
    maxAttempts: number,
  ): Promise<"pending" | "failed" | "lost">;
  /** Gives the scene back unplayed (an interrupt): pending, this attempt not counted. */
  release(claim: SceneClaim): Promise<void>;
  /** Failed scenes become pending again with no attempt counted; resolves to how many. */
  retryFailed(): Promise<number>;
  /** True while some scene is pending or leased (cheap: what an idle worker asks). */
  hasOpenWork(): Promise<boolean>;
  /** Every scene, in key order. */
  list(): Promise<SceneRow[]>;
  /** The log of every done scene, in key order (read one at a time). */
  logs(): AsyncIterable<{ key: string; log: string }>;
}

/** What one worker run did, as it reported at its end (its summary's figures). */
export interface RunAccount {
  owner: string;
  /** When it reported (ms). */
  at: number;
  scenes: { done: number; failed: number; taken: number; interrupted: number };
  requests: number;
  promptTokens: number;
  completionTokens: number;
  durationMs: number;
}

/** The accounting of the runs that shared the store, one entry per worker run. */
export interface RunAccounts {
  /** Stores (or replaces) the account of `account.owner`. */
  record(account: RunAccount): Promise<void>;
  /** Every run's account, by owner. */
  list(): Promise<RunAccount[]>;
}

/**
 * Files kept in the store by key (`eval-agent/<model>/<trace>.json`, …): what a resumable
 * step has finished, so a run on another machine resumes from it without a shared folder.
 */
export interface StoredFiles {
  /** The text stored under `key`, if any. */
  get(key: string): Promise<string | undefined>;
  /** Stores `text` under `key`, replacing what was there. */
  put(key: string, text: string): Promise<void>;
  /** The keys that start with `prefix`, in order. */
  keys(prefix: string): Promise<string[]>;
}

export interface WorkStore {
  readonly engine: "kv" | "postgres";
  /** Where the store is, for messages: a path, or the database URL without its password. */
  readonly where: string;
  readonly scenes: SceneQueue;
  readonly completions: CompletionCache;
  readonly runs: RunAccounts;
  readonly files: StoredFiles;
  close(): Promise<void>;
}

/** The reason a scene gets when its worker's lease ran out `attempts` times. */
export function expiredReason(attempts: number): string {
  return `its worker stopped renewing the lease (${attempts} attempt${attempts === 1 ? "" : "s"})`;
}
