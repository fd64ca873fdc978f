import { assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import type { RewardFailure } from "./build_reward_set.ts";
import { formatRewardReport, LISTED_FAILURES, type RewardSummary } from "./reward_summary.ts";

const SUMMARY: RewardSummary = {
  command: "reward",
  input: "in.jsonl",
  output: "out/set.json",
  failuresFile: "out/f.jsonl",
  datasetInfo: "out/dataset_info.json",
  datasetName: "set",
  summaryFile: "out/set.summary.json",
  promptVersions: { reward: "r", explain: "e", consistency: "c" },
  seed: "42",
  maxAttempts: 3,
  consistency: { samples: 5, temperature: 0.8 },
  limit: 30,
  balance: {
    target: 182,
    before: { MN: 93, CR: 149, CD: 474, FA: 913 },
    after: { MN: 182, CR: 182, CD: 474, FA: 913 },
  },
  counts: {
    inputItems: 1629,
    balancedItems: 1751,
    alreadyDone: 3,
    asked: 27,
    succeeded: 2,
    failed: 25,
    notAsked: 1721,
    written: 5,
    dropped: 1,
    attempts: 77,
    checkpoints: 0,
  },
  llm: {
    calls: 0,
    requests: 0,
    retries: 0,
    repairs: 0,
    cacheHits: 0,
    promptTokens: 0,
    completionTokens: 0,
    failures: 0,
    endpoints: [],
  },
  startedAt: "2025-01-01T00:00:00.000Z",
  durationMs: 5,
};

Deno.test("formatRewardReport: counts, files, the first failures with reasons, stats", () => {
  const failures: RewardFailure[] = Array.from({ length: 25 }, (_, i) => ({
    index: i,
    line: i + 1,
    category: "False-Alarm (FA)",
    label: "rejected",
    pred_task: "t",
    attempts: 3,
    reasons: ["attempt 1: a", "attempt 2: b"],
  }));
  const text = formatRewardReport(SUMMARY, failures, "LLM: stats\n");
  const lines = text.split("\n");
  assertEquals(
    lines[0],
    "Balanced 1,629 items to 1,751 (target 182: MN 93→182, CR 149→182, CD 474, FA 913; seed 42).",
  );
  assertEquals(
    lines[1],
    "Already done: 3; asked now: 27 (2 succeeded, 25 failed, 77 attempts); " +
      "left for later (--limit): 1,721.",
  );
  assertEquals(lines[2], "Wrote 5 conversations to out/set.json (1 stale ones dropped)");
  assertStringIncludes(text, '  dataset_info entry "set": out/dataset_info.json\n');
  assertStringIncludes(text, "Failures (25):\n");
  assertStringIncludes(
    text,
    "  item 1 (line 1, False-Alarm (FA), label rejected): attempt 1: a; attempt 2: b\n",
  );
  assertEquals(lines.filter((l) => l.startsWith("  item ")).length, LISTED_FAILURES);
  assertStringIncludes(text, "  … and 5 more in out/f.jsonl\nLLM: stats\n");
});

Deno.test("formatRewardReport: an empty result says nothing was registered; totals of all runs", () => {
  const empty = { ...SUMMARY, counts: { ...SUMMARY.counts, alreadyDone: 0, written: 0 } };
  const text = formatRewardReport(empty, [], "", {
    runs: 2,
    asked: 54,
    succeeded: 4,
    failed: 50,
    attempts: 150,
    calls: 300,
    requests: 310,
    retries: 10,
    repairs: 0,
    cacheHits: 0,
    promptTokens: 1000,
    completionTokens: 234,
    failures: 0,
  });
  assertStringIncludes(
    text,
    "No conversation to write: out/set.json and out/dataset_info.json are left as they were " +
      "(nothing registered).\n",
  );
  assertEquals(text.includes("dataset_info entry"), false);
  assertStringIncludes(
    text,
    "All 2 runs on this output: 54 asked (4 succeeded, 50 failed, 150 attempts), " +
      "310 requests, 1,234 tokens.",
  );
});
