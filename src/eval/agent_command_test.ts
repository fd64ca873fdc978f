import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { parseAgentOptions } from "./agent_command.ts";
import { parseJudgeOptions } from "./judge_command.ts";

const env = () => undefined;
const CONFIG = {
  path: "proactive.yaml",
  text: `models:
  small:
    model: org/small-7b
    base_url: http://127.0.0.1:9000/v1
  judge:
    model: reward-7b
    base_url: http://127.0.0.1:9001/v1
roles:
  default: small
`,
};

Deno.test("parseAgentOptions: defaults, a model id, the folder named after it", () => {
  const options = parseAgentOptions(["--model", "org/agent-1"], env);
  assertEquals(options.model, "org/agent-1");
  assertEquals(options.folder, "_org_2Fagent-1");
  assertEquals(options.outDir, "proactivebench_results");
  assertEquals(options.data, null);
  assertEquals(options.temperature, undefined);
  assertEquals(options.judgeLlm, null);
  assertEquals(options.llm.endpoints.agent?.model, "org/agent-1");
});

Deno.test("parseAgentOptions: config aliases for the agent and the judge", () => {
  const options = parseAgentOptions(
    ["--model", "small", "--judge-model", "judge", "--temperature", "0.3", "--score"],
    env,
    CONFIG,
  );
  assertEquals(options.folder, "small");
  assertEquals(options.temperature, 0.3);
  assertEquals(options.score, true);
  assertEquals(options.llm.endpoints.agent?.model, "org/small-7b");
  assertEquals(options.llm.endpoints.agent?.alias, "small");
  assertEquals(options.judgeLlm?.endpoints.reward?.model, "reward-7b");
  assertEquals(options.judgeLlm?.endpoints.reward?.baseUrl, "http://127.0.0.1:9001/v1");
});

Deno.test("parseAgentOptions: usage errors", () => {
  for (
    const [args, message] of [
      [[], "needs --model"],
      [["--model", "m", "--score"], "--score needs --judge-model"],
      [["--model", "m", "--temperature", "3"], "--temperature must be between"],
      [["--model", "m", "--judge-model", "r", "--null-strings", "x"], "--null-strings must be"],
    ] as const
  ) {
    const error = assertThrows(() => parseAgentOptions([...args], env), ProactiveError, message);
    assertEquals(error.kind, "usage");
  }
});

Deno.test("parseJudgeOptions: reward model, folders, null rule", () => {
  const options = parseJudgeOptions(
    ["--model", "judge", "--out-dir", "out", "--agent", "a", "--agent", "b/c"],
    env,
    CONFIG,
  );
  assertEquals(options.outDir, "out");
  assertEquals(options.agents, ["a", "b/c"]);
  assertEquals(options.nullStrings, "null");
  assertEquals(options.llm.endpoints.reward?.model, "reward-7b");
  assertEquals(
    parseJudgeOptions(["--model", "m", "--null-strings", "task"], env).nullStrings,
    "task",
  );
  assertThrows(() => parseJudgeOptions([], env), ProactiveError, "needs --model");
});
