import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { parseScenesOptions } from "./command.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("parseScenesOptions: defaults, role scenes", () => {
  const options = parseScenesOptions(["--model", "m"], env({ OPENAI_API_KEY: "sk-env-1" }));
  const { llm, ...rest } = options;
  assertEquals(rest, {
    seeds: undefined,
    out: "scenes.yaml",
    scenesDir: "scenes",
    seed: 42n,
    kinds: undefined,
    onBusy: "fail",
  });
  assertEquals(Object.keys(llm.endpoints), ["scenes"]);
  assertEquals(llm.endpoints.scenes?.model, "m");
  assertEquals(llm.limit, undefined);
});

Deno.test("parseScenesOptions: every flag", () => {
  const options = parseScenesOptions([
    "--seeds",
    "my_seeds.yaml",
    "--out",
    "out/list.yaml",
    "--scenes-dir",
    "out/scenes",
    "--seed=-3",
    "--kinds",
    " codingassistant, dailyassistant ,codingassistant",
    "--model",
    "m",
    "--limit",
    "4",
    "--concurrency",
    "2",
    "--max-repairs",
    "1",
  ], env({}));
  assertEquals(options.seeds, "my_seeds.yaml");
  assertEquals(options.out, "out/list.yaml");
  assertEquals(options.scenesDir, "out/scenes");
  assertEquals(options.seed, -3n);
  assertEquals(options.kinds, ["codingassistant", "dailyassistant"]);
  assertEquals(options.llm.limit, 4);
  assertEquals(options.llm.maxRepairs, 1);
  assertEquals(options.llm.endpoints.scenes?.concurrency, 2);
});

Deno.test("parseScenesOptions: the model can come from the config's scenes role", () => {
  const options = parseScenesOptions([], env({}), {
    path: "proactive.yaml",
    text: "models:\n  a: {model: ma}\n  b: {model: mb}\nroles: {default: a, scenes: b}\n",
  });
  assertEquals(options.llm.endpoints.scenes?.model, "mb");
});

Deno.test("parseScenesOptions: bad values are usage errors", () => {
  const usage = (args: string[], message: string) => {
    const error = assertThrows(() => parseScenesOptions(args, env({})), ProactiveError, message);
    assertEquals(error.kind, "usage");
  };
  usage(["--model", "m", "--seed", "1.5"], `--seed must be a whole number, got "1.5"`);
  usage(["--model", "m", "--kinds", " , "], "--kinds must name at least one scene kind");
  usage(["--model", "m", "--out", ""], "--out must not be empty");
  usage(["--model", "m", "--scenes-dir", " "], "--scenes-dir must not be empty");
  usage(["--model", "m", "--seeds", ""], "--seeds must not be empty");
  usage(["--model", "m", "--scene-dir", "x"], "did you mean --scenes-dir?");
  usage([], 'No model for role "scenes"');
});
