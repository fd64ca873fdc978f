import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { parseConvertOptions } from "./command.ts";

Deno.test("parseConvertOptions: defaults", () => {
  assertEquals(parseConvertOptions([]), {
    inDir: "result",
    outDir: "reward_data",
    seed: 42n,
    testPerCategory: 30,
    rules: "reference",
    splitBy: "item",
    adjudicated: "prefer",
    excludeAnnotators: [],
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
      "--adjudicated",
      "ignore",
      "--exclude-annotators",
      "aa11, bb22,aa11",
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
      adjudicated: "ignore",
      excludeAnnotators: ["aa11", "bb22"],
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
    [["--adjudicated", "always"], "--adjudicated must be one of prefer, ignore"],
    [["--exclude-annotators", " , "], "--exclude-annotators must name at least one annotator id"],
  ];
  for (const [args, message] of cases) {
    const error = assertThrows(() => parseConvertOptions(args), ProactiveError, message);
    assertEquals(error.kind, "usage", args.join(" "));
  }
});
