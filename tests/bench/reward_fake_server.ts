/**
 * The fake OpenAI server answering as the scripted reward model, in a process of its own
 * for the reward benchmark (so that serving does not compete with the client for one
 * event loop). Usage: `deno run -A tests/bench/reward_fake_server.ts <delay ms>`; prints
 * `{"port": N}` on the first line of stdout, then serves until stdin closes, and prints
 * `{"requests": N, "maxInFlight": M}` before it exits.
 */
import { startFakeOpenAiServer } from "../../src/llm/testing/fake_openai_server.ts";
import { createFakeRewardModel } from "../../src/reward/testing/fake_reward_model.ts";

if (import.meta.main) {
  const delayMs = Number(Deno.args[0] ?? 0);
  const model = createFakeRewardModel({ delayMs });
  const server = await startFakeOpenAiServer({ handler: model.handler });
  console.log(JSON.stringify({ port: server.port }));
  // Serve until the parent closes our stdin.
  for await (const _ of Deno.stdin.readable) { /* ignore input */ }
  const report = { requests: server.requests.length, maxInFlight: server.maxInFlight };
  await server.close();
  console.log(JSON.stringify(report));
}
