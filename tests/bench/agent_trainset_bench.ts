/**
 * `agent-trainset` benchmark (issue 8): the command on 20 synthetic gym logs of equal
 * length, against the scripted fake server answering every request after 50 ms, 4 logs at
 * once (`--concurrency 4`), no cache. Wall time is compared with the ideal:
 * requests × latency / concurrency. Target ≤ 1.15×.
 *
 * The events of one log are replayed one after the other (each conversation holds the
 * answers before it), so the logs are what runs in parallel: with 20 equal logs and 4 at
 * once every slot stays busy. The reward model rejects every third event (`--max-trials 2`:
 * two trials, no sample), so the logs mix one- and two-trial events.
 */
import { createTestCommandContext } from "../../src/cli/testing/test_command_context.ts";
import { command } from "../../src/agent_trainset/command.ts";
import type { GymRecord } from "../../src/gym/gym_types.ts";
import { gymLlmConfig, scriptedGymModels } from "../../src/gym/testing/scripted_gym_models.ts";
import { startFakeOpenAiServer } from "../../src/llm/testing/fake_openai_server.ts";

export interface AgentTrainsetBenchOptions {
  logs?: number;
  events?: number;
  latencyMs?: number;
  concurrency?: number;
}

async function writeLog(path: string, events: number): Promise<void> {
  const time = (i: number) =>
    `03-01 ${String(9 + Math.floor(i / 60)).padStart(2, "0")}:${
      String(i % 60).padStart(2, "0")
    }:00`;
  const records: GymRecord[] = [
    { source: "system", time: time(0), tags: ["setup"], content: '{"seed":0}' },
    ...Array.from({ length: events }, (_, i): GymRecord => ({
      source: "EnvManager",
      time: time(i),
      tags: ["events"],
      content: `The user works on part ${i} of the report.`,
    })),
    { source: "system", time: time(events), tags: ["end"], content: "{}" },
  ];
  await Deno.writeTextFile(path, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
}

export async function benchAgentTrainset(options: AgentTrainsetBenchOptions = {}): Promise<string> {
  const { logs = 20, events = 25, latencyMs = 50, concurrency = 4 } = options;
  const dir = await Deno.makeTempDir({ prefix: "bench-agent-trainset-" });
  try {
    for (let i = 0; i < logs; i++) {
      await writeLog(`${dir}/scene_bench-${String(i).padStart(3, "0")}-0.jsonl`, events);
    }
    // The same for every log (it depends on the event's position only), so every log makes
    // the same number of requests: every third event is rejected on both of its trials.
    const gym = scriptedGymModels({
      delayMs: latencyMs,
      defaults: {
        reward_filter: (request) => {
          const activity = (request.input as { activity_oldest_first?: unknown[] })
            .activity_oldest_first ?? [];
          return {
            thought: "ok",
            judgement: activity.length % 3 === 0 ? "rejected" : "accepted",
          };
        },
      },
    });
    await using server = await startFakeOpenAiServer({ handler: gym.handler });
    const config = `${dir}/llm.yaml`;
    await Deno.writeTextFile(config, gymLlmConfig(server.baseUrl));
    const { ctx } = createTestCommandContext();
    const started = performance.now();
    await command.run([
      "--in-dir",
      dir,
      "--config",
      config,
      "--no-cache",
      "--concurrency",
      String(concurrency),
      "--max-trials",
      "2",
    ], ctx);
    const seconds = (performance.now() - started) / 1000;
    const requests = server.requests.length;
    const ideal = (requests * latencyMs) / concurrency / 1000;
    const ratio = seconds / ideal;
    return [
      "## agent-trainset",
      "",
      `${logs} gym logs of ${events} events, fake server at ${latencyMs} ms per request, ` +
      `${concurrency} logs at once, no cache.`,
      "",
      "| requests | wall time | ideal (requests × latency / concurrency) | ratio | target |",
      "| ---: | ---: | ---: | ---: | ---: |",
      `| ${requests} | ${seconds.toFixed(2)} s | ${ideal.toFixed(2)} s | ${ratio.toFixed(3)}× | ` +
      `≤ 1.15× ${ratio <= 1.15 ? "(met)" : "(MISSED)"} |`,
    ].join("\n");
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
