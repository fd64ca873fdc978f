import { assertEquals } from "../../tests/assert.ts";
import { createMemoryLogger } from "../cli/testing/memory_logger.ts";
import { readEarlierRuns, runRecord, summaryFile, totalRuns } from "./reward_runs.ts";
import type { RewardSummary } from "./reward_summary.ts";

const llm = (requests: number) => ({
  calls: requests,
  requests,
  retries: 1,
  repairs: 0,
  cacheHits: 2,
  promptTokens: 100 * requests,
  completionTokens: 10 * requests,
  failures: 0,
  endpoints: [],
});

const run = (asked: number, succeeded: number, requests: number): RewardSummary => ({
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
  limit: null,
  balance: { target: 1, before: {}, after: {} },
  counts: {
    inputItems: 10,
    balancedItems: 10,
    alreadyDone: 0,
    asked,
    succeeded,
    failed: asked - succeeded,
    notAsked: 0,
    written: succeeded,
    dropped: 0,
    attempts: asked + 1,
    checkpoints: 0,
  },
  llm: llm(requests),
  startedAt: "2026-01-01T00:00:00.000Z",
  durationMs: 5,
});

Deno.test("summaryFile: the runs in order and their totals", () => {
  const first = runRecord(run(4, 3, 8));
  const file = summaryFile(run(1, 1, 2), [first]);
  assertEquals(file.runs.length, 2);
  assertEquals(file.runs[0], first);
  assertEquals(file.conversations, 1);
  assertEquals(file.totals, {
    runs: 2,
    asked: 5,
    succeeded: 4,
    failed: 1,
    attempts: 7,
    calls: 10,
    requests: 10,
    retries: 2,
    repairs: 0,
    cacheHits: 4,
    promptTokens: 1000,
    completionTokens: 100,
    failures: 0,
  });
  assertEquals(totalRuns([]).runs, 0);
});

Deno.test("readEarlierRuns: a list, an older single-run summary, another output, garbage", async () => {
  const dir = await Deno.makeTempDir({ prefix: "reward-runs-" });
  try {
    const path = `${dir}/s.json`;
    const logger = createMemoryLogger();
    assertEquals(await readEarlierRuns(path, "out/set.json", logger), []);

    const file = summaryFile(run(2, 2, 4), [runRecord(run(3, 1, 6))]);
    await Deno.writeTextFile(path, JSON.stringify(file));
    assertEquals(await readEarlierRuns(path, "out/set.json", logger), file.runs);
    assertEquals(await readEarlierRuns(path, "elsewhere/set.json", logger), []);

    await Deno.writeTextFile(path, JSON.stringify(run(7, 7, 14))); // no "runs": one run
    const legacy = await readEarlierRuns(path, "out/set.json", logger);
    assertEquals(legacy, [runRecord(run(7, 7, 14))]);

    await Deno.writeTextFile(path, "{not json");
    assertEquals(await readEarlierRuns(path, "out/set.json", logger), []);
    assertEquals(logger.lines.some((l) => l.includes(`"${path}" is not a JSON object`)), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
