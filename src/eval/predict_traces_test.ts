import { assertEquals } from "../../tests/assert.ts";
import type { LlmClient } from "../llm/llm_client.ts";
import type { NamedTrace } from "./eval_traces.ts";
import { predictTraces } from "./predict_traces.ts";

function namedTrace(file: string, turns: number): NamedTrace {
  return {
    file,
    trace: Array.from({ length: turns }, (_, t) => ({
      observation: { time: `${1000 + t}`, event: `${file} event ${t}` },
      agent_response: { candidate_task: [] },
      task_status: false,
    })),
  };
}

Deno.test("predictTraces starts the longest traces first and reports in input order", async () => {
  const dir = await Deno.makeTempDir({ prefix: "predict-order-" });
  try {
    const traces = [namedTrace("a.json", 2), namedTrace("b.json", 5), namedTrace("c.json", 3)];
    const started: string[] = [];
    const chatJson = ((_schema, messages) => {
      const last = String(messages.at(-1)?.content);
      const file = ["a.json", "b.json", "c.json"].find((f) => last.includes(`${f} event`))!;
      if (started.at(-1) !== file) started.push(file);
      return Promise.resolve([{
        Purpose: "p",
        Thoughts: "t",
        "Proactive Task": null,
        Response: null,
      }]);
    }) as Pick<LlmClient, "chatJson">["chatJson"];
    // One worker: traces run one after the other, so the order they start in is visible.
    const summary = await predictTraces(traces, { chatJson }, { outDir: dir, workers: 1 });
    assertEquals(started, ["b.json", "c.json", "a.json"]);
    assertEquals(summary.traces.map((t) => [t.file, t.turns, t.status]), [
      ["a.json", 2, "done"],
      ["b.json", 5, "done"],
      ["c.json", 3, "done"],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
