import { assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { refusedTraceNames } from "./trace_names.ts";

Deno.test("refusedTraceNames: the index's name, in any case, and names equal up to case", () => {
  const logs = [
    "logs/splits.jsonl",
    "logs/Splits.JSONL",
    "logs/a.jsonl",
    "logs/a.JSONL",
    "logs/B.jsonl",
    "logs/b.jsonl",
    "logs/c.jsonl",
    "logs/splits_2.jsonl",
  ];
  const refused = refusedTraceNames(logs, "out");
  assertEquals([...refused.keys()].sort(), logs.slice(0, 6).sort());
  assertStringIncludes(refused.get("logs/splits.jsonl")!, '"out/splits.json"');
  assertStringIncludes(refused.get("logs/Splits.JSONL")!, 'its trace would be "out/Splits.json"');
  assertStringIncludes(refused.get("logs/a.jsonl")!, '"a.JSONL"');
  assertStringIncludes(refused.get("logs/a.JSONL")!, '"a.jsonl"');
  assertStringIncludes(refused.get("logs/B.jsonl")!, '"b.jsonl" would have the same trace file');
  assertStringIncludes(refused.get("logs/b.jsonl")!, '"B.jsonl"');
});
