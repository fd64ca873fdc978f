/**
 * A shared datagen worker and its database (`shared_datagen.ts`): `withStoreRetry` retries
 * a store call while the store is unreachable (refused or lost connections, PostgreSQL
 * shutting down or starting, a busy KV file), with growing pauses, for up to
 * `--db-timeout`, then fails naming the store (never its password); `holdClaim` keeps a
 * scene's lease renewed while it plays and aborts the scene when the lease is lost, or when
 * it could not be renewed and is about to run out (so another worker can take it over).
 *
 * @module
 */
import { describeError, runtimeError } from "../cli/errors.ts";
import type { Logger } from "../cli/logger.ts";
import { abortableSleep } from "../llm/retry_policy.ts";
import { isBusyError } from "../store/kv_lease_store.ts";
import type { SceneClaim, WorkStore } from "../store/work_store.ts";

export interface StoreRetry {
  timeoutMs: number;
  /** The store, for messages (no password). */
  where: string;
  logger: Logger;
  signal?: AbortSignal;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Store calls made and the time they took (retries included), counted here. */
  timing?: { calls: number; ms: number };
}

/** The longest pause between two tries: a restarted database is used again within it. */
const MAX_PAUSE_MS = 2_000;

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);

/** True when `error` (or its cause) says the store cannot be reached now (worth retrying). */
export function isStoreUnavailable(error: unknown, depth = 0): boolean {
  const cause = (error as { cause?: unknown })?.cause;
  if (cause !== undefined && depth < 5 && isStoreUnavailable(cause, depth + 1)) return true;
  if (isBusyError(error)) return true;
  const code = String((error as { code?: unknown })?.code ?? "");
  if (CONNECTION_CODES.has(code)) return true;
  // SQLSTATE class 08 (connection exception), 57P01-57P03 (shutdown, crash, starting up).
  if (/^08|^57P0[123]$/.test(code)) return true;
  const message = error instanceof Error ? error.message : String(error);
  return /connection refused|ECONNREFUSED|terminating connection|the database system is (starting|shutting)/i
    .test(message);
}

/** `operation`, retried while the store is unreachable, for up to `timeoutMs` in all. */
export async function withStoreRetry<T>(
  operation: () => Promise<T>,
  retry: StoreRetry,
): Promise<T> {
  const started = performance.now();
  try {
    return await retried(operation, retry);
  } finally {
    if (retry.timing) {
      retry.timing.calls++;
      retry.timing.ms += performance.now() - started;
    }
  }
}

async function retried<T>(operation: () => Promise<T>, retry: StoreRetry): Promise<T> {
  const now = retry.now ?? Date.now;
  const sleep = retry.sleep ?? abortableSleep;
  let since: number | undefined;
  for (let attempt = 0;; attempt++) {
    try {
      const result = await operation();
      if (since !== undefined) retry.logger.info(`The database ${retry.where} answers again`);
      return result;
    } catch (error) {
      if (!isStoreUnavailable(error) || retry.signal?.aborted) throw error;
      since ??= now();
      const waited = now() - since;
      if (waited >= retry.timeoutMs) {
        throw runtimeError(
          `Lost the database ${retry.where}: no answer for ${Math.round(waited / 1000)} s ` +
            `(--db-timeout ${Math.round(retry.timeoutMs / 1000)} s): ${describeError(error)}`,
          error,
        );
      }
      if (attempt === 0) {
        retry.logger.warn(
          `Cannot reach the database ${retry.where} (${describeError(error)}); trying again ` +
            `for up to ${Math.round(retry.timeoutMs / 1000)} s`,
        );
      }
      await sleep(
        Math.min(MAX_PAUSE_MS, 250 * 2 ** Math.min(attempt, 6), retry.timeoutMs - waited),
      );
    }
  }
}

export interface HeldClaim {
  /** Aborted when the lease is lost or about to run out unrenewed. */
  readonly signal: AbortSignal;
  /** The claim as last renewed. */
  current(): SceneClaim;
  /** Stops renewing (idempotent). */
  stop(): void;
}

/** Keeps `claim` renewed every third of `ttlMs` (see the module doc). */
export function holdClaim(
  store: WorkStore,
  claim: SceneClaim,
  { ttlMs, now = Date.now, logger }: { ttlMs: number; now?: () => number; logger: Logger },
): HeldClaim {
  const lost = new AbortController();
  let current = claim;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const every = Math.max(1, Math.floor(ttlMs / 3));
  const renew = async () => {
    try {
      const renewed = await store.scenes.renew(current, ttlMs);
      if (stopped) return;
      if (!renewed) {
        lost.abort(new Error(`the lease of "${claim.key}" was taken over by another worker`));
        return;
      }
      current = renewed;
    } catch (error) {
      if (stopped) return;
      logger.warn(`Cannot renew the lease of "${claim.key}": ${describeError(error)}`);
      // Give up before the lease runs out, so the scene is not played twice at once.
      if (now() + every >= current.expiresAt) {
        lost.abort(
          new Error(
            `the lease of "${claim.key}" could not be renewed (the database is unreachable): ` +
              "abandoned before it ran out; another worker will take it over",
          ),
        );
        return;
      }
    }
    if (!stopped) timer = setTimeout(renew, every);
  };
  timer = setTimeout(renew, every);
  return {
    signal: lost.signal,
    current: () => current,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
