import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { ProactiveError } from "./errors.ts";
import { camelCase, type FlagDecls, flagTable, parseCommandLine } from "./flags.ts";

const FLAGS = {
  "out-dir": { kind: "string", value: "DIR", default: "out", help: "Where files go" },
  name: { kind: "string", value: "NAME", help: "A name", env: "TEST_NAME" },
  seed: { kind: "bigint", value: "N", default: 42n, help: "Seed" },
  count: { kind: "integer", value: "N", default: 3, min: 1, max: 9, help: "Count" },
  ratio: { kind: "number", value: "R", min: 0, max: 1, help: "Ratio" },
  wait: { kind: "duration", value: "DURATION", default: 1000, min: 100, help: "Wait" },
  mode: { kind: "choice", value: "M", choices: ["fast", "slow"], default: "fast", help: "Mode" },
  kinds: { kind: "list", value: "A,B", item: "kind", help: "Kinds" },
  agent: { kind: "list", value: "NAME", repeat: true, default: [], help: "Agents" },
  force: { kind: "boolean", help: ["Force it,", "really"] },
  logs: { kind: "string", value: "DIR", required: "the logs", hidden: true, help: "Logs" },
} as const satisfies FlagDecls;

const usage = (args: string[], message: string) => {
  const error = assertThrows(() => parseCommandLine(args, FLAGS), ProactiveError, message);
  assertEquals(error.kind, "usage");
};

Deno.test("parseCommandLine: typed values by camelCase name, defaults where absent", () => {
  const { flags, sourceOf } = parseCommandLine(["--logs", "l"], FLAGS);
  assertEquals(flags, {
    outDir: "out",
    name: undefined,
    seed: 42n,
    count: 3,
    ratio: undefined,
    wait: 1000,
    mode: "fast",
    kinds: undefined,
    agent: [],
    force: false,
    logs: "l",
  });
  assertEquals(sourceOf("out-dir"), "default");
  assertEquals(sourceOf("logs"), "flag");
});

Deno.test("parseCommandLine: every kind parses its text", () => {
  const { flags } = parseCommandLine([
    "--logs=l",
    "--seed",
    "123456789012345678901234567890",
    "--count",
    "9",
    "--ratio",
    "0.5",
    "--wait",
    "2m",
    "--mode",
    "slow",
    "--kinds",
    " a, b,,a ",
    "--agent",
    "x",
    "--agent",
    "y",
    "--force",
  ], FLAGS);
  assertEquals(flags.seed, 123456789012345678901234567890n);
  assertEquals([flags.count, flags.ratio, flags.wait, flags.mode], [9, 0.5, 120_000, "slow"]);
  assertEquals(flags.kinds, ["a", "b"]);
  assertEquals(flags.agent, ["x", "y"]);
  assertEquals(flags.force, true);
});

Deno.test("parseCommandLine: the environment fills in a flag not given, empty counts as unset", () => {
  const env = (name: string) => ({ TEST_NAME: "from-env" } as Record<string, string>)[name];
  const fromEnv = parseCommandLine(["--logs", "l"], FLAGS, { env });
  assertEquals(fromEnv.flags.name, "from-env");
  assertEquals(fromEnv.sourceOf("name"), "env");
  const given = parseCommandLine(["--logs", "l", "--name", "flag"], FLAGS, { env });
  assertEquals([given.flags.name, given.sourceOf("name")], ["flag", "flag"]);
  const empty = parseCommandLine(["--logs", "l"], FLAGS, { env: () => "" });
  assertEquals([empty.flags.name, empty.sourceOf("name")], [undefined, "default"]);
});

Deno.test("parseCommandLine: bad values are usage errors naming the flag", () => {
  usage([], "--logs DIR is required (the logs)");
  usage(["--logs", " "], "--logs must not be empty");
  usage(["--logs", "l", "--seed", "4.2"], '--seed must be a whole number, got "4.2"');
  usage(["--logs", "l", "--count", "10"], "--count must be between 1 and 9, got 10");
  usage(["--logs", "l", "--ratio", "x"], '--ratio must be a number, got "x"');
  usage(["--logs", "l", "--wait", "50"], '--wait must be at least 100ms, got "50"');
  usage(["--logs", "l", "--wait", "soon"], "--wait must be a duration");
  usage(["--logs", "l", "--mode", "warp"], '--mode must be one of fast, slow, got "warp"');
  usage(["--logs", "l", "--kinds", ","], "--kinds must name at least one kind");
  usage(["--logs", "l", "--cuont", "3"], "did you mean --count?");
});

Deno.test("flagTable: rows at the column, long flags on their own line, hidden left out", () => {
  const table = flagTable({
    short: { kind: "string", value: "X", help: ["First line", "second line"] },
    "a-very-long-flag-name": { kind: "choice", value: "a|b", choices: ["a", "b"], help: "Long" },
    secret: { kind: "boolean", hidden: true, help: "Hidden" },
    cert: { kind: "string", label: "--cert FILE --key FILE", help: "Both" },
  }, { column: 20 });
  assertEquals(
    table,
    [
      "  --short X         First line",
      "                    second line",
      "  --a-very-long-flag-name a|b",
      "                    Long",
      "  --cert FILE --key FILE",
      "                    Both",
      "  -h, --help        Show this help",
    ].join("\n"),
  );
  assertEquals(flagTable(FLAGS, { column: 20, helpRow: false }).includes("--help"), false);
});

Deno.test("camelCase", () => {
  assertEquals(camelCase("out-dir"), "outDir");
  assertEquals(camelCase("max-assistant-chars"), "maxAssistantChars");
  assertEquals(camelCase("seed"), "seed");
});
