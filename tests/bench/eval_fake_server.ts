/**
 * The fake OpenAI server of the `eval-agent` benchmark, in a process of its own (see
 * `fake_server_process.ts`): a scripted agent (a task at odd turns, none at even ones) and
 * a reward model that accepts everything, every answer after `<delay ms>` (calibrated and
 * warmed up: `fake_server_main.ts`).
 * Usage: `deno run -A tests/bench/eval_fake_server.ts <delay ms>`.
 */
import type { FakeRequestBody } from "../../src/llm/testing/fake_openai_server.ts";
import { serveFakeServerProcess } from "./fake_server_main.ts";

function handler(latencyMs: number) {
  return (body: FakeRequestBody) => {
    const system = String(body.messages[0].content);
    if (system.startsWith("You are a proactive assistant")) {
      const turn = body.messages.filter((m) => m.role === "assistant").length;
      const task = turn % 2 === 1 ? `Task ${turn}` : null;
      return {
        delayMs: latencyMs,
        texts: JSON.stringify({
          Purpose: "p",
          Thoughts: "t",
          "Proactive Task": task,
          Response: task === null ? null : "May I help?",
        }),
      };
    }
    return {
      delayMs: latencyMs,
      texts: JSON.stringify({ thought: "ok", judgement: "accepted" }),
    };
  };
}

if (import.meta.main) {
  await serveFakeServerProcess(handler(Number(Deno.args[0] ?? 0)));
}
