import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { DEFAULTS, parseAgentTrainsetOptions } from "./command.ts";

const env = () => undefined;
const LLM = ["--model", "m", "--base-url", "http://127.0.0.1:9/v1"];

Deno.test("agent-trainset options: defaults beside the logs, format, limits", () => {
  const options = parseAgentTrainsetOptions(["--in-dir", "logs", ...LLM], env);
  assertEquals(options.output, "logs/agent_trainset.json");
  assertEquals(options.datasetInfo, "logs/dataset_info.json");
  assertEquals(options.cardJson, "logs/agent_trainset.card.json");
  assertEquals(options.cardMarkdown, "logs/agent_trainset.card.md");
  assertEquals(options.maxTrials, DEFAULTS.maxTrials);
  assertEquals(options.maxChars, 20_000);
  assertEquals(options.maxAssistantChars, 10_000);
  const jsonl = parseAgentTrainsetOptions(
    ["--in-dir", "logs", "--format", "jsonl", "--out", "d/x.jsonl", ...LLM],
    env,
  );
  assertEquals([jsonl.format, jsonl.output, jsonl.cardJson], [
    "jsonl",
    "d/x.jsonl",
    "d/x.card.json",
  ]);
  assertEquals(Object.keys(options.llm.endpoints).sort(), ["agent", "reward"]);
});

Deno.test("agent-trainset options: bad values are usage errors", () => {
  assertThrows(
    () => parseAgentTrainsetOptions(["--format", "csv", ...LLM], env),
    Error,
    "--format",
  );
  assertThrows(
    () => parseAgentTrainsetOptions(["--max-trials", "0", ...LLM], env),
    Error,
    "--max-trials",
  );
  assertThrows(
    () => parseAgentTrainsetOptions(["--max-chars", "100", ...LLM], env),
    Error,
    "--max-chars",
  );
  assertThrows(() => parseAgentTrainsetOptions(["--out", " ", ...LLM], env), Error, "--out");
});
