/**
 * The `llm-servers` benchmark: one process driving one model alias on 3 servers against
 * the same alias on 1, at the same concurrency per server. Each fake server runs in a
 * process of its own (`fake_server_process.ts`) and answers after a calibrated latency,
 * so the client's throughput is bound by the servers, as with real GPU nodes. Target: 3
 * servers give at least 2.8× the throughput of 1.
 */
import { createLogger } from "../../src/cli/logger.ts";
import { openCompletionCache } from "../../src/llm/completion_cache.ts";
import { createLlmClient } from "../../src/llm/llm_client.ts";
import { LlmStats } from "../../src/llm/llm_stats.ts";
import { startServerProcess } from "./fake_server_process.ts";

const SERVER = new URL("./eval_fake_server.ts", import.meta.url).pathname;
const LATENCY_MS = 50;
const PER_SERVER = 8;
const REQUESTS = 1_200;
const TARGET = 2.8;

interface Run {
  servers: number;
  seconds: number;
  perServer: number[];
}

async function run(count: number): Promise<Run> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => startServerProcess(SERVER, [String(LATENCY_MS)])),
  );
  const logger = createLogger({ verbose: false, write: () => {}, timestamps: false });
  try {
    const client = createLlmClient({
      endpoint: {
        alias: "bench",
        baseUrl: servers[0].baseUrl,
        baseUrls: servers.map((s) => s.baseUrl),
        model: "bench-model",
        apiKeys: [],
        params: {},
        concurrency: PER_SERVER,
      },
      settings: { maxRetries: 0, timeoutMs: 30_000, retryAfterCapMs: 1_000, maxRepairs: 0 },
      cache: openCompletionCache({ dir: null, logger }),
      stats: new LlmStats(),
      logger,
    });
    const started = performance.now();
    await Promise.all(
      Array.from(
        { length: REQUESTS },
        (_, i) =>
          client.chat([{ role: "system", content: "bench" }, { role: "user", content: `q${i}` }]),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const reports = [];
    for (const server of servers.splice(0)) reports.push(await server.stop());
    return { servers: count, seconds, perServer: reports.map((r) => r.requests) };
  } finally {
    for (const server of servers) await server.stop();
  }
}

export async function benchLlmServers(): Promise<string> {
  const one = await run(1);
  const three = await run(3);
  const rate = (r: Run) => REQUESTS / r.seconds;
  const ratio = rate(three) / rate(one);
  const row = (r: Run) =>
    `| ${r.servers} | ${REQUESTS} | ${r.seconds.toFixed(2)} s | ${rate(r).toFixed(0)} req/s | ` +
    `${r.perServer.join(" / ")} |`;
  return [
    "## llm-servers (one alias on several servers)",
    "",
    `Target: 3 servers give ≥ ${TARGET}× the throughput of 1 at the same concurrency per ` +
    `server: ${ratio.toFixed(2)}× ${ratio >= TARGET ? "✅" : "❌"}.`,
    "",
    `One process sends ${REQUESTS} chat requests at once through one client (the real ` +
    `\`openai\` client, cache off) of an alias with \`concurrency: ${PER_SERVER}\` (per server) ` +
    `and 1 or 3 \`base_url\`s. Each fake server is a process of its own answering after ` +
    `${LATENCY_MS} ms, so 1 server serves at most ${PER_SERVER * 1000 / LATENCY_MS} req/s.`,
    "",
    "| servers | requests | wall time | throughput | requests per server |",
    "| --- | --- | --- | --- | --- |",
    row(one),
    row(three),
  ].join("\n");
}
