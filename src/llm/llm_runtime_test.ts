import { assert, assertEquals, assertStringIncludes, assertThrows } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { createMemoryLogger } from "../cli/testing/memory_logger.ts";
import { parseLlmFlags } from "./llm_config.ts";
import { createLlmRuntime } from "./llm_runtime.ts";
import { startFakeOpenAiServer } from "./testing/fake_openai_server.ts";

Deno.test("createLlmRuntime: one client per endpoint, shared limiter, cache and stats", async () => {
  const server = await startFakeOpenAiServer({ handler: () => ({ texts: "hi", delayMs: 5 }) });
  const dir = await Deno.makeTempDir();
  try {
    const config = `
models:
  a: { base_url: "${server.baseUrl}", model: model-a, concurrency: 2 }
  b: { base_url: "${server.baseUrl}", model: model-b }
roles: { default: a, user: a, agent: b }
`;
    const options = parseLlmFlags({ "cache-dir": dir }, () => undefined, {
      config: { path: "test.yaml", text: config },
      roles: ["user", "agent", "default"],
    });
    const llm = createLlmRuntime(options, { logger: createMemoryLogger() });
    assert(llm.client("user") === llm.client("default"));
    assert(llm.client("user") !== llm.client("agent"));
    const user = llm.client("user");
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => user.chat([{ role: "user", content: `q${i}` }])),
    );
    await llm.client("agent").chat([{ role: "user", content: "q0" }]);
    await user.chat([{ role: "user", content: "q0" }]);
    assertEquals(server.requests.map((r) => r.model).filter((m) => m === "model-b").length, 1);
    assert(server.maxInFlight <= 2, `max in flight ${server.maxInFlight}`);
    assertEquals(user.limiter.maxInFlight, 2);
    assertEquals(llm.stats.totals.requests, 9);
    assertEquals(llm.stats.totals.cacheHits, 1);
    assertStringIncludes(llm.stats.formatStats(), "b (model-b): 1 call");
    const error = assertThrows(() => llm.client("scenes"), ProactiveError);
    assertStringIncludes(error.message, 'role "scenes"');
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
