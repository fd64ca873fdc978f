import { assertEquals, assertStringIncludes, assertThrows } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { parseRewardOptions } from "./command.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("parseRewardOptions: defaults, files beside the output, role reward", () => {
  const options = parseRewardOptions(["--model", "m"], env({ OPENAI_API_KEY: "sk-env-123456" }));
  const { llm, ...rest } = options;
  assertEquals(rest, {
    input: "reward_data/train_data.jsonl",
    output: "reward_data/trainset_reward_llama.json",
    failures: "reward_data/trainset_reward_failures.jsonl",
    datasetInfo: "reward_data/dataset_info.json",
    summary: "reward_data/trainset_reward_llama.summary.json",
    seed: 42n,
    maxAttempts: 3,
    consistencySamples: 5,
    consistencyTemperature: 0.8,
    checkpointEvery: 50,
    onBusy: "fail",
  });
  assertEquals(Object.keys(llm.endpoints), ["reward"]);
  assertEquals(llm.endpoints.reward?.apiKeys, ["sk-env-123456"]);
  assertEquals(llm.limit, undefined);
});

Deno.test("parseRewardOptions: every flag", () => {
  const options = parseRewardOptions([
    "--in",
    "a.jsonl",
    "--out",
    "out/set.json",
    "--failures",
    "f.jsonl",
    "--seed=-7",
    "--max-attempts",
    "5",
    "--consistency-samples",
    "3",
    "--consistency-temperature",
    "1.1",
    "--checkpoint-every",
    "10",
    "--model",
    "m",
    "--limit",
    "20",
    "--concurrency",
    "4",
  ], env({}));
  assertEquals(options.input, "a.jsonl");
  assertEquals(options.failures, "f.jsonl");
  assertEquals(options.datasetInfo, "out/dataset_info.json");
  assertEquals(options.summary, "out/set.summary.json");
  assertEquals(options.seed, -7n);
  assertEquals(
    [options.maxAttempts, options.consistencySamples, options.consistencyTemperature],
    [5, 3, 1.1],
  );
  assertEquals(options.checkpointEvery, 10);
  assertEquals(options.llm.limit, 20);
  assertEquals(options.llm.endpoints.reward?.concurrency, 4);
});

Deno.test("parseRewardOptions: the model can come from the config's reward role", () => {
  const options = parseRewardOptions([], env({}), {
    path: "proactive.yaml",
    text: "models:\n  a: { model: big }\n  r: { model: judge }\nroles: { default: a, reward: r }\n",
  });
  assertEquals(options.llm.endpoints.reward?.model, "judge");
});

Deno.test("parseRewardOptions: bad values are usage errors", () => {
  const cases: [string[], string][] = [
    [["--seed", "x"], "--seed must be a whole number"],
    [["--max-attempts", "0"], "--max-attempts must be between 1"],
    [["--consistency-samples", "two"], "--consistency-samples must be a whole number"],
    [["--consistency-temperature", "3"], "--consistency-temperature must be between 0 and 2"],
    [["--checkpoint-every", "0"], "--checkpoint-every must be between 1"],
    [["--out", ""], "--out must not be empty"],
    [["--bogus"], "bogus"],
    [["stray"], "Unexpected argument 'stray'"],
    [[], "No model"],
  ];
  for (const [args, message] of cases) {
    const error = assertThrows(
      () => parseRewardOptions(args.length === 0 ? args : [...args, "--model", "m"], env({})),
      ProactiveError,
    );
    assertEquals(error.kind, "usage", args.join(" "));
    assertStringIncludes(error.message, message);
  }
});
