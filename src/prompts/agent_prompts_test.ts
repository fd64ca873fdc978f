import { assert, assertEquals } from "../../tests/assert.ts";
import { parseStructured } from "../llm/structured_completion.ts";
import {
  AGENT_SYSTEM_PROMPT,
  agentMessages,
  agentPredictionSchema,
  agentRetryMessage,
  agentTrainingSample,
  proposedTask,
} from "./agent_prompts.ts";
import { BUILTIN_PROMPT_SET } from "./prompt_set.ts";

const observations = [{ time: "01-01 09:00:00", event: "The user opens a file." }];
const prediction = {
  Purpose: "p",
  Thoughts: "t",
  "Proactive Task": "Summarise the file",
  Response: "I can summarise it.",
};

Deno.test("a step is {Instructions, Observations: [{time, event}]} after the history", () => {
  const history = [
    { role: "user" as const, content: "{}" },
    { role: "assistant" as const, content: "{}" },
  ];
  const messages = agentMessages(BUILTIN_PROMPT_SET, history, [
    { ...observations[0], extra: 1 } as never,
  ]);
  assertEquals(messages[0], { role: "system", content: AGENT_SYSTEM_PROMPT });
  assertEquals(messages.slice(1, 3), history);
  const step = JSON.parse(messages[3].content);
  assertEquals(Object.keys(step), ["Instructions", "Observations"]);
  assertEquals(step.Observations, observations);
  const sample = agentTrainingSample(BUILTIN_PROMPT_SET, history, observations, prediction);
  assertEquals(sample.slice(0, 4), agentMessages(BUILTIN_PROMPT_SET, history, observations));
  assertEquals(JSON.parse(sample[4].content), prediction);
});

Deno.test("a retry shows the previous prediction, the status and the feedback", () => {
  const retry = JSON.parse(
    agentRetryMessage(BUILTIN_PROMPT_SET, observations, prediction, "Not now").content,
  );
  assertEquals(retry.Status, "Rejected");
  assertEquals(retry["Previous Prediction"], prediction);
  assertEquals(retry["User Feedback"], "Not now");
});

Deno.test("the answer schema takes null or a task; blank tasks count as none", () => {
  const parsed = parseStructured(
    agentPredictionSchema,
    '{"Purpose": "p", "Thoughts": "t", "Proactive Task": "null", "Response": null}',
  );
  assert(parsed.ok);
  assertEquals(proposedTask(parsed.value), null);
  assertEquals(proposedTask({ ...prediction, "Proactive Task": "  " }), null);
  assertEquals(proposedTask({ ...prediction, "Proactive Task": " Do it " }), "Do it");
  const missing = parseStructured(agentPredictionSchema, '{"Purpose": "p", "Thoughts": "t"}');
  assert(!missing.ok && missing.error.includes("Proactive Task"));
});
