/**
 * The fake OpenAI server answering as the scripted reward model, in a process of its own
 * for the reward benchmark (so that serving does not compete with the client for one
 * event loop). Usage: `deno run -A tests/bench/reward_fake_server.ts <delay ms>`; prints
 * `{"port": N}` on the first line of stdout, then serves until stdin closes, and prints
 * `{"requests": N, "maxInFlight": M, "meanLatencyMs": L}` before it exits. The delay is
 * calibrated and the server warmed up (`fake_server_main.ts`).
 */
import { createFakeRewardModel } from "../../src/reward/testing/fake_reward_model.ts";
import { serveFakeServerProcess } from "./fake_server_main.ts";

if (import.meta.main) {
  await serveFakeServerProcess(
    createFakeRewardModel({ delayMs: Number(Deno.args[0] ?? 0) }).handler,
  );
}
