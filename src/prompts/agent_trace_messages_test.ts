import { assertEquals, assertThrows } from "../../tests/assert.ts";
import {
  AGENT_STEP_INSTRUCTIONS,
  AGENT_SYSTEM_PROMPT,
  type AgentPrediction,
} from "./agent_prompts.ts";
import { traceTurnMessages } from "./agent_trace_messages.ts";
import { BUILTIN_PROMPT_SET } from "./prompt_set.ts";

const obs = (i: number) => ({ time: String(1_700_000_000 + i), event: `event ${i}`, extra: i });
const prediction = (task: string | null): AgentPrediction => ({
  Purpose: "p",
  Thoughts: "t",
  "Proactive Task": task,
  Response: task ? "r" : null,
});

Deno.test("turn 0: the system prompt and the step message with the instruction", () => {
  const messages = traceTurnMessages(BUILTIN_PROMPT_SET, [obs(0), obs(1)], 0, []);
  assertEquals(messages.map((m) => m.role), ["system", "user"]);
  assertEquals(messages[0].content, AGENT_SYSTEM_PROMPT);
  assertEquals(JSON.parse(messages[1].content), {
    Instructions: AGENT_STEP_INSTRUCTIONS,
    Observations: [{ time: "1700000000", event: "event 0" }],
  });
});

Deno.test("earlier turns keep only their observations; predictions are the assistant turns", () => {
  const turns = [obs(0), obs(1), obs(2)];
  const messages = traceTurnMessages(BUILTIN_PROMPT_SET, turns, 2, [
    prediction(null),
    prediction("Fix it"),
  ]);
  assertEquals(messages.map((m) => m.role), [
    "system",
    "user",
    "assistant",
    "user",
    "assistant",
    "user",
  ]);
  assertEquals(JSON.parse(messages[1].content), {
    Observations: [{ time: "1700000000", event: "event 0" }],
  });
  assertEquals(JSON.parse(messages[4].content)["Proactive Task"], "Fix it");
  assertEquals(Object.keys(JSON.parse(messages[5].content)), ["Instructions", "Observations"]);
});

Deno.test("a turn without a prediction passes its observation on: roles still alternate", () => {
  const turns = [obs(0), obs(1), obs(2), obs(3)];
  const messages = traceTurnMessages(BUILTIN_PROMPT_SET, turns, 3, [
    prediction(null),
    undefined,
    prediction(null),
  ]);
  assertEquals(messages.map((m) => m.role), [
    "system",
    "user",
    "assistant",
    "user",
    "assistant",
    "user",
  ]);
  assertEquals(
    JSON.parse(messages[3].content).Observations.map((o: { event: string }) => o.event),
    [
      "event 1",
      "event 2",
    ],
  );
  const last = traceTurnMessages(BUILTIN_PROMPT_SET, turns, 2, [prediction(null), undefined]);
  assertEquals(JSON.parse(last.at(-1)!.content).Observations.length, 2);
  assertThrows(() => traceTurnMessages(BUILTIN_PROMPT_SET, turns, 4, []), RangeError);
});
