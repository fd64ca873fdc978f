import { assertEquals, assertStringIncludes, assertThrows } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { command, parseConvertOptions } from "./command.ts";

Deno.test("parseConvertOptions: defaults", () => {
  assertEquals(parseConvertOptions([]), {
    inDir: "result",
    outDir: "reward_data",
    seed: 42n,
    testPerCategory: 30,
    rules: "reference",
    splitBy: "item",
    allowEmpty: false,
    json: false,
    onBusy: "fail",
  });
});

Deno.test("parseConvertOptions: every flag, and the folder as argument or --in", () => {
  assertEquals(
    parseConvertOptions([
      "res",
      "--out-dir",
      "out",
      "--seed",
      "18446744073709551739",
      "--test-per-category",
      "0",
      "--rules",
      "majority",
      "--split-by",
      "trace",
      "--allow-empty",
      "--json",
      "--wait",
    ]),
    {
      inDir: "res",
      outDir: "out",
      seed: 18446744073709551739n,
      testPerCategory: 0,
      rules: "majority",
      splitBy: "trace",
      allowEmpty: true,
      json: true,
      onBusy: "wait",
    },
  );
  assertEquals(parseConvertOptions(["--in", "r2"]).inDir, "r2");
  assertEquals(parseConvertOptions(["r3", "--in", "r3"]).inDir, "r3");
  assertEquals(parseConvertOptions(["--seed=-7"]).seed, -7n);
  assertEquals(parseConvertOptions(["--split-by=turn"]).splitBy, "turn");
});

Deno.test("parseConvertOptions: usage errors", () => {
  const cases: [string[], string][] = [
    [["--rules", "vote"], "--rules must be one of reference, majority"],
    [["--split-by", "file"], '--split-by must be one of item, turn, trace, got "file"'],
    [["--seed", "4.2"], "--seed must be a whole number"],
    [["--test-per-category=-1"], "--test-per-category must be between 0"],
    [["--test-per-category", "many"], "whole number"],
    [["a", "b"], 'Unexpected argument "b"'],
    [["a", "--in", "b"], "disagree"],
    [["--out-dir", ""], "--out-dir must not be empty"],
    [["--nope"], "nope"],
  ];
  for (const [args, message] of cases) {
    const error = assertThrows(() => parseConvertOptions(args), ProactiveError, message);
    assertEquals(error.kind, "usage", args.join(" "));
  }
});

Deno.test("the help text lists every flag with its default and an example", () => {
  assertEquals(command.name, "convert");
  assertEquals(command.summary.includes("\n"), false);
  for (
    const text of [
      "--in DIR",
      "(default: result)",
      "--out-dir DIR",
      "(default: reward_data)",
      "--seed N",
      "(default: 42)",
      "--test-per-category N",
      "(default: 30)",
      "--rules reference|majority",
      "(default: reference)",
      "--split-by item|turn|trace",
      "(default: item)",
      "all items of one labelled turn (one result file,",
      "trace: all items of one result file (one trace)",
      "--allow-empty",
      "exits 1",
      "--json",
      "Examples:",
      "proactive convert result --split-by trace",
    ]
  ) {
    assertStringIncludes(command.help, text);
  }
});
