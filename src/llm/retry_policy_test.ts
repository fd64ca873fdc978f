import { APIConnectionError, APIError } from "openai";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { DeadlineExceededError } from "./deadline.ts";
import {
  backoffDelayMs,
  classifyFailure,
  parseRetryAfter,
  retryDelayMs,
  withRetries,
} from "./retry_policy.ts";

const policy = { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 1_000, retryAfterCapMs: 300_000 };

function apiError(status: number, headers: Record<string, string> = {}): APIError {
  return APIError.generate(
    status,
    { message: `status ${status}` },
    undefined,
    new Headers(headers),
  );
}

Deno.test("parseRetryAfter reads seconds, HTTP dates and retry-after-ms", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  assertEquals(parseRetryAfter(new Headers({ "retry-after": "2" }), now), 2_000);
  assertEquals(parseRetryAfter(new Headers({ "retry-after": "0.5" }), now), 500);
  assertEquals(parseRetryAfter(new Headers({ "retry-after": "120" }), now), 120_000);
  assertEquals(
    parseRetryAfter(new Headers({ "retry-after": "Wed, 01 Jan 2025 00:01:30 GMT" }), now),
    90_000,
  );
  assertEquals(parseRetryAfter(new Headers({ "retry-after-ms": "250" }), now), 250);
  assertEquals(parseRetryAfter(new Headers({ "retry-after": "soon" }), now), undefined);
  assertEquals(parseRetryAfter(new Headers(), now), undefined);
});

Deno.test("backoff uses full jitter under a doubling, capped ceiling", () => {
  assertEquals(backoffDelayMs(0, policy, () => 0), 0);
  assertEquals(backoffDelayMs(0, policy, () => 0.5), 50);
  assertEquals(backoffDelayMs(2, policy, () => 0.5), 200);
  assertEquals(backoffDelayMs(10, policy, () => 0.5), 500); // ceiling 1000
});

Deno.test("Retry-After wins over backoff, above 60 s too, up to the cap", () => {
  const failure = { retryable: true, reason: "429", retryAfterMs: 120_000 };
  assertEquals(retryDelayMs(failure, 0, policy, () => 0.5), { delayMs: 120_000, capped: false });
  const long = { ...failure, retryAfterMs: 3_600_000 };
  assertEquals(retryDelayMs(long, 0, policy, () => 0.5), { delayMs: 300_000, capped: true });
});

Deno.test("classifyFailure retries 429, 5xx, 408, timeouts and connection errors only", () => {
  assert(classifyFailure(apiError(429, { "retry-after": "3" }), 0).retryable);
  assertEquals(classifyFailure(apiError(429, { "retry-after": "3" }), 0).retryAfterMs, 3_000);
  assert(classifyFailure(apiError(500), 0).retryable);
  assert(classifyFailure(apiError(503), 0).retryable);
  assert(classifyFailure(apiError(408), 0).retryable);
  assert(!classifyFailure(apiError(400), 0).retryable);
  assert(!classifyFailure(apiError(401), 0).retryable);
  assert(classifyFailure(new DeadlineExceededError(100), 0).retryable);
  assert(classifyFailure(new APIConnectionError({ message: "refused" }), 0).retryable);
  assert(!classifyFailure(new Error("bug"), 0).retryable);
});

Deno.test("withRetries is bounded and names the target in its error", async () => {
  const waits: number[] = [];
  let attempts = 0;
  const error = await assertRejects(
    () =>
      withRetries(() => {
        attempts++;
        return Promise.reject(apiError(503));
      }, {
        policy,
        sleep: (ms) => {
          waits.push(ms);
          return Promise.resolve();
        },
        random: () => 1,
        now: () => 0,
        target: 'endpoint "x"',
      }),
    ProactiveError,
  );
  assertEquals(attempts, 4);
  assertEquals(waits, [100, 200, 400]);
  assertStringIncludes(error.message, 'Request to endpoint "x" failed after 4 attempts: 503');
});

Deno.test("withRetries does not retry a client error and redacts its message", async () => {
  let attempts = 0;
  const error = await assertRejects(
    () =>
      withRetries(() => {
        attempts++;
        return Promise.reject(new Error("bad key sk-live-0123456789abcdef"));
      }, {
        policy,
        sleep: () => Promise.resolve(),
        random: () => 0,
        now: () => 0,
        target: "t",
        redact: (text) => text.replace(/sk-\S+/, "[redacted]"),
      }),
    ProactiveError,
  );
  assertEquals(attempts, 1);
  assertEquals(error.message, "Request to t failed: bad key [redacted]");
});
