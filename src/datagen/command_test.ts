import { assertEquals, assertStringIncludes, assertThrows } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { parseDatagenOptions } from "./command.ts";
import { sceneRunOptionsFor } from "../gym/gym_types.ts";

const env = (name: string) => ({ OPENAI_API_KEY: "sk-env-123456" } as Record<string, string>)[name];

Deno.test("parseDatagenOptions: defaults, roles env, user and agent", () => {
  const { llm, ...rest } = parseDatagenOptions(["--model", "m"], env);
  assertEquals(rest, {
    scenesDir: "scenes",
    sceneFile: undefined,
    outDir: undefined,
    kv: undefined,
    force: false,
    concurrency: 4,
    leaseTtlMs: 60_000,
    scene: {
      adaptRounds: 2,
      userSteps: 7,
      given: { adaptRounds: false, userSteps: false },
      agent: true,
      rewardFilter: false,
      filterRetries: 3,
      rewardJudge: false,
      agentActions: 5,
      seed: 42,
    },
  });
  assertEquals(Object.keys(llm.endpoints), ["env", "user", "agent"]);
  assertEquals(llm.endpoints.env?.concurrency, 16, "--concurrency counts scenes, not requests");
});

Deno.test("parseDatagenOptions: every flag", () => {
  const options = parseDatagenOptions([
    "--scene-file=list.yaml",
    "--out-dir",
    "logs",
    "--kv",
    "state.kv",
    "--force",
    "--concurrency",
    "8",
    "--requests",
    "3",
    "--seed",
    "5",
    "--adapt-rounds",
    "0",
    "--user-steps",
    "12",
    "--reward-filter",
    "--filter-retries",
    "1",
    "--reward-judge",
    "--agent-actions",
    "2",
    "--lease-ttl",
    "2m",
    "--limit",
    "10",
    "--model",
    "m",
  ], env);
  assertEquals(options.sceneFile, "list.yaml");
  assertEquals(options.outDir, "logs");
  assertEquals(options.kv, "state.kv");
  assertEquals(options.force, true);
  assertEquals(options.concurrency, 8);
  assertEquals(options.leaseTtlMs, 120_000);
  assertEquals(options.scene, {
    adaptRounds: 0,
    userSteps: 12,
    given: { adaptRounds: true, userSteps: true },
    agent: true,
    rewardFilter: true,
    filterRetries: 1,
    rewardJudge: true,
    agentActions: 2,
    seed: 5,
  });
  assertEquals(options.llm.limit, 10);
  assertEquals(Object.keys(options.llm.endpoints), ["env", "user", "agent", "reward"]);
  assertEquals(options.llm.endpoints.reward?.concurrency, 3);
});

Deno.test("parseDatagenOptions: --no-agent needs no agent role", () => {
  const options = parseDatagenOptions(["--no-agent", "--model", "m"], env);
  assertEquals(options.scene.agent, false);
  assertEquals(Object.keys(options.llm.endpoints), ["env", "user"]);
});

Deno.test("parseDatagenOptions: usage errors", () => {
  const cases: [string[], string][] = [
    [["--scenes-dir", "a", "--scene-file", "b"], "not both"],
    [["--no-agent", "--reward-filter"], "needs the agent"],
    [["--concurrency", "0"], "--concurrency must be between 1"],
    [["--user-steps", "x"], "--user-steps must be a whole number"],
    [["--lease-ttl", "soon"], "--lease-ttl must be a duration"],
    [["--lease-ttl", "10"], "at least 100ms"],
    [["--out-dir", " "], "--out-dir must not be empty"],
    [["--seed=-1"], "--seed must be between 0"],
    [["--scene-fle", "x"], "did you mean --scene-file"],
  ];
  for (const [args, message] of cases) {
    const error = assertThrows(
      () => parseDatagenOptions([...args, "--model", "m"], env),
      ProactiveError,
    );
    assertEquals(error.kind, "usage");
    assertStringIncludes(error.message, message);
  }
});

Deno.test("sceneRunOptionsFor: flags given win, else the configuration, else the defaults", () => {
  const base = parseDatagenOptions(["--model", "m"], env).scene;
  const config = (user: Record<string, unknown>) =>
    ({ user: { goal: "g", description: "d", ...user } }) as never;
  const own = sceneRunOptionsFor(config({ adapt_times: 1, action_times: 3 }), base, "proactive");
  assertEquals([own.adaptRounds, own.userSteps], [1, 3]);
  // The reference plays a first step, then action_times more.
  const reference = sceneRunOptionsFor(config({ action_times: 3 }), base, "reference");
  assertEquals([reference.adaptRounds, reference.userSteps], [2, 4]);
  assertEquals(sceneRunOptionsFor(config({}), base, "reference").userSteps, 8);
  assertEquals(sceneRunOptionsFor(config({}), base, "proactive").userSteps, 7);
  const flags =
    parseDatagenOptions(["--model", "m", "--adapt-rounds", "0", "--user-steps", "5"], env)
      .scene;
  const given = sceneRunOptionsFor(config({ adapt_times: 1, action_times: 3 }), flags, "reference");
  assertEquals([given.adaptRounds, given.userSteps], [0, 5]);
});
