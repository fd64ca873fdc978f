/**
 * Reward benchmark.
 *
 * 1. `proactive reward` on the 1,629 real training items (1,751 after balancing, two
 *    requests each: explain, then consistency with n = 5) against the scripted fake model
 *    answering after 100 ms, at --concurrency 32, cache in a fresh temp dir. Wall time is
 *    compared with the ideal: requests × latency / concurrency. Target ≤ 1.15×.
 * 2. Client throughput against a zero-latency fake server: the same `reward` run, and
 *    bare `LlmClient.chat` calls (no cache) at concurrency 32.
 *
 * The fake server runs in a child process of its own (`reward_fake_server.ts`), and
 * `reward` in another (`deno run main.ts reward`), as a user would run it. The run's own
 * time (from its JSON summary) excludes Deno's start-up; the process time includes it.
 */
import { startServerProcess } from "./fake_server_process.ts";
import { fileURLToPath } from "node:url";
import { createMemoryLogger } from "../../src/cli/testing/memory_logger.ts";
import { parseLlmFlags } from "../../src/llm/llm_config.ts";
import { createLlmRuntime } from "../../src/llm/llm_runtime.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TRAIN = `${ROOT}tests/testdata/reward/train_data.jsonl`;
const REWARD_SERVER = `${ROOT}tests/bench/reward_fake_server.ts`;

export interface RewardBenchOptions {
  latencyMs?: number;
  concurrency?: number;
  /** Bare client calls in the throughput measurement. */
  clientCalls?: number;
}

interface RewardRun {
  processSeconds: number;
  runSeconds: number;
  requests: number;
  items: number;
}

async function runReward(baseUrl: string, concurrency: number, dir: string): Promise<RewardRun> {
  const out = `${dir}/out/trainset_reward_llama.json`;
  await Deno.mkdir(dir, { recursive: true });
  const started = performance.now();
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--unstable-kv",
      "-A",
      `${ROOT}main.ts`,
      "reward",
      "--in",
      TRAIN,
      "--out",
      out,
      "--cache-dir",
      `${dir}/cache`,
      "--base-url",
      baseUrl,
      "--api-key",
      "sk-bench-not-secret",
      "--model",
      "fake",
      "--concurrency",
      String(concurrency),
    ],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const processSeconds = (performance.now() - started) / 1000;
  if (output.code !== 0) {
    throw new Error(`reward failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  const summary = JSON.parse(
    await Deno.readTextFile(`${dir}/out/trainset_reward_llama.summary.json`),
  );
  const run = summary.runs.at(-1);
  return {
    processSeconds,
    runSeconds: run.durationMs / 1000,
    requests: run.llm.requests,
    items: summary.conversations,
  };
}

/** Bare `chat` calls through the LLM layer, no cache, distinct prompts. */
async function clientThroughput(
  baseUrl: string,
  concurrency: number,
  calls: number,
): Promise<number> {
  const options = parseLlmFlags(
    {
      "base-url": baseUrl,
      model: "fake",
      "no-cache": true,
      concurrency: String(concurrency),
    },
    () => undefined,
  );
  const llm = createLlmRuntime(options, { logger: createMemoryLogger() });
  const client = llm.client("default");
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < calls) {
      const i = next++;
      await client.chat([{ role: "user", content: `Say something about item ${i}.` }]);
    }
  }));
  return calls / ((performance.now() - started) / 1000);
}

const f = (value: number, digits = 2) => value.toFixed(digits);

export async function benchReward(options: RewardBenchOptions = {}): Promise<string> {
  const latencyMs = options.latencyMs ?? 100;
  const concurrency = options.concurrency ?? 32;
  const clientCalls = options.clientCalls ?? 5000;
  const dir = await Deno.makeTempDir({ prefix: "reward-bench-" });
  try {
    const slow = await startServerProcess(REWARD_SERVER, [String(latencyMs)]);
    let latency: RewardRun;
    let slowServed;
    try {
      latency = await runReward(slow.baseUrl, concurrency, `${dir}/latency`);
    } finally {
      slowServed = await slow.stop();
    }
    const ideal = (latency.requests * latencyMs) / 1000 / concurrency;

    const fast = await startServerProcess(REWARD_SERVER, ["0"]);
    let zero: RewardRun;
    let perSecond: number;
    try {
      zero = await runReward(fast.baseUrl, concurrency, `${dir}/zero`);
      perSecond = await clientThroughput(fast.baseUrl, concurrency, clientCalls);
    } finally {
      await fast.stop();
    }

    const runRatio = latency.runSeconds / ideal;
    const verdict = runRatio <= 1.15 ? "met" : "missed";
    return `## reward

\`proactive reward\` on the 1,629 real training items, balanced to ${latency.items} (two
requests per item: explain, then the consistency check with n = 5), against the scripted
fake model in a separate process, cache in a fresh temp dir. "Run" is the command's own
time (its JSON summary); "process" adds Deno's start-up and reading the input.

| Fake server | Concurrency | Requests | Run (s) | Process (s) | Ideal (s) | Run / ideal | Process / ideal |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| ${latencyMs} ms latency | ${concurrency} | ${latency.requests} | ${f(latency.runSeconds)} | ${
      f(latency.processSeconds)
    } | ${f(ideal)} | ${f(runRatio)}× | ${f(latency.processSeconds / ideal)}× |

Ideal = requests × latency / concurrency. Target ≤ 1.15× (run): ${verdict}. The server
saw at most ${slowServed.maxInFlight} requests at once; its mean latency served was
${f(slowServed.meanLatencyMs)} ms (timers calibrated and the server warmed up before the run,
\`tests/bench/fake_server_main.ts\`).

Client throughput against a zero-latency fake server, concurrency ${concurrency}:

| What | Requests | Seconds | Requests/s |
| --- | ---: | ---: | ---: |
| \`proactive reward\` (run) | ${zero.requests} | ${f(zero.runSeconds)} | ${
      f(zero.requests / zero.runSeconds, 0)
    } |
| \`LlmClient.chat\`, no cache | ${clientCalls} | ${f(clientCalls / perSecond)} | ${
      f(perSecond, 0)
    } |
`;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  console.log(await benchReward());
}
