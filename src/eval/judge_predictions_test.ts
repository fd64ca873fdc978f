import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import type { LlmClient } from "../llm/llm_client.ts";
import { judgeFiles, proposalsOf, readJudgeWork } from "./judge_predictions.ts";
import { attemptTemperature, otherInformationOf, predictionFields } from "./predict_traces.ts";

Deno.test("proposalsOf: empty is one null proposal; the null strings by rule", () => {
  assertEquals(proposalsOf([], "null"), [null]);
  assertEquals(proposalsOf([], "task"), [null]);
  assertEquals(proposalsOf(["null", "None", "", " ", "Do it"], "null"), [
    null,
    null,
    null,
    null,
    "Do it",
  ]);
  assertEquals(proposalsOf(["null", "None", "", "Do it"], "task"), ["null", "None", "", "Do it"]);
  assertEquals(proposalsOf([null], "task"), [null]);
});

Deno.test("predictionFields: [] for no task, [task] otherwise, other_infomation", () => {
  const base = { Purpose: "p", Thoughts: "t", Response: null };
  assertEquals(predictionFields({ ...base, "Proactive Task": null }), {
    agent_response: [],
    other_infomation: { Purpose: "p", Thoughts: "t", Response: null },
  });
  assertEquals(predictionFields({ ...base, "Proactive Task": " Fix it " }).agent_response, [
    "Fix it",
  ]);
});

Deno.test("attemptTemperature: 0 first, 0.5 on retries, or the override", () => {
  assertEquals([0, 1, 2].map((k) => attemptTemperature(k)), [0, 0.5, 0.5]);
  assertEquals([0, 1].map((k) => attemptTemperature(k, 0.7)), [0.7, 0.7]);
});

Deno.test("otherInformationOf: the reference's spelling and the corrected one", () => {
  assertEquals(otherInformationOf({ other_infomation: { Purpose: "a" } }), { Purpose: "a" });
  assertEquals(otherInformationOf({ other_information: { Purpose: "b" } }), { Purpose: "b" });
  assertEquals(otherInformationOf({}), undefined);
});

/** Prediction files in a temp folder: `turns` turns each, every second one proposing a task. */
async function predictionFolder(files: number, turns: number): Promise<string[]> {
  const dir = await Deno.makeTempDir({ prefix: "judge-files-" });
  const paths: string[] = [];
  for (let f = 0; f < files; f++) {
    const path = `${dir}/trace_${f}.json`;
    const trace = Array.from({ length: turns }, (_, t) => ({
      observation: { time: `${1000 + t}`, event: `file ${f} event ${t}` },
      agent_response: t % 2 === 0 ? [] : [`Task ${f}.${t}`],
    }));
    await Deno.writeTextFile(path, JSON.stringify(trace));
    paths.push(path);
  }
  return paths;
}

/** A reward model that accepts everything after a pause, counting calls in flight. */
function countingJudge(pauseMs: number) {
  const state = { inFlight: 0, maxInFlight: 0, calls: 0 };
  const chat: Pick<LlmClient, "chat">["chat"] = async (_messages, _params, options) => {
    state.calls++;
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, pauseMs);
        options?.signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(options.signal!.reason);
        }, { once: true });
      });
    } finally {
      state.inFlight--;
    }
    return {
      choices: ['{"thought": "ok", "judgement": "accepted"}'],
      finishReasons: ["stop"],
      usage: { promptTokens: 1, completionTokens: 1 },
      cached: false,
    };
  };
  return { client: { chat }, state };
}

Deno.test("judgeFiles: one pool over the turns of every file, each file written when done", async () => {
  const paths = await predictionFolder(3, 5);
  try {
    const work = await Promise.all(paths.map((path) => readJudgeWork(path, "null")));
    const { client, state } = countingJudge(5);
    const outcomes = await judgeFiles(work, client, { nullStrings: "null", workers: 4 });
    assertEquals(state.maxInFlight, 4);
    assertEquals(state.calls, 15);
    assertEquals(outcomes.map((o) => o.judged), [5, 5, 5]);
    for (const path of paths) {
      const turns = JSON.parse(await Deno.readTextFile(path));
      assertEquals(turns.map((t: { judgement: boolean[] }) => t.judgement), [
        [true],
        [true],
        [true],
        [true],
        [true],
      ]);
    }
    // Judged on disk: a second pass has nothing to do and touches nothing.
    const again = await Promise.all(paths.map((path) => readJudgeWork(path, "null")));
    assertEquals(again.map((w) => [w.todo.length, w.outcome.alreadyJudged]), [[0, 5], [0, 5], [
      0,
      5,
    ]]);
  } finally {
    await Deno.remove(paths[0].slice(0, paths[0].lastIndexOf("/")), { recursive: true });
  }
});

Deno.test("judgeFiles: an abort keeps what was judged; files not reached are untouched", async () => {
  const paths = await predictionFolder(3, 6);
  try {
    const before = await Promise.all(paths.map((path) => Deno.readTextFile(path)));
    const work = await Promise.all(paths.map((path) => readJudgeWork(path, "null")));
    const { client } = countingJudge(20);
    const stop = new AbortController();
    setTimeout(() => stop.abort(new Error("interrupted")), 50);
    await assertRejects(
      () => judgeFiles(work, client, { nullStrings: "null", workers: 2, signal: stop.signal }),
      Error,
      "interrupted",
    );
    const first = JSON.parse(await Deno.readTextFile(paths[0]));
    const judged = first.filter((t: Record<string, unknown>) => "judgement" in t).length;
    assert(judged >= 2 && judged < 6, `judged ${judged} turns of the first file`);
    assertEquals(await Deno.readTextFile(paths[2]), before[2]);
    // The next run resumes with the turns left.
    const resumed = await readJudgeWork(paths[0], "null");
    assertEquals(resumed.todo.length, 6 - judged);
  } finally {
    await Deno.remove(paths[0].slice(0, paths[0].lastIndexOf("/")), { recursive: true });
  }
});
