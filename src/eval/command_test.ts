import { assertEquals, assertStringIncludes, assertThrows } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { command, findTarget, parseEvalOptions } from "./command.ts";
import { loadTestSet } from "./run_eval_reward.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("parseEvalOptions: reward with defaults (embedded test set)", () => {
  const options = parseEvalOptions(["reward", "--model", "judge"], env({}));
  assertEquals(options.target, "reward");
  assertEquals(options.input, null);
  assertEquals(options.output, "reward_eval_results.jsonl");
  assertEquals(options.summary, "reward_eval_results.summary.json");
  assertEquals(options.json, false);
  assertEquals(options.unreadable, "rejected");
  assertEquals(options.llm.endpoints.reward?.model, "judge");
});

Deno.test("parseEvalOptions: --unreadable wrong, and a bad rule is a usage error", () => {
  const options = parseEvalOptions(["reward", "--model", "m", "--unreadable", "wrong"], env({}));
  assertEquals(options.unreadable, "wrong");
  const bad = assertThrows(
    () => parseEvalOptions(["reward", "--model", "m", "--unreadable", "skip"], env({})),
    ProactiveError,
    '--unreadable must be one of rejected, wrong, got "skip"',
  );
  assertEquals(bad.kind, "usage");
});

Deno.test("parseEvalOptions: flags before or after the target", () => {
  const options = parseEvalOptions(
    ["--in", "t.jsonl", "reward", "--out", "r.jsonl", "--json", "--model", "m", "--limit", "7"],
    env({}),
  );
  assertEquals([options.input, options.output, options.json], ["t.jsonl", "r.jsonl", true]);
  assertEquals(options.summary, "r.summary.json");
  assertEquals(options.llm.limit, 7);
});

Deno.test("parseEvalOptions: a missing or unknown target is a usage error", () => {
  const missing = assertThrows(() => parseEvalOptions(["--model", "m"], env({})), ProactiveError);
  assertEquals(missing.kind, "usage");
  assertStringIncludes(missing.message, "proactive eval reward");
  const unknown = assertThrows(
    () => parseEvalOptions(["bogus", "--model", "m"], env({})),
    ProactiveError,
  );
  assertEquals(unknown.kind, "usage");
  assertStringIncludes(unknown.message, 'Unknown evaluation "bogus"');
  const two = assertThrows(
    () => parseEvalOptions(["reward", "reward", "--model", "m"], env({})),
    ProactiveError,
  );
  assertEquals(two.kind, "usage");
});

Deno.test("loadTestSet: the embedded set has 120 items, 30 per category", async () => {
  const { source, items } = await loadTestSet(null);
  assertStringIncludes(source, "embedded");
  assertEquals(items.length, 120);
  const counts: Record<string, number> = {};
  for (const { item } of items) counts[item.category] = (counts[item.category] ?? 0) + 1;
  assertEquals(Object.values(counts), [30, 30, 30, 30]);
  assertEquals(items[119].line, 120);
});

Deno.test("findTarget: the first positional, flag values skipped", () => {
  assertEquals(findTarget(["agent", "--model", "m"]), { target: "agent", index: 0 });
  assertEquals(findTarget(["--model", "judge", "judge", "--json"]), { target: "judge", index: 2 });
  assertEquals(findTarget(["--out-dir=x", "--score", "agent"]), { target: "agent", index: 2 });
  assertEquals(findTarget(["--json"]), null);
});

Deno.test("eval help documents agent and judge", () => {
  for (const part of ["proactive eval agent", "--judge-model", "--null-strings", "--out-dir"]) {
    assertStringIncludes(command.help, part);
  }
});
