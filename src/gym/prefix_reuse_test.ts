import { assertEquals } from "../../tests/assert.ts";
import { PrefixReuse, reusedShare } from "./prefix_reuse.ts";

Deno.test("PrefixReuse: a growing conversation reuses its start, a rewritten one does not", () => {
  const reuse = new PrefixReuse();
  const system = { role: "system" as const, content: "You are the agent." };
  const first = [system, { role: "user" as const, content: "event 1" }];
  reuse.record("agent", first);
  // Append-only: the whole earlier request is this one's start.
  reuse.record("agent", [...first, { role: "assistant" as const, content: "ok" }]);
  // Another role, another system prompt: nothing shared.
  reuse.record("env", [{ role: "system", content: "You are the environment." }]);
  const counts = reuse.byRole();
  const firstLength = "system\u0000You are the agent.\u0001user\u0000event 1\u0001".length;
  assertEquals(counts.agent.requests, 2);
  assertEquals(counts.agent.reused_chars, firstLength);
  assertEquals(counts.agent.prompt_chars, firstLength * 2 + "assistant\u0000ok\u0001".length);
  // The env request shares only "system\0You are the " with the agent's.
  assertEquals(counts.env.reused_chars, "system\u0000You are the ".length);
  assertEquals(reusedShare({ requests: 0, prompt_chars: 0, reused_chars: 0 }), 0);
});
