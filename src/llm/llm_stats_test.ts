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

Deno.test("LlmStats keeps a row per server of an alias on several servers", () => {
  const stats = new LlmStats();
  const cluster = { alias: "c", model: "m", baseUrl: "http://g1/v1, http://k:pw@g2/v1" };
  stats.add(cluster, { calls: 2, requests: 3 });
  stats.addServer(cluster, "http://g1/v1", { requests: 2, promptTokens: 10, completionTokens: 4 });
  stats.addServer(cluster, "http://g2/v1", { requests: 1, failures: 1, setAside: 1 });
  const [row] = stats.toJSON().endpoints;
  assertEquals(row.baseUrl, "http://g1/v1, http://g2/v1", "each URL displayed without secrets");
  assertEquals(row.servers, [
    {
      baseUrl: "http://g1/v1",
      requests: 2,
      promptTokens: 10,
      completionTokens: 4,
      failures: 0,
      setAside: 0,
    },
    {
      baseUrl: "http://g2/v1",
      requests: 1,
      promptTokens: 0,
      completionTokens: 0,
      failures: 1,
      setAside: 1,
    },
  ]);
  assertEquals(stats.totals.requests, 3, "server rows do not add to the totals");
  const text = stats.formatStats();
  assertStringIncludes(
    text,
    "    http://g1/v1: 2 requests, tokens 10 prompt + 4 completion, 0 failed",
  );
  assertStringIncludes(
    text,
    "    http://g2/v1: 1 request, tokens 0 prompt + 0 completion, 1 failed, set aside 1 time",
  );
});
