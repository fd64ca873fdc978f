import { assert, assertEquals } from "../../tests/assert.ts";
import { createMemoryLogger } from "../cli/testing/memory_logger.ts";
import { openCompletionCache } from "./completion_cache.ts";
import { createLlmClient, requestBody } from "./llm_client.ts";
import { LlmStats } from "./llm_stats.ts";
import { MAX_SEED, sampleSeed } from "./sample_seed.ts";
import { startFakeOpenAiServer } from "./testing/fake_openai_server.ts";

const messages = [{ role: "user" as const, content: "judge this" }];
const endpoint = { model: "m", params: { temperature: 0 } };

Deno.test("sampleSeed: 31 bits, stable, different per tag, messages and base", () => {
  const request = { model: "m", messages, params: {}, tag: "copy:0/attempt:1" };
  const seed = sampleSeed(request);
  assert(Number.isInteger(seed) && seed >= 0 && seed <= MAX_SEED);
  assertEquals(sampleSeed({ ...request }), seed);
  const others = [
    sampleSeed({ ...request, tag: "copy:0/attempt:2" }),
    sampleSeed({ ...request, messages: [{ role: "user", content: "judge that" }] }),
    sampleSeed(request, 7),
  ];
  for (const other of others) assert(other !== seed);
});

Deno.test("requestBody adds the derived seed unless the call sets one or the model says seed: false", () => {
  const first = requestBody(endpoint, messages, {}, "attempt:1");
  const second = requestBody(endpoint, messages, {}, "attempt:2");
  assertEquals(first.params.temperature, 0);
  assertEquals(
    first.params.seed,
    sampleSeed({ model: "m", messages, params: { temperature: 0 }, tag: "attempt:1" }),
  );
  assert(first.params.seed !== second.params.seed);
  assertEquals(requestBody(endpoint, messages, { seed: 5 }, "attempt:1").params.seed, 5);
  assertEquals("seed" in requestBody({ ...endpoint, seed: false }, messages, {}).params, false);
  // A configured params.seed is a base, not the seed sent.
  const based = requestBody({ ...endpoint, params: { seed: 9 } }, messages, {}, "attempt:1");
  assertEquals(
    based.params.seed,
    sampleSeed({ model: "m", messages, params: {}, tag: "attempt:1" }, 9),
  );
});

Deno.test("attempt 2 sends another seed; a re-run replays both attempts from the cache", async () => {
  await using server = await startFakeOpenAiServer({
    handler: (body) => ({ texts: `sample for seed ${body.seed}` }),
  });
  const dir = await Deno.makeTempDir({ prefix: "sample_seed_test_" });
  try {
    const run = () =>
      createLlmClient({
        endpoint: {
          alias: "vllm",
          baseUrl: server.baseUrl,
          model: "m",
          apiKeys: [],
          params: { temperature: 0 },
          concurrency: 2,
        },
        settings: { maxRetries: 0, timeoutMs: 5_000, retryAfterCapMs: 1_000, maxRepairs: 0 },
        cache: openCompletionCache({ dir }),
        stats: new LlmStats(),
        logger: createMemoryLogger(),
      });
    const client = run();
    const one = await client.chat(messages, {}, { cacheTag: "copy:0/attempt:1" });
    const two = await client.chat(messages, {}, { cacheTag: "copy:0/attempt:2" });
    assertEquals(server.requests.length, 2);
    const [seed1, seed2] = server.requests.map((r) => r.seed);
    assert(typeof seed1 === "number" && typeof seed2 === "number" && seed1 !== seed2);
    assert(one.choices[0] !== two.choices[0]);

    const again = run(); // a new run, same cache folder
    const replay1 = await again.chat(messages, {}, { cacheTag: "copy:0/attempt:1" });
    const replay2 = await again.chat(messages, {}, { cacheTag: "copy:0/attempt:2" });
    assertEquals(server.requests.length, 2);
    assertEquals([replay1.cached, replay2.cached], [true, true]);
    assertEquals([replay1.choices, replay2.choices], [one.choices, two.choices]);

    // seed: false sends none, and so is another cache entry.
    const unseeded = createLlmClient({
      endpoint: {
        alias: "strict",
        baseUrl: server.baseUrl,
        model: "m",
        apiKeys: [],
        params: { temperature: 0 },
        concurrency: 2,
        seed: false,
      },
      settings: { maxRetries: 0, timeoutMs: 5_000, retryAfterCapMs: 1_000, maxRepairs: 0 },
      cache: openCompletionCache({ dir }),
      stats: new LlmStats(),
      logger: createMemoryLogger(),
    });
    await unseeded.chat(messages, {}, { cacheTag: "copy:0/attempt:1" });
    assertEquals(server.requests.length, 3);
    assertEquals("seed" in server.requests[2], false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
