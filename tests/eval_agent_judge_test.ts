/**
 * `proactive eval agent` → `eval judge` end to end, through the `eval` command, on the 12
 * embedded ProactiveBench traces, against the fake OpenAI server playing a scripted agent
 * and reward model.
 *
 * The scripted agent, at turn t of a trace: no task when t % 3 == 0, the task
 * "Task <trace>#<t>" when t % 3 == 1, and the string "None" when t % 3 == 2 — except at
 * code_12 turn 4, where every answer is invalid JSON (the failed turn). The scripted
 * reward model, seeing the observations of turns 0..i: accepts a null proposal when i is
 * even, a task when i is odd, and answers unreadably at writing_13 turn 1 in the first
 * judge run. So, by hand, with the default null rule:
 *   t % 3 == 0 → agent_response [], judgement [t even]
 *   t % 3 == 1 → [task], judgement [t odd]
 *   t % 3 == 2 → [] (the answer's "None" is null), judgement [t even]
 * (the LLM layer reads the agent's "None" as null). The "null" rule is checked on a
 * folder in the reference's layout whose proposals are the strings "null", "None" and "".
 */
import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import type { CommandContext } from "../src/cli/command.ts";
import { createMemoryLogger } from "../src/cli/testing/memory_logger.ts";
import { EMBEDDED_TRACES } from "../src/formats/embedded_traces.ts";
import { parseTrace } from "../src/formats/trace.ts";
import { command } from "../src/eval/command.ts";
import { runAgentCommand } from "../src/eval/agent_command.ts";
import { postgresMissing, startPostgresCluster } from "../src/store/testing/postgres_cluster.ts";
import {
  type FakeRequestBody,
  startFakeOpenAiServer,
} from "../src/llm/testing/fake_openai_server.ts";

const TRACES = EMBEDDED_TRACES.map(([name, value]) => ({
  name,
  trace: parseTrace(value, name),
}));
const TOTAL_TURNS = TRACES.reduce((n, t) => n + t.trace.length, 0);
const FAILED = { name: "code_12", turn: 4 };
const UNJUDGEABLE = { name: "writing_13", turn: 1 };

/** `{time, event}` JSON → where it is (trace, turn); every observation is unique. */
const WHERE = new Map<string, { name: string; turn: number }>();
for (const { name, trace } of TRACES) {
  trace.forEach((turn, t) => {
    const key = JSON.stringify({ time: turn.observation.time, event: turn.observation.event });
    assert(!WHERE.has(key), `observation ${key} appears twice`);
    WHERE.set(key, { name, turn: t });
  });
}

function agentAnswer(name: string, t: number): string {
  if (name === FAILED.name && t === FAILED.turn) return "I cannot answer in JSON today.";
  const task = t % 3 === 0 ? null : t % 3 === 1 ? `Task ${name}#${t}` : "None";
  return JSON.stringify({
    Purpose: `purpose ${t}`,
    Thoughts: `thoughts ${t}`,
    "Proactive Task": task,
    Response: task === null ? null : `May I help? (${t})`,
  });
}

/** The last message that is JSON (a re-ask after an invalid answer is prose). */
function lastJsonMessage(body: FakeRequestBody) {
  for (const message of [...body.messages].reverse()) {
    try {
      return JSON.parse(String(message.content));
    } catch {
      // prose
    }
  }
  throw new Error("no JSON message");
}

function handler(judgeBroken: boolean) {
  return (body: FakeRequestBody) => {
    const system = String(body.messages[0].content);
    const last = lastJsonMessage(body);
    if (system.startsWith("You are a proactive assistant")) {
      const where = WHERE.get(JSON.stringify(last.Observations.at(-1)));
      if (!where) return { texts: "unknown turn" };
      return { texts: agentAnswer(where.name, where.turn) };
    }
    const activity = last.activity_oldest_first as { time: string; event: string }[];
    const where = WHERE.get(JSON.stringify(activity.at(-1)));
    if (!where) return { texts: "unknown turn" };
    assertEquals(activity.length, where.turn + 1);
    assertEquals(Object.keys(activity[0]), ["time", "event"]);
    if (judgeBroken && where.name === UNJUDGEABLE.name && where.turn === UNJUDGEABLE.turn) {
      return { texts: "Hard to say." };
    }
    const i = where.turn;
    const accepted = last.proposed_task === null ? i % 2 === 0 : i % 2 === 1;
    return {
      texts: JSON.stringify({
        thought: "I think so.",
        judgement: accepted ? "accepted" : "rejected",
      }),
    };
  };
}

function context(): CommandContext & { out: string[] } {
  const out: string[] = [];
  return {
    out,
    env: () => undefined,
    stdout: (text) => out.push(text),
    logger: createMemoryLogger(),
    isTerminal: false,
    signal: new AbortController().signal,
    now: Date.now,
  };
}

type Turn = Record<string, unknown>;
async function readTurns(dir: string, name: string): Promise<Turn[]> {
  return JSON.parse(await Deno.readTextFile(join(dir, "agent-x", `${name}.json`)));
}

Deno.test("eval agent → eval judge: predictions, a failed turn, judgements, resume", async () => {
  const dir = await Deno.makeTempDir();
  await using server = await startFakeOpenAiServer({ handler: handler(true) });
  const llm = [
    "--base-url",
    server.baseUrl,
    "--cache-dir",
    join(dir, "cache"),
    "--concurrency",
    "4",
  ];
  try {
    // eval agent
    const agentCtx = context();
    const code = await command.run(
      ["agent", "--model", "agent-x", "--out-dir", dir, "--json", ...llm],
      agentCtx,
    );
    const summary = JSON.parse(agentCtx.out.join(""));
    assertEquals(code, 0, JSON.stringify(summary.traces.filter((t: Turn) => t.error)));
    assertEquals(summary.turns, TOTAL_TURNS);
    assertEquals(summary.failedTurns, 1);
    assertEquals(summary.failedTraces, 0);
    const agentRequests = server.requests.length;
    assert(agentRequests > TOTAL_TURNS, "the failed turn was asked again");
    assertEquals(server.requests[0].temperature, 0);
    assert(server.requests.some((r) => r.temperature === 0.5), "retries at 0.5");

    for (const { name, trace } of TRACES) {
      const turns = await readTurns(dir, name);
      assertEquals(turns.length, trace.length);
      turns.forEach((turn, t) => {
        assertEquals(turn.observation, trace[t].observation);
        assertEquals(turn.task_status, trace[t].task_status);
        if (name === FAILED.name && t === FAILED.turn) {
          // No agent_response: the reference's judge and calculator skip the turn.
          assertEquals("agent_response" in turn, false);
          assert(typeof turn.failure === "string" && turn.failure.length > 0);
          return;
        }
        // The LLM layer reads a "None" task as null: no proposal.
        const expected = t % 3 === 1 ? [`Task ${name}#${t}`] : [];
        assertEquals(turn.agent_response, expected, `${name} turn ${t}`);
        assertEquals((turn.other_infomation as Turn).Purpose, `purpose ${t}`);
        assertEquals((turn.other_infomation as Turn).Thoughts, `thoughts ${t}`);
      });
    }
    // The turn after the failed one has no prediction for it in its history.
    const afterFailed = server.requests.find((r) => {
      const where = WHERE.get(JSON.stringify(lastJsonMessage(r).Observations?.at(-1)));
      return where?.name === FAILED.name && where.turn === FAILED.turn + 1;
    })!;
    assertEquals(afterFailed.messages.filter((m) => m.role === "assistant").length, FAILED.turn);
    const lastUser = JSON.parse(String(afterFailed.messages.at(-1)!.content));
    assertEquals(lastUser.Observations.length, 2, "the failed turn's observation carries over");

    // eval agent again: every trace is done, no request.
    const again = context();
    assertEquals(
      await command.run(["agent", "--model", "agent-x", "--out-dir", dir, ...llm], again),
      0,
    );
    assertEquals(server.requests.length, agentRequests);
    assertStringIncludes(again.out.join(""), "12 traces already done");
    assertStringIncludes(again.out.join(""), "1 turns failed");

    // eval judge: one turn unreadable, the rest judged and written.
    const judgeCtx = context();
    const judgeCode = await command.run(
      ["judge", "--model", "reward-y", "--out-dir", dir, "--json", ...llm],
      judgeCtx,
    );
    assertEquals(judgeCode, 1);
    const judged = JSON.parse(judgeCtx.out.join(""));
    assertEquals(judged.judged, TOTAL_TURNS - 2);
    assertEquals(judged.unpredicted, 1);
    assertEquals(judged.failed, 1);
    for (const { name, trace } of TRACES) {
      const turns = await readTurns(dir, name);
      turns.forEach((turn, t) => {
        if (name === FAILED.name && t === FAILED.turn) {
          assertEquals("judgement" in turn, false);
        } else if (name === UNJUDGEABLE.name && t === UNJUDGEABLE.turn) {
          assertEquals("judgement" in turn, false);
          assertStringIncludes(String(turn.judge_failure), "no readable judgement");
          // Its proposals are kept aside: the reference's calculator never meets a list
          // without its judgement.
          assertEquals("agent_response" in turn, false);
          assert(Array.isArray(turn.unjudged_agent_response));
        } else {
          const accepted = t % 3 === 1 ? t % 2 === 1 : t % 2 === 0;
          assertEquals(turn.judgement, [accepted], `${name} turn ${t}`);
          // A null proposal is written [null], with its one judgement.
          assertEquals(turn.agent_response, t % 3 === 1 ? [`Task ${name}#${t}`] : [null]);
        }
      });
      assertEquals(turns.length, trace.length);
    }

    // Resume: only the failed turn is asked again; then nothing at all.
    server.setHandler(handler(false));
    const before = server.requests.length;
    assertEquals(
      await command.run(["judge", "--model", "reward-y", "--out-dir", dir, ...llm], context()),
      0,
    );
    assertEquals(server.requests.length, before + 1);
    const fixed = await readTurns(dir, UNJUDGEABLE.name);
    assertEquals(fixed[UNJUDGEABLE.turn].judgement, [true]);
    assertEquals("judge_failure" in fixed[UNJUDGEABLE.turn], false);
    assertEquals("judge_attempts" in fixed[UNJUDGEABLE.turn], false);
    assertEquals(
      await command.run(["judge", "--model", "reward-y", "--out-dir", dir, ...llm], context()),
      0,
    );
    assertEquals(server.requests.length, before + 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(`${dir}-cache`, { recursive: true }).catch(() => {});
  }
});

Deno.test("eval agent --judge-model --score: the three steps chain on one folder", async () => {
  const dir = await Deno.makeTempDir();
  await using server = await startFakeOpenAiServer({ handler: handler(false) });
  const llm = ["--base-url", server.baseUrl, "--cache-dir", `${dir}-cache`, "--limit", "2"];
  try {
    const scored: unknown[] = [];
    const args = ["--model", "agent-x", "--judge-model", "reward-y", "--score", "--out-dir", dir];
    const code = await runAgentCommand([...args, ...llm], context(), (input) => {
      scored.push(input);
      return Promise.resolve(0);
    });
    assertEquals(code, 0);
    assertEquals(scored, [{ outDir: dir, models: ["agent-x"], json: false }]);
    for (const { name } of TRACES.slice(0, 2)) {
      const turns = await readTurns(dir, name);
      turns.forEach((turn, t) => {
        if (name === FAILED.name && t === FAILED.turn) return;
        const accepted = t % 3 === 1 ? t % 2 === 1 : t % 2 === 0;
        assertEquals(turn.judgement, [accepted], `${name} turn ${t}`);
      });
    }
    // The build's own score step (eval score) on the same folder: nothing is asked again,
    // the table names the model and its CSV is written beside the folder.
    const count = server.requests.length;
    const ctx = context();
    assertEquals(await runAgentCommand([...args, ...llm], ctx), 0);
    assertEquals(server.requests.length, count);
    assertStringIncludes(ctx.out.join(""), "agent-x");
    assertStringIncludes(await Deno.readTextFile(join(dir, "agent-x.csv")), "Category,Recall");
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(`${dir}-cache`, { recursive: true }).catch(() => {});
  }
});

Deno.test('eval judge: "null", "None" and "" are null proposals; --null-strings task sends them', async () => {
  const dir = await Deno.makeTempDir();
  await using server = await startFakeOpenAiServer({ handler: handler(false) });
  const llm = ["--base-url", server.baseUrl, "--no-cache"];
  const trace = TRACES.find((t) => t.name === "writing_11")!.trace;
  const responses = [["null"], ["None"], [""], ["Real task"], [], ["A", "null"]];
  // The reference's layout: the trace's turns with agent_response lists.
  const file = responses.map((agent_response, i) => ({ ...trace[i], agent_response }));
  try {
    for (const folder of ["default", "task"]) {
      await Deno.mkdir(join(dir, folder), { recursive: true });
      await Deno.writeTextFile(join(dir, folder, "writing_11.json"), JSON.stringify(file));
    }
    const sent = () =>
      server.requests.map((r) => JSON.parse(String(r.messages.at(-1)!.content)).proposed_task);
    const run = (folder: string, extra: string[]) =>
      command.run(
        ["judge", "--model", "r", "--out-dir", dir, "--agent", folder, ...extra, ...llm],
        context(),
      );

    assertEquals(await run("default", []), 0);
    assertEquals(sent().sort(), [null, null, null, null, null, "A", "Real task"].sort());
    // i even: null accepted, task rejected; i odd: the reverse.
    const byDefault = JSON.parse(await Deno.readTextFile(join(dir, "default", "writing_11.json")));
    assertEquals(byDefault.map((t: Turn) => t.judgement), [
      [true],
      [false],
      [true],
      [true],
      [true],
      [true, false],
    ]);

    const before = server.requests.length;
    assertEquals(await run("task", ["--null-strings", "task"]), 0);
    assertEquals(
      sent().slice(before).sort(),
      ["null", "None", "", "Real task", null, "A", "null"].sort(),
    );
    const asTasks = JSON.parse(await Deno.readTextFile(join(dir, "task", "writing_11.json")));
    assertEquals(asTasks.map((t: Turn) => t.judgement), [
      [false],
      [true],
      [false],
      [true],
      [true],
      [true, true],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(`${dir}-cache`, { recursive: true }).catch(() => {});
  }
});

Deno.test("eval agent --judge-model judges alongside the predictions, within one --concurrency", async () => {
  const base = await Deno.makeTempDir();
  const handle = handler(false);
  const kinds: string[] = [];
  await using server = await startFakeOpenAiServer({
    handler: (body) => {
      const agent = String(body.messages[0].content).startsWith("You are a proactive assistant");
      kinds.push(agent ? "agent" : "judge");
      return { ...handle(body), delayMs: 2 };
    },
  });
  const llm = ["--base-url", server.baseUrl, "--no-cache", "--concurrency", "3", "--limit", "4"];
  try {
    const chained = join(base, "chained");
    const out = context();
    const code = await runAgentCommand(
      ["--model", "agent-x", "--judge-model", "reward-y", "--out-dir", chained, "--json", ...llm],
      out,
    );
    assertEquals(code, 0);
    // Two JSON documents: the agent's counts, then the judge's with the LLM accounting of
    // both models (once).
    const [agentJson, judgeJson] = out.out.map((text) => JSON.parse(text));
    assertEquals("llm" in agentJson, false);
    assertEquals(
      judgeJson.llm.endpoints.map((e: { alias: string }) => e.alias).sort(),
      ["agent-x", "reward-y"],
    );
    assertEquals(judgeJson.llm.requests, server.requests.length);
    // The agent and the reward model named by flags on one base URL share its limit.
    assertEquals(server.maxInFlight, 3);
    // Judgements went out while the agent was still predicting.
    const lastAgent = kinds.lastIndexOf("agent");
    assert(kinds.slice(0, lastAgent).includes("judge"), "no judgement before the last prediction");
    const turns = TRACES.slice(0, 4).reduce((n, t) => n + t.trace.length, 0);
    assertEquals(kinds.filter((k) => k === "judge").length, turns - 1); // one failed turn
    // The same files as the two steps one after the other.
    const separate = join(base, "separate");
    const ctx = context();
    assertEquals(
      await command.run(["agent", "--model", "agent-x", "--out-dir", separate, ...llm], ctx),
      0,
    );
    assertEquals(
      await command.run(["judge", "--model", "reward-y", "--out-dir", separate, ...llm], ctx),
      0,
    );
    for (const { name } of TRACES.slice(0, 4)) {
      assertEquals(
        await Deno.readTextFile(join(chained, "agent-x", `${name}.json`)),
        await Deno.readTextFile(join(separate, "agent-x", `${name}.json`)),
        name,
      );
    }
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("eval judge: unreadable prediction files are named at the end, the others judged (exit 1)", async () => {
  const dir = await Deno.makeTempDir();
  await using server = await startFakeOpenAiServer({ handler: handler(false) });
  const trace = TRACES.find((t) => t.name === "writing_11")!.trace.slice(0, 3);
  const predicted = JSON.stringify(trace.map((turn) => ({ ...turn, agent_response: [] })));
  const model = join(dir, "agent-x");
  const bytes = new TextEncoder().encode(predicted);
  try {
    await Deno.mkdir(model, { recursive: true });
    await Deno.writeTextFile(join(model, "a_plain.json"), predicted);
    await Deno.writeFile(join(model, "b_bom.json"), new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]));
    await Deno.writeFile(
      join(model, "c_latin1.json"),
      new Uint8Array([...bytes.slice(0, 40), 0xe9]),
    );
    await Deno.mkdir(join(model, "d_folder.json"));
    await Deno.writeTextFile(join(model, "e_broken.json"), "[{");
    const ctx = context();
    const code = await command.run(
      [
        "judge",
        "--model",
        "r",
        "--out-dir",
        dir,
        "--json",
        "--base-url",
        server.baseUrl,
        "--no-cache",
      ],
      ctx,
    );
    assertEquals(code, 1);
    const summary = JSON.parse(ctx.out.join(""));
    // The readable files, the one with a byte order mark too, are judged and written.
    assertEquals(summary.judged, 2 * trace.length);
    assertEquals(summary.files.map((f: Turn) => f.file), [
      join(model, "a_plain.json"),
      join(model, "b_bom.json"),
    ]);
    for (const name of ["a_plain", "b_bom"]) {
      const turns = await readTurns(dir, name);
      assertEquals(turns.map((t) => t.judgement), [[true], [false], [true]], name);
    }
    const [latin1, folder, broken] = ["c_latin1", "d_folder", "e_broken"].map((name) =>
      join(model, `${name}.json`)
    );
    assertEquals(summary.unreadable.slice(0, 2), [
      {
        file: latin1,
        error: `The prediction file "${latin1}" is not UTF-8 text: ` +
          "invalid byte 0xe9 at byte offset 40 (line 1)",
      },
      { file: folder, error: `The prediction file "${folder}" is a folder, not a file` },
    ]);
    assertEquals(summary.unreadable[2].file, broken);
    assert(
      summary.unreadable[2].error.startsWith(`Cannot parse the prediction file "${broken}": `),
      summary.unreadable[2].error,
    );
    assertEquals(summary.unreadable.length, 3);
    // Named at the end of the run, after the counts.
    const lines = (ctx.logger as unknown as { lines: string[] }).lines;
    const named = lines.filter((line) => line.includes("Not judged:"));
    assertEquals(named.length, 3);
    assertStringIncludes(named[0], "c_latin1.json");
    assertStringIncludes(named[2], "e_broken.json");
    // Unchanged: the files that were not judged.
    assertEquals(await Deno.readTextFile(join(model, "e_broken.json")), "[{");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("eval agent: model names that shared a folder each get their own, and their own requests", async () => {
  const dir = await Deno.makeTempDir();
  await using server = await startFakeOpenAiServer({ handler: handler(false) });
  const llm = ["--base-url", server.baseUrl, "--no-cache", "--limit", "1"];
  const first = TRACES[0];
  try {
    const folders: string[] = [];
    for (const model of ["llama3:8b", "llama3 8b", "llama3/8b"]) {
      const before = server.requests.length;
      const ctx = context();
      const code = await command.run(
        ["agent", "--model", model, "--out-dir", dir, "--json", ...llm],
        ctx,
      );
      assertEquals(code, 0);
      const summary = JSON.parse(ctx.out.join(""));
      // Each model is asked every turn itself: nothing is taken from another's folder.
      assertEquals(summary.skippedTraces, 0, model);
      const asked = server.requests.slice(before);
      assertEquals(asked.length, first.trace.length, model);
      assert(asked.every((r) => r.model === model), model);
      folders.push(summary.outDir);
      const turns = JSON.parse(
        await Deno.readTextFile(join(summary.outDir, `${first.name}.json`)),
      );
      assertEquals(turns.length, first.trace.length);
    }
    assertEquals(new Set(folders).size, 3);
    // Each folder's marker names its model.
    for (const [i, model] of ["llama3:8b", "llama3 8b", "llama3/8b"].entries()) {
      const marker = JSON.parse(await Deno.readTextFile(join(folders[i], ".model.json")));
      assertEquals(marker, { model });
    }
    assertEquals(
      [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
      ["_llama3_208b", "_llama3_2F8b", "_llama3_3A8b"],
    );

    // eval judge over the whole --out-dir names the models, not the folders, and skips the
    // markers; eval judge --agent NAME finds the folder of the name.
    const judged = context();
    assertEquals(await command.run(["judge", "--model", "r", "--out-dir", dir, ...llm], judged), 0);
    assertStringIncludes(judged.out.join(""), "in 3 files of llama3 8b, llama3/8b, llama3:8b");
    const again = context();
    assertEquals(
      await command.run(
        ["judge", "--model", "r", "--out-dir", dir, "--agent", "llama3/8b", "--json", ...llm],
        again,
      ),
      0,
    );
    const json = JSON.parse(again.out.join(""));
    assertEquals(json.files.map((f: { file: string }) => f.file), [
      join(dir, "_llama3_2F8b", `${first.name}.json`),
    ]);
    assertEquals(json.alreadyJudged, first.trace.length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("eval agent / judge: a folder marked for another model is refused, naming both", async () => {
  const dir = await Deno.makeTempDir();
  await using server = await startFakeOpenAiServer({ handler: handler(false) });
  const llm = ["--base-url", server.baseUrl, "--no-cache", "--limit", "1"];
  try {
    // A folder named "agent-x" whose marker says another model wrote it (copied, renamed,
    // or two names differing only in case on a file system that ignores case).
    await Deno.mkdir(join(dir, "agent-x"));
    await Deno.writeTextFile(join(dir, "agent-x", ".model.json"), '{"model": "Agent-X"}');
    for (const args of [["agent"], ["judge", "--agent", "agent-x"]]) {
      let message = "";
      try {
        await command.run(
          [...args, "--model", args[0] === "agent" ? "agent-x" : "r", "--out-dir", dir, ...llm],
          context(),
        );
      } catch (error) {
        message = (error as Error).message;
      }
      assertStringIncludes(message, `"${join(dir, "agent-x")}"`);
      assertStringIncludes(message, '"Agent-X"');
      assertStringIncludes(message, '"agent-x"');
    }
    assertEquals(server.requests.length, 0);
    assertEquals([...Deno.readDirSync(join(dir, "agent-x"))].map((e) => e.name), [".model.json"]);

    // A folder without a marker (an older version's, or the reference's) is taken as it is,
    // and marked on first use.
    await Deno.remove(join(dir, "agent-x", ".model.json"));
    assertEquals(
      await command.run(["agent", "--model", "agent-x", "--out-dir", dir, ...llm], context()),
      0,
    );
    assertEquals(
      JSON.parse(await Deno.readTextFile(join(dir, "agent-x", ".model.json"))),
      { model: "agent-x" },
    );

    // The folder an earlier version used for "org/m" is pointed at, not used.
    await Deno.mkdir(join(dir, "org_m"));
    const legacy = context();
    assertEquals(
      await command.run(["agent", "--model", "org/m", "--out-dir", dir, ...llm], legacy),
      0,
    );
    const lines = (legacy.logger as ReturnType<typeof createMemoryLogger>).lines;
    assert(
      lines.some((l) => l.includes(`"${join(dir, "org_m")}" may hold predictions of "org/m"`)),
      lines.join("\n"),
    );
    assertEquals([...Deno.readDirSync(join(dir, "org_m"))], []);
    assertEquals(
      JSON.parse(await Deno.readTextFile(join(dir, "_org_2Fm", ".model.json"))),
      { model: "org/m" },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("eval judge: a prediction file planted as a link is refused, its target neither read nor printed", async () => {
  const dir = await Deno.makeTempDir();
  await using server = await startFakeOpenAiServer({ handler: handler(false) });
  try {
    await Deno.mkdir(join(dir, "agent-x"));
    await Deno.writeTextFile(join(dir, "secret.txt"), "root:$6$SECRET");
    await Deno.symlink(join(dir, "secret.txt"), join(dir, "agent-x", "code_11.json"));
    const ctx = context();
    const code = await command.run(
      ["judge", "--model", "r", "--out-dir", dir, "--base-url", server.baseUrl, "--no-cache"],
      ctx,
    );
    assertEquals(code, 1);
    const lines = (ctx.logger as unknown as { lines: string[] }).lines.join("\n");
    assertStringIncludes(lines, `"${join(dir, "agent-x", "code_11.json")}" is a symbolic link`);
    assert(!(lines + ctx.out.join("")).includes("SECRET"), lines);
    assertEquals(server.requests.length, 0);
    assertEquals(await Deno.readTextFile(join(dir, "secret.txt")), "root:$6$SECRET");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("eval agent: a second run of the same model exits naming the first; another model runs", async () => {
  const dir = await Deno.makeTempDir();
  const answer = handler(false);
  await using server = await startFakeOpenAiServer({
    handler: async (body) => {
      await new Promise((r) => setTimeout(r, 20));
      return answer(body);
    },
  });
  const llm = ["--base-url", server.baseUrl, "--no-cache", "--limit", "1", "--concurrency", "1"];
  try {
    const first = command.run(["agent", "--model", "agent-x", "--out-dir", dir, ...llm], context());
    while (server.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    let message = "";
    await command.run(["agent", "--model", "agent-x", "--out-dir", dir, ...llm], context())
      .catch((error) => message = error.message);
    assertStringIncludes(
      message,
      `The model folder "${
        join(dir, "agent-x")
      }" is in use by proactive eval agent, process ${Deno.pid}`,
    );
    assertEquals(await first, 0);
    // Another model is not held up by it.
    assertEquals(
      await command.run(["agent", "--model", "agent-y", "--out-dir", dir, ...llm], context()),
      0,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The reference calculator's CSV of `folder` (tests/testing/reference_calculator.py). */
async function referenceCsv(splits: string, folder: string): Promise<string> {
  const output = await new Deno.Command("python3", {
    args: [new URL("./testing/reference_calculator.py", import.meta.url).pathname, splits, folder],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(
    output.success,
    `the reference calculator failed: ${new TextDecoder().decode(output.stderr)}`,
  );
  return new TextDecoder().decode(output.stdout);
}

Deno.test("judged files read by the reference calculator's rules: no error, eval score's CSV byte for byte", async () => {
  const dir = await Deno.makeTempDir();
  await using server = await startFakeOpenAiServer({ handler: handler(true) });
  const llm = ["--base-url", server.baseUrl, "--cache-dir", `${dir}-cache`];
  const splits = new URL("../data/proactivebench/splits.json", import.meta.url).pathname;
  try {
    // A failed turn, an unjudgeable turn, null proposals: every shape the judge writes.
    await command.run(
      ["agent", "--model", "agent-x", "--judge-model", "reward-y", "--out-dir", dir, ...llm],
      context(),
    );
    for (const { name } of TRACES) {
      for (const [t, turn] of (await readTurns(dir, name)).entries()) {
        const response = turn.agent_response;
        if (response === undefined || (Array.isArray(response) && response.length === 0)) continue;
        // Every turn the calculator reads: a list and a judgement list of the same length.
        assert(Array.isArray(response), `${name} turn ${t}`);
        assert(Array.isArray(turn.judgement), `${name} turn ${t} has its judgement`);
        assertEquals((turn.judgement as unknown[]).length, response.length);
      }
    }
    const scored = await command.run(
      ["score", join(dir, "agent-x"), "--out-dir", join(dir, "csv")],
      context(),
    );
    assertEquals(scored, 0);
    const ours = await Deno.readTextFile(join(dir, "csv", "agent-x.csv"));
    assertEquals(await referenceCsv(splits, join(dir, "agent-x")), ours);
    assert(ours.split("\n").length > 3, ours);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(`${dir}-cache`, { recursive: true }).catch(() => {});
  }
});

Deno.test("eval score --as-reference scores reference-shaped files exactly as the calculator does", async () => {
  const dir = await Deno.makeTempDir();
  const obs = (i: number) => ({ time: String(1717000000 + i), event: `e${i}` });
  // a.json: the string "null" is a task (rejected: FP), a null proposal accepted (TN), a
  // leftover {candidate_task} dict judged as one task (accepted: TP), a turn the judge
  // skipped (no agent_response), [] (not counted), "accepted" as a judgement (truthy: TP).
  const a = [
    { observation: obs(0), agent_response: ["null"], judgement: [false] },
    { observation: obs(1), agent_response: [null], judgement: [true] },
    { observation: obs(2), agent_response: { candidate_task: ["x", "y"] }, judgement: [true] },
    { observation: obs(3), failure: "no valid prediction" },
    { observation: obs(4), agent_response: [] },
    { observation: obs(5), agent_response: ["Fix it", "Sort it"], judgement: ["accepted"] },
  ];
  const b = [{ observation: obs(6), agent_response: [null], judgement: [false] }];
  const splits = {
    one: { files: ["a.json"] },
    both: { files: ["a.json", "b.json"] },
    gone: { files: ["a.json", "missing.json"] },
  };
  try {
    await Deno.mkdir(join(dir, "model"));
    await Deno.writeTextFile(join(dir, "model", "a.json"), JSON.stringify(a));
    await Deno.writeTextFile(join(dir, "model", "b.json"), JSON.stringify(b));
    await Deno.writeTextFile(join(dir, "splits.json"), JSON.stringify(splits));
    const ctx = context();
    const code = await command.run([
      "score",
      join(dir, "model"),
      "--as-reference",
      "--splits",
      join(dir, "splits.json"),
      "--out-dir",
      join(dir, "csv"),
    ], ctx);
    assertEquals(code, 0);
    const ours = await Deno.readTextFile(join(dir, "csv", "model.csv"));
    assertEquals(await referenceCsv(join(dir, "splits.json"), join(dir, "model")), ours);
    // By hand, split "one": TP 2 (dict, "Fix it"), FP 1 ("null"), TN 1, FN 0; 6 events.
    const one = ours.split("\n")[1].split(",");
    assertEquals(one[0], "one");
    assertEquals(Number(one[1]), 2 / (2 + 0 + 1e-8)); // Recall
    assertEquals(Number(one[2]), 2 / (2 + 1 + 1e-8)); // Precision
    assertEquals(one[7], "6");
    assert(!ours.includes("gone"), "a split with a missing file is skipped");
    const lines = (ctx.logger as unknown as { lines: string[] }).lines.join("\n");
    assertStringIncludes(lines, 'split "gone" skipped');
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("eval agent and judge --db: a second machine resumes from the stored traces and the shared cache", async () => {
  const dir = await Deno.makeTempDir();
  await using server = await startFakeOpenAiServer({ handler: handler(false) });
  const cluster = postgresMissing() === undefined ? await startPostgresCluster() : undefined;
  try {
    for (const db of [`${dir}/state/work.kv`, ...(cluster ? [cluster.url] : [])]) {
      const llm = ["--base-url", server.baseUrl, "--db", db, "--limit", "2"];
      const folder = (machine: string) =>
        `${dir}/${machine}-${db.startsWith("postgres") ? "pg" : "kv"}`;
      const before = server.requests.length;
      const first = ["agent", "--model", "agent-x", "--out-dir", folder("a"), ...llm];
      assertEquals(await command.run(first, context()), 0);
      const paid = server.requests.length - before;
      assert(paid > 0);
      // Another machine, another folder, no local cache: every answer from the database.
      const second = ["agent", "--model", "agent-x", "--out-dir", folder("b"), ...llm];
      const secondCtx = context();
      await command.run(second, secondCtx);
      assertEquals(server.requests.length - before, paid, `${db}: nothing paid twice`);
      // The finished traces came from the store as files, and are the same files.
      const lines = (secondCtx.logger as unknown as { lines: string[] }).lines.join("\n");
      assertStringIncludes(lines, "eval agent: 2 finished trace(s) from");
      for (const { name } of TRACES.slice(0, 2)) {
        assertEquals(
          await Deno.readTextFile(join(folder("b"), "agent-x", `${name}.json`)),
          await Deno.readTextFile(join(folder("a"), "agent-x", `${name}.json`)),
        );
      }
      const judge = (machine: string) =>
        command.run(
          ["judge", "--model", "reward-y", "--out-dir", folder(machine), ...llm],
          context(),
        );
      await judge("a");
      const judged = server.requests.length;
      await judge("b");
      assertEquals(server.requests.length, judged, `${db}: the judgements too`);
      // A third machine gets the judged files from the store: nothing left to judge.
      await command.run(
        ["agent", "--model", "agent-x", "--out-dir", folder("c"), ...llm],
        context(),
      );
      const name = TRACES[0].name;
      const fromStore = JSON.parse(
        await Deno.readTextFile(join(folder("c"), "agent-x", `${name}.json`)),
      );
      assert(fromStore.every((turn: Turn) => "judgement" in turn || "failure" in turn), name);
    }
  } finally {
    await cluster?.close();
    await Deno.remove(dir, { recursive: true });
  }
});
