/**
 * Load shedding for the API. Past `LoadLimits` (requests in flight, or operations queued in
 * the `CommitBatcher`) a new request is answered at once with 503 and `Retry-After: 1`
 * instead of queueing, so the requests already accepted keep their latency; the page
 * retries by itself (`static/api_client.js`). `createApp` (`serve_app.ts`) puts the
 * middleware on `/api/*` except `/api/health`, whose 503 must mean stale result files.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { jsonResponse } from "./http_guards.ts";

/**
 * When the server counts as saturated. Past either bound a new API request is answered at
 * once with 503, `Retry-After: 1` and `{"error": "Server too busy, retrying"}` instead of
 * queueing behind the others, so the requests already accepted keep their latency; the page
 * retries such answers by itself (static/api_client.js).
 */
export interface LoadLimits {
  /** API requests being handled at once. */
  maxInFlight: number;
  /** Operations waiting for their KV commit (see `CommitBatcher.queued`). */
  maxQueuedCommits: number;
}

export const DEFAULT_LOAD_LIMITS: LoadLimits = { maxInFlight: 256, maxQueuedCommits: 1024 };

export const TOO_BUSY = "Server too busy, retrying";

/** What the shedder counts and how often it shed (for tests and the log). */
export interface LoadShedder {
  middleware: MiddlewareHandler;
  readonly inFlight: number;
  readonly shed: number;
}

/** A Hono middleware that sheds API requests past `limits` (see `LoadLimits`). */
export function createLoadShedder(
  limits: Partial<LoadLimits> = {},
  commits: { readonly queued: number } = { queued: 0 },
): LoadShedder {
  const { maxInFlight, maxQueuedCommits } = { ...DEFAULT_LOAD_LIMITS, ...limits };
  let inFlight = 0;
  let shed = 0;
  const middleware: MiddlewareHandler = async (_c, next) => {
    if (inFlight >= maxInFlight || commits.queued >= maxQueuedCommits) {
      shed++;
      return jsonResponse({ error: TOO_BUSY }, 503, { "Retry-After": "1" });
    }
    inFlight++;
    try {
      await next();
      return undefined;
    } finally {
      inFlight--;
    }
  };
  return {
    middleware,
    get inFlight() {
      return inFlight;
    },
    get shed() {
      return shed;
    },
  };
}
