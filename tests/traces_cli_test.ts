/**
 * `proactive traces` end to end: gym logs written by `datagen` (the real scene loop against
 * the scripted fake server playing every role), then the command with the real LLM layer
 * against a scripted agent, then `serve --data` on its output and an annotator labelling
 * one question at API level.
 */
import { ApiClient } from "./serve_client.ts";
import { createTestCommandContext } from "../src/cli/testing/test_command_context.ts";
import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { createMemoryLogger } from "../src/cli/testing/memory_logger.ts";
import { runDatagenCommand } from "../src/datagen/command.ts";
import { runScene } from "../src/gym/scene_loop.ts";
import {
  type ScriptedAnswer,
  type ScriptedRequest,
  startScriptedGym,
} from "../src/gym/testing/scripted_gym_models.ts";
import type { GymRecord } from "../src/gym/gym_types.ts";
import { command, parseTracesOptions } from "../src/traces/command.ts";
import { logTimeToUnix } from "../src/traces/log_trace.ts";
import { parseTraceText } from "../src/formats/trace.ts";
import { parseServeOptions } from "../src/serve/command.ts";
import { startServer } from "../src/serve/serve_server.ts";
import { parseResultText } from "../src/formats/result_file.ts";

const EXAMPLES = new URL("./testdata/gym/scenes_example.yaml", import.meta.url).pathname;

const context = () => createTestCommandContext();

const gymServer = startScriptedGym;

const prediction = (task: string | null) =>
  JSON.stringify({ Purpose: "p", Thoughts: "t", "Proactive Task": task, Response: null });

/**
 * The scripted agent of the traces run: at a log's first turn (one observation) every
 * sample says no help is needed (in the ways models write it); later, five samples with
 * two distinct proposals, one repeated, and nulls.
 */
const candidateAgent: ScriptedAnswer = (request: ScriptedRequest) => {
  const observations = (request.input as { Observations: unknown[] }).Observations;
  const n = request.body.n ?? 1;
  const texts = observations.length === 1
    ? [null, "null", "None", "", null].map(prediction)
    : ["Open the report", "null", "Open the report", `Sort table ${observations.length}`, null]
      .map(prediction);
  return { fake: { texts: texts.slice(0, n) } };
};

Deno.test("parseTracesOptions: required folders, defaults, bounds", () => {
  const env = (name: string) => name === "OPENAI_API_KEY" ? "k" : undefined;
  const options = parseTracesOptions(["--logs", "l", "--out", "o", "--model", "m"], env);
  assertEquals([options.logs, options.out, options.candidates, options.year], ["l", "o", 5, 2024]);
  assertEquals(options.llm.endpoints.agent?.model, "m");
  const more = parseTracesOptions(
    ["--logs", "l", "--out", "o", "--model", "m", "--candidates", "3", "--year", "2025"],
    env,
  );
  assertEquals([more.candidates, more.year], [3, 2025]);
  for (
    const [args, text] of [
      [["--out", "o", "--model", "m"], "--logs"],
      [["--logs", "l", "--model", "m"], "--out"],
      [["--logs", "l", "--out", "o", "--model", "m", "--candidates", "0"], "--candidates"],
    ] as const
  ) {
    let message = "";
    try {
      parseTracesOptions([...args], env);
    } catch (error) {
      message = (error as Error).message;
    }
    assertStringIncludes(message, text);
  }
  assertStringIncludes(command.help, "Example:");
});

Deno.test("traces from logs datagen wrote: turns, times, candidates, splits; resumable; serve labels one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "traces-datagen-" });
  const cache = join(dir, "cache");
  const logsDir = join(dir, "logs");
  try {
    {
      const { server, config } = await gymServer(dir, {});
      await using _ = server;
      const code = await runDatagenCommand(
        [
          "--scene-file",
          EXAMPLES,
          "--out-dir",
          logsDir,
          "--config",
          config,
          "--cache-dir",
          cache,
          "--user-steps",
          "2",
          "--limit",
          "2",
        ],
        context().ctx,
        { runner: runScene },
      );
      assertEquals(code, 0);
    }
    await Deno.writeTextFile(join(logsDir, "scene_cut-000-0.jsonl"), '{"source":"system"');
    const logs = [...Deno.readDirSync(logsDir)].map((e) => e.name)
      .filter((n) => n.endsWith(".jsonl") && !n.includes("cut")).sort();
    assertEquals(logs.length, 2);
    // A complete log with one event and no theme: the agent never proposes there.
    const single: GymRecord[] = [
      { source: "system", time: "02-29 09:00:00", tags: ["setup"], content: '{"seed":1}' },
      { source: "EnvManager", time: "02-29 09:00:05", tags: ["events"], content: "Alone." },
      { source: "system", time: "02-29 09:01:00", tags: ["end"], content: "{}" },
    ];
    await Deno.writeTextFile(
      join(logsDir, "zz_single.jsonl"),
      single.map((r) => JSON.stringify(r)).join("\n") + "\n",
    );

    const out = join(dir, "traces");
    const { gym, server, config } = await gymServer(dir, {
      defaults: { agent_predict: candidateAgent },
    });
    await using _ = server;
    const args = ["--logs", logsDir, "--out", out, "--config", config, "--cache-dir", cache];
    const first = context();
    assertEquals(await command.run(args, first.ctx), 0);
    const report = first.out.join("");
    assertStringIncludes(report, "3 trace(s) written");
    assertStringIncludes(report, "incomplete logs skipped: scene_cut-000-0.jsonl");
    assertStringIncludes(report, "without a question (serve skips them): zz_single.json");
    assertEquals(JSON.parse(await Deno.readTextFile(join(out, "zz_single.json"))), [{
      observation: { time: "1709197205.0", event: "Alone." },
      agent_response: { candidate_task: [] },
      task_status: false,
    }]);

    // One trace per log, one turn per events record, times converted, candidates deduped.
    const themes: string[] = [];
    let totalEvents = 1; // zz_single
    for (const log of logs) {
      const records = (await Deno.readTextFile(join(logsDir, log))).trim().split("\n")
        .map((line) => JSON.parse(line) as GymRecord);
      const events = records.filter((r) => r.tags[0] === "events");
      assert(events.length >= 2, `${log} has ${events.length} events`);
      const setup = records.find((r) => r.tags[0] === "setup" && r.source === "system")!;
      themes.push(JSON.parse(setup.content!).theme);
      const stem = log.slice(0, -".jsonl".length);
      const path = join(out, `${stem}.json`);
      const trace = parseTraceText(await Deno.readTextFile(path), path);
      assertEquals(trace.length, events.length);
      totalEvents += events.length;
      for (const [i, turn] of trace.entries()) {
        assertEquals(turn.observation, {
          time: logTimeToUnix(events[i].time, 2024),
          event: events[i].content,
        });
        assertEquals(turn.task_status, false);
        assertEquals(
          turn.agent_response.candidate_task,
          i === 0 ? [] : ["Open the report", `Sort table ${i + 1}`],
        );
      }
    }
    // Every turn was one request of n = 5 samples on the 'eval agent' prompt.
    const asked = gym.requests("agent_predict");
    assertEquals(asked.length, totalEvents);
    assert(asked.every((r) => r.body.n === 5 && r.body.messages.length === 2));

    // splits.json: the reference's shape, one split per theme, plus "all".
    const splits = JSON.parse(await Deno.readTextFile(join(out, "splits.json")));
    const files = logs.map((l) => l.replace(/\.jsonl$/, ".json")).sort();
    assertEquals(splits.all, { theme: "All", files: [...files, "zz_single.json"] });
    assertEquals(splits.unknown, { theme: "Unknown", files: ["zz_single.json"] });
    const byTheme = Object.entries(splits).filter(([name]) => !["all", "unknown"].includes(name))
      .map(([, split]) => (split as { theme: string }).theme).sort();
    assertEquals(byTheme, [...new Set(themes)].sort());

    // A re-run keeps the complete traces and asks nothing.
    const before = await Deno.readTextFile(join(out, files[0]));
    const again = context();
    assertEquals(await command.run(args, again.ctx), 0);
    assertStringIncludes(again.out.join(""), "0 trace(s) written");
    assertStringIncludes(again.out.join(""), "3 already complete");
    assertEquals(gym.requests("agent_predict").length, asked.length);
    assertEquals(await Deno.readTextFile(join(out, files[0])), before);
    assertEquals(JSON.parse(await Deno.readTextFile(join(out, "splits.json"))), splits);

    // serve --data on the output: an annotator logs in, gets a question, labels it.
    const results = join(dir, "results");
    const serveOptions = parseServeOptions(
      ["--port", "0", "--out", results, "--data", out, "--password", "pw"],
      () => undefined,
    );
    const serveLogger = createMemoryLogger();
    const running = await startServer(serveOptions, { logger: serveLogger, now: Date.now });
    let labelled: { trace: string; turn: number };
    try {
      const client = new ApiClient(running.url);
      await client.login("ann", "pw");
      const next = await client.call("/api/next", {});
      assert(files.includes(`${next.body.trace}.json`), `next gave ${next.body.trace}`);
      const question = next.body.question as { turn: number; tasks: string[] };
      assert(question.turn >= 1);
      assertEquals(question.tasks.slice(0, 2), [
        "Open the report",
        `Sort table ${question.turn + 1}`,
      ]);
      labelled = { trace: next.body.trace, turn: question.turn };
      const label = await client.call("/api/label", { ...labelled, label: [1] });
      assertEquals(label.status, 200);
    } finally {
      await running.shutdown();
    }
    assert(
      serveLogger.lines.some((line) =>
        line.includes('Skipping trace "zz_single": it has no question')
      ),
    );
    const result = parseResultText(
      await Deno.readTextFile(join(results, `${labelled.trace}.json`)),
      `${labelled.trace}.json`,
    );
    assertEquals(Object.values(result[labelled.turn].real_user ?? {}), [[1]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("traces: a log named splits.jsonl and logs whose names differ in case are refused, naming the clash", async () => {
  const dir = await Deno.makeTempDir({ prefix: "traces-names-" });
  const cache = join(dir, "cache");
  const logsDir = join(dir, "logs");
  try {
    {
      const { server, config } = await gymServer(dir, {});
      await using _ = server;
      const code = await runDatagenCommand(
        [
          ...["--scene-file", EXAMPLES, "--out-dir", logsDir, "--config", config],
          ...["--cache-dir", cache, "--user-steps", "2", "--limit", "1"],
        ],
        context().ctx,
        { runner: runScene },
      );
      assertEquals(code, 0);
    }
    const [log] = [...Deno.readDirSync(logsDir)].map((e) => e.name)
      .filter((n) => n.endsWith(".jsonl"));
    const text = await Deno.readTextFile(join(logsDir, log));
    // The same complete log under the index's name, and twice under one name up to case.
    for (const name of ["splits.jsonl", "twin.jsonl", "Twin.jsonl"]) {
      await Deno.writeTextFile(join(logsDir, name), text);
    }

    const out = join(dir, "traces");
    const { server, config } = await gymServer(dir, {
      defaults: { agent_predict: candidateAgent },
    });
    await using _ = server;
    const run = context();
    let failure = "";
    try {
      await command.run(
        ["--logs", logsDir, "--out", out, "--config", config, "--cache-dir", cache],
        run.ctx,
      );
    } catch (error) {
      failure = (error as Error).message;
    }
    assertStringIncludes(failure, "3 gym log(s) failed");
    const report = run.out.join("");
    assertStringIncludes(report, "1 trace(s) written");
    assertStringIncludes(
      report,
      `failed log: ${join(logsDir, "splits.jsonl")}: its trace would be "${
        join(out, "splits.json")
      }", the name of the splits index`,
    );
    assertStringIncludes(report, `failed log: ${join(logsDir, "twin.jsonl")}: it and "Twin.jsonl"`);
    assertStringIncludes(report, `failed log: ${join(logsDir, "Twin.jsonl")}: it and "twin.jsonl"`);
    // splits.json is the index, of the one log that has a trace.
    const trace = log.replace(/\.jsonl$/, ".json");
    const splits = JSON.parse(await Deno.readTextFile(join(out, "splits.json")));
    assertEquals(splits.all, { theme: splits.all.theme, files: [trace] });
    assertEquals(
      [...Deno.readDirSync(out)].map((e) => e.name).sort(),
      [trace, "splits.json"].sort(),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
