/**
 * When and how long to retry a failed request: 429, 408, 409, 5xx, connection errors and
 * deadlines are retried with exponential backoff and full jitter; a `Retry-After` (or
 * `retry-after-ms`) header is honoured as given, even above 60 s, up to a cap. Other
 * failures (400, 401, 404, …) fail at once. Attempts are bounded.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { runtimeError } from "../cli/errors.ts";
import { DeadlineExceededError } from "./deadline.ts";

export interface RetryPolicy {
  /** Retries after the first attempt (so `maxRetries + 1` attempts at most). */
  maxRetries: number;
  /** First backoff ceiling; doubles each retry. */
  baseDelayMs: number;
  /** Largest backoff ceiling (without Retry-After). */
  maxDelayMs: number;
  /** Largest Retry-After wait honoured. */
  retryAfterCapMs: number;
}

export const DEFAULT_BACKOFF = { baseDelayMs: 1_000, maxDelayMs: 60_000 } as const;

/** What went wrong with one attempt. */
export interface Failure {
  retryable: boolean;
  /** One line for messages, e.g. "429 Rate limit reached". */
  reason: string;
  status?: number;
  /** The server's Retry-After, in milliseconds. */
  retryAfterMs?: number;
}

const RETRYABLE_STATUS = new Set([408, 409, 429]);

/** Classifies an error thrown by the openai client (or by `withDeadline`). */
export function classifyFailure(error: unknown, now: number): Failure {
  if (error instanceof DeadlineExceededError) {
    return { retryable: true, reason: `timed out: ${error.message}` };
  }
  if (error instanceof APIConnectionTimeoutError) {
    return { retryable: true, reason: "timed out waiting for the response headers" };
  }
  if (error instanceof APIUserAbortError) return { retryable: false, reason: "aborted" };
  if (error instanceof APIConnectionError) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return { retryable: true, reason: `connection failed${cause}` };
  }
  if (error instanceof APIError && typeof error.status === "number") {
    const status = error.status;
    return {
      retryable: RETRYABLE_STATUS.has(status) || status >= 500,
      reason: firstLine(error.message),
      status,
      retryAfterMs: parseRetryAfter(error.headers, now),
    };
  }
  if (error instanceof TypeError) {
    return { retryable: true, reason: `connection failed: ${firstLine(error.message)}` };
  }
  return {
    retryable: false,
    reason: error instanceof Error ? firstLine(error.message) : String(error),
  };
}

/**
 * The server's requested wait in milliseconds: `retry-after-ms`, else `Retry-After` as
 * seconds (decimals allowed) or as an HTTP date. Undefined when absent or unreadable.
 */
export function parseRetryAfter(
  headers: Headers | Record<string, string> | undefined,
  now: number,
): number | undefined {
  if (!headers) return undefined;
  const get = (name: string) =>
    headers instanceof Headers ? headers.get(name) : headers[name] ?? headers[name.toLowerCase()];
  const ms = get("retry-after-ms");
  if (ms !== null && ms !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Number(ms);
  const value = get("retry-after")?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Full jitter: a uniform wait in [0, min(maxDelay, baseDelay × 2^retryIndex)). */
export function backoffDelayMs(
  retryIndex: number,
  policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs">,
  random: () => number,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retryIndex);
  return Math.floor(random() * ceiling);
}

/** The wait before retry number `retryIndex` (0-based) after `failure`. */
export function retryDelayMs(
  failure: Failure,
  retryIndex: number,
  policy: RetryPolicy,
  random: () => number,
): { delayMs: number; capped: boolean } {
  if (failure.retryAfterMs !== undefined) {
    const capped = failure.retryAfterMs > policy.retryAfterCapMs;
    return { delayMs: Math.min(failure.retryAfterMs, policy.retryAfterCapMs), capped };
  }
  return { delayMs: backoffDelayMs(retryIndex, policy, random), capped: false };
}

export interface RetryDeps {
  policy: RetryPolicy;
  /** Waits; rejects when `signal` aborts. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
  now: () => number;
  signal?: AbortSignal;
  /** Names the target in the final error, e.g. `endpoint "gpt" (https://…, model m)`. */
  target: string;
  /** Called before each wait (for stats and logs). */
  onRetry?: (info: { attempt: number; failure: Failure; delayMs: number; capped: boolean }) => void;
  /** Applied to every message that leaves this function (key redaction). */
  redact?: (text: string) => string;
}

/**
 * Runs `attempt` until it succeeds, a failure is not retryable, or `maxRetries` retries
 * are spent; then throws a runtime error naming the target, the attempts and the reason.
 * An abort of `signal` is rethrown as it is.
 */
export async function withRetries<T>(
  attempt: (attemptIndex: number) => Promise<T>,
  deps: RetryDeps,
): Promise<T> {
  const redact = deps.redact ?? ((text: string) => text);
  for (let index = 0;; index++) {
    deps.signal?.throwIfAborted();
    try {
      return await attempt(index);
    } catch (error) {
      if (deps.signal?.aborted) throw deps.signal.reason;
      const failure = classifyFailure(error, deps.now());
      const attempts = index + 1;
      if (!failure.retryable) {
        throw runtimeError(redact(`Request to ${deps.target} failed: ${failure.reason}`));
      }
      if (index >= deps.policy.maxRetries) {
        throw runtimeError(
          redact(
            `Request to ${deps.target} failed after ${attempts} attempt${
              attempts === 1 ? "" : "s"
            }: ${failure.reason}`,
          ),
        );
      }
      const { delayMs, capped } = retryDelayMs(failure, index, deps.policy, deps.random);
      deps.onRetry?.({
        attempt: attempts,
        failure: { ...failure, reason: redact(failure.reason) },
        delayMs,
        capped,
      });
      await deps.sleep(delayMs, deps.signal);
    }
  }
}

/** A `setTimeout` sleep that rejects with the signal's reason on abort. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function firstLine(text: string): string {
  return text.split("\n")[0];
}
