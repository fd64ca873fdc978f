/**
 * The child side of `fake_server_process.ts`: serves `handler` on 127.0.0.1 with
 * calibrated latency (`calibrated_latency.ts`), warmed up before it tells the parent its
 * port, until the parent closes stdin; then prints what it served.
 *
 * The warm-up: the first requests a fresh Deno server answers are slow (its handler path is
 * not compiled yet: 10–20 ms more for the first one, measured here), and a benchmark
 * starting a server per run would count that as its client's time. A real endpoint is
 * warm, so the server sends itself `WARM_UP_REQUESTS` requests first; they are answered
 * without latency and left out of the report. The report also has the times (ms since the
 * epoch) the first request arrived and the last answer left, so the benchmark can show the
 * client's time before and after its requests.
 */
import {
  type FakeHandler,
  startFakeOpenAiServer,
} from "../../src/llm/testing/fake_openai_server.ts";
import { withCalibratedLatency } from "./calibrated_latency.ts";

export const WARM_UP_REQUESTS = 200;
const WARM_UP_MODEL = "bench-warm-up";

export async function serveFakeServerProcess(handler: FakeHandler): Promise<void> {
  const latency = withCalibratedLatency(handler);
  const clock = () => performance.timeOrigin + performance.now();
  let firstRequestAt: number | undefined;
  let lastAnswerAt: number | undefined;
  const server = await startFakeOpenAiServer({
    handler: async (body, info) => {
      if (body.model === WARM_UP_MODEL) return { texts: JSON.stringify({ warm: true }) };
      firstRequestAt ??= clock();
      const reply = await latency.handler(body, info);
      lastAnswerAt = clock();
      return reply;
    },
  });
  for (let i = 0; i < WARM_UP_REQUESTS; i++) {
    const response = await fetch(`${server.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: WARM_UP_MODEL,
        messages: [{ role: "system", content: "warm up" }, { role: "user", content: `${i}` }],
      }),
    });
    await response.text();
  }
  console.log(JSON.stringify({ port: server.port }));
  for await (const _ of Deno.stdin.readable) { /* serve until stdin closes */ }
  const report = {
    requests: server.requests.filter((body) => body.model !== WARM_UP_MODEL).length,
    maxInFlight: server.maxInFlight,
    meanLatencyMs: latency.meanMs(),
    firstRequestAt,
    lastAnswerAt,
  };
  await server.close();
  console.log(JSON.stringify(report));
}
