import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { LlmStats } from "./llm_stats.ts";

Deno.test("LlmStats sums per endpoint and in total", () => {
  const stats = new LlmStats();
  const a = { alias: "a", model: "m1", baseUrl: "https://u:secret@api.test/v1?key=zz" };
  const b = { alias: "b", model: "m2", baseUrl: "http://127.0.0.1:1/v1" };
  stats.add(a, { calls: 1, requests: 2, retries: 1, promptTokens: 1200, completionTokens: 30 });
  stats.add(a, { cacheHits: 1, calls: 1 });
  stats.add(b, { calls: 1, requests: 1, repairs: 1, failures: 1 });
  assertEquals(stats.totals, {
    calls: 3,
    requests: 3,
    retries: 1,
    repairs: 1,
    cacheHits: 1,
    promptTokens: 1200,
    completionTokens: 30,
    failures: 1,
  });
  const json = stats.toJSON();
  assertEquals(json.endpoints.length, 2);
  assertEquals(json.endpoints[0].baseUrl, "https://api.test/v1");
  assertEquals(json.endpoints[0].requests, 2);
  assert(!JSON.stringify(json).includes("secret"));
  const text = stats.formatStats();
  assertStringIncludes(text, "LLM: 3 calls, 3 requests (1 retries), 1 repairs, 1 cache hits");
  assertStringIncludes(text, "tokens 1,200 prompt + 30 completion, 1 failures");
  assertStringIncludes(text, "  b (m2): 1 call");
});
