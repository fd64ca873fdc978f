import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import type { AgentPrediction } from "../prompts/agent_prompts.ts";
import { candidateOf, candidateTasks, logTimeToUnix } from "./log_trace.ts";
import { splitName, traceSplits } from "./trace_splits.ts";

const sample = (task: string | null): AgentPrediction => ({
  Purpose: "p",
  Thoughts: "t",
  "Proactive Task": task,
  Response: null,
});

Deno.test("logTimeToUnix reads MM-DD HH:MM:SS as UTC in the given year, as the reference writes it", () => {
  // 2024-02-29T09:05:00Z, worked out by hand: 2024-01-01 is 1704067200; + (31 + 28) days
  // = 1709164800; + 9 h 5 min = 32700 s.
  assertEquals(logTimeToUnix("02-29 09:05:00", 2024), "1709197500.0");
  assertEquals(logTimeToUnix("01-01 00:00:00", 1970), "0.0");
  assertEquals(logTimeToUnix("12-31 23:59:59", 2023), "1704067199.0");
  // 02-29 does not exist in 2023: the error names the time.
  const error = assertThrows(() => logTimeToUnix("02-29 09:05:00", 2023), ProactiveError);
  assertEquals(error.message.includes('"02-29 09:05:00"'), true);
});

Deno.test("candidateOf treats null, 'null', 'None' and empty strings as no proposal", () => {
  assertEquals(candidateOf(sample(null)), null);
  assertEquals(candidateOf(sample("null")), null);
  assertEquals(candidateOf(sample(" None ")), null);
  assertEquals(candidateOf(sample("NULL")), null);
  assertEquals(candidateOf(sample("  ")), null);
  assertEquals(candidateOf(sample(" Open the file ")), "Open the file");
});

Deno.test("candidateTasks keeps distinct proposals in sample order, at most max, [] when all null", () => {
  assertEquals(candidateTasks([sample(null), sample("None"), sample("")], 5), []);
  assertEquals(
    candidateTasks([sample("B"), sample(null), sample("A"), sample(" B"), sample("C")], 5),
    ["B", "A", "C"],
  );
  assertEquals(candidateTasks([sample("A"), sample("B"), sample("C")], 2), ["A", "B"]);
});

Deno.test("traceSplits groups files by theme in the reference's shape, with an 'all' split", () => {
  const splits = traceSplits([
    { file: "b.json", theme: "Data Analysis" },
    { file: "a.json", theme: "Writing" },
    { file: "c.json", theme: "Data Analysis" },
    { file: "d.json", theme: null },
    { file: "e.json", theme: "data-analysis" },
  ]);
  assertEquals(splits, {
    all: { theme: "All", files: ["a.json", "b.json", "c.json", "d.json", "e.json"] },
    data_analysis: { theme: "Data Analysis", files: ["b.json", "c.json"] },
    unknown: { theme: "Unknown", files: ["d.json"] },
    writing: { theme: "Writing", files: ["a.json"] },
    data_analysis_2: { theme: "data-analysis", files: ["e.json"] },
  });
  assertEquals(splitName("  Coding & Review! "), "coding_review");
  assertEquals(splitName("!!!"), "theme");
});

Deno.test("buildLogTrace asks again (own cache tag) when the endpoint returns fewer choices than n", async () => {
  const { buildLogTrace } = await import("./log_trace.ts");
  const calls: { n?: number; tag?: string; turnEvents: number }[] = [];
  const agent = {
    chatJson(_schema: unknown, messages: { content: string }[], params: { n?: number }, options: {
      cacheTag?: string;
    }) {
      const observations = JSON.parse(messages.at(-1)!.content).Observations as unknown[];
      calls.push({ n: params.n, tag: options.cacheTag, turnEvents: observations.length });
      // One choice per request (an endpoint without `n`): "A", then "B", then nulls.
      const k = calls.filter((c) => c.turnEvents === observations.length).length;
      return Promise.resolve([sample(k === 1 ? "A" : k === 2 ? "B" : k === 3 ? "A" : null)]);
    },
  } as unknown as import("../llm/llm_client.ts").LlmClient;
  const log = {
    path: "x.jsonl",
    format: "proactive" as const,
    name: "x",
    events: [{ time: "03-01 10:00:00", event: "e1" }, { time: "03-01 10:00:30", event: "e2" }],
    samples: [],
    seed: null,
    theme: null,
    operations: null,
  };
  const trace = await buildLogTrace(log, { agent, candidates: 4, year: 2024 });
  assertEquals(trace.map((t) => t.agent_response.candidate_task), [["A", "B"], ["A", "B"]]);
  assertEquals(trace.map((t) => t.observation.time), ["1709287200.0", "1709287230.0"]);
  const first = calls.filter((c) => c.turnEvents === 1);
  assertEquals(first.map((c) => c.n), [4, 3, 2, 1]);
  assertEquals(new Set(first.map((c) => c.tag)).size, 4);
});
