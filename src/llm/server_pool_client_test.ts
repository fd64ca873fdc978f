/**
 * One alias on several servers, end to end: the real `openai` client against three fake
 * servers on 127.0.0.1, one of them stopped mid-run and started again on its port.
 */
import { assert, assertEquals } from "../../tests/assert.ts";
import { createMemoryLogger } from "../cli/testing/memory_logger.ts";
import { openCompletionCache } from "./completion_cache.ts";
import { createLlmClient } from "./llm_client.ts";
import { LlmStats } from "./llm_stats.ts";
import { ServerPool } from "./server_pool.ts";
import { type FakeOpenAiServer, startFakeOpenAiServer } from "./testing/fake_openai_server.ts";

const PER_SERVER = 4;

function fakeServer(port?: number): Promise<FakeOpenAiServer> {
  return startFakeOpenAiServer({
    handler: () => ({ texts: "ok", delayMs: 15 }),
    ...(port !== undefined && { port }),
  });
}

function clientOf(servers: FakeOpenAiServer[], pool: ServerPool) {
  const logger = createMemoryLogger();
  const stats = new LlmStats();
  const client = createLlmClient({
    endpoint: {
      alias: "cluster",
      baseUrl: servers[0].baseUrl,
      baseUrls: servers.map((s) => s.baseUrl),
      model: "m",
      apiKeys: [],
      params: {},
      concurrency: PER_SERVER,
    },
    settings: { maxRetries: 4, timeoutMs: 5_000, retryAfterCapMs: 1_000, maxRepairs: 0 },
    cache: openCompletionCache({ dir: null, logger }),
    stats,
    logger,
    pool,
    sleep: () => Promise.resolve(),
    backoff: { baseDelayMs: 1, maxDelayMs: 5 },
  });
  return { client, stats, logger };
}

Deno.test("several servers: the load is spread within 10 %, each within its concurrency", async () => {
  const servers = await Promise.all([fakeServer(), fakeServer(), fakeServer()]);
  try {
    const pool = new ServerPool({ urls: servers.map((s) => s.baseUrl), concurrency: PER_SERVER });
    const { client, stats } = clientOf(servers, pool);
    assertEquals(client.limiter.limit, 3 * PER_SERVER);
    const calls = Array.from(
      { length: 300 },
      (_, i) => client.chat([{ role: "user", content: `question ${i}` }]),
    );
    const replies = await Promise.all(calls);
    assertEquals(replies.every((r) => r.choices[0] === "ok"), true);
    const counts = servers.map((s) => s.requests.length);
    assertEquals(counts.reduce((a, b) => a + b, 0), 300);
    for (const count of counts) assert(Math.abs(count - 100) <= 10, `spread: ${counts}`);
    for (const server of servers) assert(server.maxInFlight <= PER_SERVER, `${server.maxInFlight}`);
    const [row] = stats.toJSON().endpoints;
    assertEquals(row.servers?.map((s) => s.requests), counts, "accounting per server");
    assertEquals(row.baseUrl, servers.map((s) => s.baseUrl).join(", "));
    assertEquals(row.requests, 300);
  } finally {
    for (const server of servers) await server.close();
  }
});

Deno.test("a server stopped mid-run is set aside, loses no request, and is used again once back", async () => {
  const servers = await Promise.all([fakeServer(), fakeServer(), fakeServer()]);
  const urls = servers.map((s) => s.baseUrl);
  try {
    const pool = new ServerPool({
      urls,
      concurrency: PER_SERVER,
      setAside: { baseMs: 20, maxMs: 100 },
      onChange: (server, change) => changes.push(`${server.index} ${change}`),
    });
    const changes: string[] = [];
    const { client, stats } = clientOf(servers, pool);
    const ask = (i: number) => client.chat([{ role: "user", content: `q${i}` }]);
    const first = await Promise.all(Array.from({ length: 60 }, (_, i) => ask(i)));
    const port = servers[1].port;
    await servers[1].close(); // stopped: connections refused
    const whileDown = await Promise.all(Array.from({ length: 90 }, (_, i) => ask(100 + i)));
    const second = await fakeServer(port); // started again on its port
    servers[1] = second;
    // Past its set-aside time the pool tries it again, and it answers.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const after = await Promise.all(Array.from({ length: 90 }, (_, i) => ask(300 + i)));
    assertEquals([...first, ...whileDown, ...after].every((r) => r.choices[0] === "ok"), true);
    assert(second.requests.length >= 20, `back in use: ${second.requests.length} of 90`);
    assert(changes.includes("1 aside"), changes.join());
    assertEquals(changes.at(-1), "1 back");
    const rows = stats.toJSON().endpoints[0].servers!;
    assert(rows[1].setAside >= 1 && rows[1].failures >= 1, JSON.stringify(rows[1]));
    assertEquals(stats.totals.failures, 0, "every call answered in the end");
    assertEquals(stats.totals.calls, 240);
  } finally {
    for (const server of servers) await server.close();
  }
});
