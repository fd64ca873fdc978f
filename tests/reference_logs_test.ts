/**
 * Gym logs in the reference project's encoding, both ways:
 * - `datagen --log-format reference` writes what the reference writes; a Python script
 *   written here following the reference `dataset/build_agent_trainset.py`'s reading rules
 *   (README "The gym's log format") reads it without error, one sample per logged prediction;
 * - the same scenes played in both encodings (the same answers, replayed from the
 *   completion cache) read back to the same log, and give `agent-trainset` the same samples
 *   and `traces` the same traces;
 * - a log as the reference's own gym writes it ("Time Freezed.", no end record, the whole
 *   prediction as the agent's content) is read by both commands.
 */
import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { withTempDir } from "./temp_dir.ts";
import { hasPython3 } from "./testing/python_values.ts";
import { createTestCommandContext } from "../src/cli/testing/test_command_context.ts";
import { runDatagenCommand } from "../src/datagen/command.ts";
import { runScene } from "../src/gym/scene_loop.ts";
import { proposal, startScriptedGym } from "../src/gym/testing/scripted_gym_models.ts";
import { command as agentTrainset } from "../src/agent_trainset/command.ts";
import { command as traces } from "../src/traces/command.ts";
import { readGymLog } from "../src/gym/read_gym_log.ts";

const EXAMPLES = new URL("./testdata/gym/scenes_example.yaml", import.meta.url).pathname;
const READER = `${import.meta.dirname}/testing/reference_trainset_reader.py`;

const gymServer = startScriptedGym;

async function run(cmd: { run: typeof agentTrainset.run }, args: string[]) {
  const { ctx, out, logger } = createTestCommandContext();
  const code = await cmd.run(args, ctx);
  return { code, out: out.join(""), log: logger.lines.join("\n") };
}

/** Plays two scenes of the example list into `out` in `format` (answers cached in `cache`). */
async function playScenes(dir: string, out: string, format: string, cache: string) {
  const { server, config } = await gymServer(dir, {
    script: { agent_predict: [proposal("Open the report")] },
    defaults: {
      agent_predict: {
        Purpose: "Writing.",
        Thoughts: "Nothing to offer — yet.",
        "Proactive Task": null,
        Response: null,
      },
    },
  });
  await using _ = server;
  const { ctx } = createTestCommandContext();
  const args = [
    "--scene-file",
    EXAMPLES,
    "--out-dir",
    out,
    "--config",
    config,
    "--cache-dir",
    cache,
    "--user-steps",
    "3",
    "--adapt-rounds",
    "1",
    "--limit",
    "2",
    "--log-format",
    format,
  ];
  assertEquals(await runDatagenCommand(args, ctx, { runner: runScene }), 0);
}

const lines = async (path: string) =>
  (await Deno.readTextFile(path)).trimEnd().split("\n").map((l) => JSON.parse(l));

Deno.test("datagen --log-format reference: the reference's records, read as the proactive log is", async () => {
  await withTempDir(async (dir) => {
    const cache = join(dir, "cache");
    await playScenes(dir, join(dir, "ours"), "proactive", cache);
    await playScenes(dir, join(dir, "theirs"), "reference", cache);
    const names = [...Deno.readDirSync(join(dir, "ours"))].map((e) => e.name)
      .filter((n) => n.endsWith(".jsonl")).sort();
    assertEquals(names.length, 2);
    const summary = JSON.parse(
      await Deno.readTextFile(join(dir, "theirs", "datagen_summary.json")),
    );
    assertEquals(summary.settings.logFormat, "reference");
    for (const name of names) {
      const theirs = await lines(join(dir, "theirs", name));
      // The reference's layout and encodings.
      assertEquals(theirs[0], {
        source: "system",
        time: "Time Freezed.",
        tags: ["setup"],
        content: "Setup Components...",
      });
      assert(theirs.every((r) => typeof r.content === "string" && Object.keys(r).length === 4));
      const ops = theirs.find((r) => r.tags[0] === "agent.ops");
      assert(
        ops.content.startsWith("# Assistant Available Operations\n[Operation(name="),
        ops.content,
      );
      assertEquals(ops.time, "Time Freezed.");
      assert(theirs.some((r) => r.content === "Setup Completed!"));
      const predictions = theirs.filter((r) =>
        r.source === "ProactiveAgent" && r.tags[0] === "agent.proactive"
      );
      assert(predictions.length > 0);
      for (const p of predictions) assert("Proactive Task" in JSON.parse(p.content), p.content);
      const judgement = theirs.find((r) => r.source === "User" && r.tags[0] === "agent.proactive");
      if (judgement) {
        assert(/\nIs Accepted: (True|False)$/.test(judgement.content), judgement.content);
      }
      const raw = await Deno.readTextFile(join(dir, "theirs", name));
      assert([...raw].every((c) => c.charCodeAt(0) < 0x80), "ASCII escapes, as json.dumps writes");
      assertStringIncludes(raw, '{"source": "system", "time": "Time Freezed."');

      // Both encodings read back to the same log.
      const a = await readGymLog(join(dir, "ours", name));
      const b = await readGymLog(join(dir, "theirs", name));
      assertEquals([a.format, b.format], ["proactive", "reference"]);
      const same = (log: typeof a) => ({
        ...log,
        path: "",
        format: "",
        events: log.events.map(({ proposalText: _, ...e }) => e),
      });
      assertEquals(same(b), same(a));
    }

    // The same samples and the same traces from either folder.
    const { server, config } = await gymServer(dir, {
      defaults: { agent_predict: proposal("Sort the table") },
    });
    await using _ = server;
    for (const folder of ["ours", "theirs"]) {
      const made = await run(agentTrainset, [
        "--in-dir",
        join(dir, folder),
        "--config",
        config,
        "--cache-dir",
        cache,
      ]);
      assertEquals(made.code, 0, made.log);
      const t = await run(traces, [
        "--logs",
        join(dir, folder),
        "--out",
        join(dir, `${folder}-traces`),
        "--config",
        config,
        "--cache-dir",
        cache,
      ]);
      assertEquals(t.code, 0, t.log);
    }
    const read = (p: string) => Deno.readTextFileSync(p);
    assertEquals(
      read(join(dir, "theirs", "agent_trainset.json")),
      read(join(dir, "ours", "agent_trainset.json")),
    );
    // A proposal sample says what the agent said with the task in the log, not the replay's
    // words (the replay proposes "Sort the table").
    const loggedPrediction = JSON.stringify(proposal("Open the report"));
    const conversations = JSON.parse(read(join(dir, "ours", "agent_trainset.json")));
    assert(
      conversations.some((c: { conversations: { content: string }[] }) =>
        c.conversations.at(-1)?.content === loggedPrediction
      ),
      "the logged prediction is a sample's answer",
    );
    const card = JSON.parse(read(join(dir, "theirs", "agent_trainset.card.json")));
    assertEquals(card.counts.logs_per_format, { proactive: 0, reference: 2 });
    for (const name of names) {
      const trace = name.replace(/\.jsonl$/, ".json");
      assertEquals(read(join(dir, "theirs-traces", trace)), read(join(dir, "ours-traces", trace)));
    }

    // The reference's build_agent_trainset.py reading rules over the reference-encoded logs.
    if (!(await hasPython3())) return;
    const output = await new Deno.Command("python3", {
      args: [READER, join(dir, "theirs")],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert(output.success, stderr);
    assertEquals(stderr.includes("Traceback"), false, stderr);
    const report = JSON.parse(new TextDecoder().decode(output.stdout));
    let logged = 0;
    for (const name of names) {
      logged += (await lines(join(dir, "theirs", name))).filter((r) =>
        r.source === "ProactiveAgent" && r.tags.includes("agent.proactive")
      ).length;
    }
    assertEquals(report.errors, []);
    assertEquals(report.samples, logged);
    // The same rules over proactive's own encoding stop at the first null proposal (the
    // reason --log-format reference exists).
    const ours = await new Deno.Command("python3", {
      args: [READER, join(dir, "ours")],
      stdout: "piped",
    })
      .output();
    const crashed = JSON.parse(new TextDecoder().decode(ours.stdout));
    assert(crashed.errors.some((e: string) => e.includes("TypeError")), JSON.stringify(crashed));
  });
});

Deno.test("a log as the reference's gym writes it: frozen times, no end record, whole predictions", async () => {
  await withTempDir(async (dir) => {
    const logs = join(dir, "agent_data");
    await Deno.mkdir(logs);
    const r = (source: string, time: string, tag: string, content: string) =>
      JSON.stringify({ source, time, tags: [tag], content });
    const prediction = (task: string | null) =>
      JSON.stringify({ Purpose: "p", Thoughts: "t", "Proactive Task": task, Response: "r" });
    const text = [
      r("system", "Time Freezed.", "setup", "Setup Components..."),
      r(
        "EnvManager",
        "Time Freezed.",
        "agent.ops",
        "# Assistant Available Operations\n[Operation(name='run', arguments=['cmd'], doc=\"Runs it's command\")]",
      ),
      r("EnvManager", "3-5 9:4:0", "env.status", "! Initial Environment Settings !\n…"),
      r("system", "3-5 9:4:0", "setup", "Setup Completed!"),
      r("User", "03-05 09:04:00", "activity", "I open the editor."),
      r("EnvManager", "03-05 09:04:20", "events", "The user opens the editor."),
      r("ProactiveAgent", "03-05 09:04:20", "agent.proactive", prediction(null)),
      r("EnvManager", "03-05 09:05:00", "events", "The user types \u00e9."),
      r("ProactiveAgent", "03-05 09:05:00", "agent.proactive", prediction("Fix the typo")),
      r("User", "03-05 09:05:00", "agent.proactive", "Helpful.\nIs Accepted: True"),
    ].join("\n") + "\n";
    await Deno.writeTextFile(join(logs, "scene_3.jsonl"), text);
    const log = await readGymLog(join(logs, "scene_3.jsonl"));
    assertEquals(log.format, "reference");
    assertEquals(log.events.map((e) => [e.time, e.event, e.proposal]), [
      ["03-05 09:04:20", "The user opens the editor.", undefined],
      ["03-05 09:05:00", "The user types \u00e9.", "Fix the typo"],
    ]);
    assertEquals(log.events[1].proposalPrediction, JSON.parse(prediction("Fix the typo")));
    assertEquals(log.operations, {
      time: "03-05 09:04:00",
      value: [{ name: "run", arguments: ["cmd"], doc: "Runs it's command" }],
    });

    const { server, config } = await gymServer(dir, {
      defaults: { agent_predict: proposal("Save the file") },
    });
    await using _ = server;
    const made = await run(agentTrainset, ["--in-dir", logs, "--config", config, "--no-cache"]);
    assertEquals(made.code, 0, made.log);
    assertStringIncludes(made.out, '{"proactive":0,"reference":1}');
    const dataset = JSON.parse(await Deno.readTextFile(join(logs, "agent_trainset.json")));
    // The logged proposal keeps what the agent said with it.
    const answers = dataset.flatMap((s: { conversations: { role: string; content: string }[] }) =>
      s.conversations.filter((m) => m.role === "assistant").map((m) => m.content)
    );
    assert(answers.some((a: string) => a.includes('"Thoughts":"t"') && a.includes("Fix the typo")));
    const t = await run(traces, [
      "--logs",
      logs,
      "--out",
      join(dir, "traces"),
      "--config",
      config,
      "--no-cache",
    ]);
    assertEquals(t.code, 0, t.log);
    assertStringIncludes(t.out, "0 proactive, 1 reference");
    // A partial or event-less reference log is not used.
    await Deno.writeTextFile(
      join(logs, "scene_4.jsonl"),
      r("system", "Time Freezed.", "setup", "Setup Components...") + "\n",
    );
    const again = await run(agentTrainset, ["--in-dir", logs, "--config", config, "--no-cache"]);
    assertStringIncludes(again.out, "incomplete logs skipped: scene_4.jsonl");
  });
});
