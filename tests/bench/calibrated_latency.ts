/**
 * Latency for the benchmarks' fake servers that is the latency asked for. A timer in Deno
 * fires 1–2 ms after the delay it was given (measured here: `setTimeout(r, 50)` took
 * 50.5–52.5 ms, 51.5 ms on average), so a server pausing 50 ms with one timer answers after
 * ~51.5 ms and every benchmark ratio against a 50 ms ideal counts that excess as the
 * client's. This wrapper keeps a running estimate of the excess and sets each timer that
 * much short, so the mean pause is the latency asked for; the server reports the mean it
 * actually served, and the benchmark tables print it.
 */
import type { FakeHandler } from "../../src/llm/testing/fake_openai_server.ts";

export interface CalibratedLatency {
  /** The handler, pausing for each reply's `delayMs` itself. */
  handler: FakeHandler;
  /** Mean pause served so far, in ms (0 before any). */
  meanMs(): number;
}

/** Wraps `handler`: its replies' `delayMs` are served as calibrated pauses. */
export function withCalibratedLatency(handler: FakeHandler): CalibratedLatency {
  let excessMs = 1.5; // the first guess; each pause refines it
  let served = 0;
  let totalMs = 0;
  return {
    async handler(body, info) {
      const { delayMs = 0, ...reply } = await handler(body, info);
      if (delayMs > 0) {
        const started = performance.now();
        const aim = Math.max(0, delayMs - excessMs);
        await new Promise((resolve) => setTimeout(resolve, aim));
        const took = performance.now() - started;
        excessMs += (took - aim - excessMs) * 0.2;
        served++;
        totalMs += took;
      }
      return reply;
    },
    meanMs: () => served === 0 ? 0 : totalMs / served,
  };
}
