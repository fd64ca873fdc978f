// The annotation page's client of the JSON API: one request at a time, errors as ApiError.
// A busy server (503) or a lost connection is retried by itself, a bounded number of times
// with growing, jittered pauses, so an answer is not lost to a moment of overload.

/** An HTTP error from the JSON API: `status` 0 means the server could not be reached. */
export class ApiError extends Error {
  constructor(status, message, retryAfter, data) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
    this.data = data ?? null; // the whole JSON answer (e.g. `current` of a 409)
  }
}

/** Tries after the first one before giving up (about 12 s of pauses in all). */
export const RETRIES = 5;
const FIRST_PAUSE_MS = 400;
const LONGEST_PAUSE_MS = 8000;

/** The pause before retry `n` (1-based): doubling from 0.4 s, at least Retry-After, ±50 %. */
export function retryPause(n, retryAfter) {
  const doubling = Math.min(LONGEST_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (n - 1));
  const asked = Number(retryAfter);
  const floor = Number.isFinite(asked) && asked > 0 ? Math.min(asked * 1000, LONGEST_PAUSE_MS) : 0;
  return Math.round(Math.max(doubling, floor) * (0.5 + Math.random()));
}

function retryable(error) {
  return error.status === 0 || error.status === 503;
}

/**
 * Sends one request (a JSON `body` when given) and returns the parsed JSON answer. 503
 * answers and lost connections are tried again up to RETRIES times; `onRetry({attempt, of,
 * waitMs, error})` is called before each pause. Retrying a POST is safe: Next and a label
 * with `replaces` give the same result when the first try did arrive.
 */
export async function api(method, path, body, { onRetry } = {}) {
  for (let attempt = 1;; attempt++) {
    try {
      return await send(method, path, body);
    } catch (error) {
      if (!(error instanceof ApiError) || !retryable(error)) throw error;
      if (attempt > RETRIES) {
        const message = error.status === 0
          ? `Cannot reach the server (tried ${attempt} times).`
          : `The server is too busy (tried ${attempt} times).`;
        throw new ApiError(error.status, message, error.retryAfter, error.data);
      }
      const waitMs = retryPause(attempt, error.retryAfter);
      onRetry?.({ attempt, of: RETRIES, waitMs, error });
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}

async function send(method, path, body) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, "Cannot reach the server. Check the connection and try again.");
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    // Not JSON: fall through to the generic message below.
  }
  if (!response.ok) {
    const message = data && typeof data.error === "string"
      ? data.error
      : `The server answered HTTP ${response.status}.`;
    throw new ApiError(response.status, message, response.headers.get("Retry-After"), data);
  }
  return data;
}
