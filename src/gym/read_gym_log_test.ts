import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { parseGymLog } from "./read_gym_log.ts";

const line = (source: string, tag: string, content: unknown, time = "02-29 09:00:00") =>
  JSON.stringify({ source, time, tags: [tag], content });
const prediction = (task: string | null) =>
  JSON.stringify({ Purpose: "p", Thoughts: "t", "Proactive Task": task, Response: null });

Deno.test("events, proposals with their logged prediction, and logged samples", () => {
  const sample = [
    { role: "system", content: "S" },
    { role: "user", content: "{}" },
    { role: "assistant", content: prediction("Sort it") },
  ];
  const text = [
    line("system", "setup", '{"seed":7}'),
    line("EnvManager", "agent.ops", '[{"name":"run"}]'),
    line("User", "activity", '{"is_finished":false,"act":"go"}', "02-29 09:00:05"),
    line("EnvManager", "events", "one"),
    line("EnvManager", "events", "two"),
    line("ProactiveAgent", "agent.response", JSON.stringify(sample)),
    line("ProactiveAgent", "agent.proactive", "Sort it"),
    line("User", "agent.proactive", '{"thought":"ok","is_accepted":true}'),
    line("EnvManager", "events", "three"),
    line("ProactiveAgent", "agent.proactive", null),
    line("system", "end", "{}"),
  ].join("\n") + "\n";
  const log = parseGymLog("/logs/scene_a-000-0.jsonl", text);
  assertEquals(log.name, "scene_a-000-0");
  assertEquals(log.seed, 7);
  assertEquals(log.events.map((e) => e.event), ["one", "two", "three"]);
  assertEquals(log.events[1].proposal, "Sort it");
  assertEquals(log.events[1].proposalPrediction, JSON.parse(prediction("Sort it")));
  assertEquals(log.events[2].proposal, undefined);
  assertEquals(log.samples, [{ event: 1, line: 6, messages: sample }]);
  assertEquals(log.operations, { time: "02-29 09:00:05", value: [{ name: "run" }] });
});

Deno.test("a bad line is an error naming the file and the line", () => {
  assertThrows(
    () => parseGymLog("a.jsonl", line("EnvManager", "events", "x") + "\n{oops\n"),
    Error,
    'line 2 of "a.jsonl"',
  );
  assertThrows(
    () => parseGymLog("a.jsonl", line("ProactiveAgent", "agent.response", '[{"role":"x"}]')),
    Error,
    "not a list of chat messages",
  );
});
