/**
 * `proactive agent-trainset` end to end: gym logs written by `datagen` (the real scene loop
 * against the scripted fake server playing every role) or synthetic ones, then the command
 * with the real LLM layer against the same kind of server.
 */
import { createTestCommandContext } from "../src/cli/testing/test_command_context.ts";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { createHash } from "node:crypto";
import { runDatagenCommand } from "../src/datagen/command.ts";
import { runScene } from "../src/gym/scene_loop.ts";
import { proposal, startScriptedGym } from "../src/gym/testing/scripted_gym_models.ts";
import type { GymRecord } from "../src/gym/gym_types.ts";
import { command } from "../src/agent_trainset/command.ts";
import { shareGptProblem } from "../src/agent_trainset/sharegpt_check.ts";

const EXAMPLES = new URL("./testdata/gym/scenes_example.yaml", import.meta.url).pathname;

const context = createTestCommandContext;

const gymServer = startScriptedGym;

async function trainset(args: string[], signal?: AbortSignal) {
  const { ctx, out, logger } = context(signal);
  let error: Error | undefined;
  let code: number | undefined;
  try {
    code = await command.run(args, ctx);
  } catch (e) {
    error = e as Error;
  }
  return { code, error, out: out.join(""), log: logger.lines.join("\n") };
}

type Conversation = { conversations: { role: string; content: string }[] };

async function readDataset(path: string): Promise<Conversation[]> {
  return JSON.parse(await Deno.readTextFile(path));
}

const sha256 = async (path: string) =>
  createHash("sha256").update(await Deno.readFile(path)).digest("hex");

/** Writes a complete synthetic gym log with `events` events (then `extra` records). */
async function writeLog(path: string, events: string[], extra: GymRecord[] = []): Promise<void> {
  const records: GymRecord[] = [
    { source: "system", time: "02-29 09:00:00", tags: ["setup"], content: '{"seed":3}' },
    ...events.map((event, i): GymRecord => ({
      source: "EnvManager",
      time: `02-29 ${String(9 + Math.floor(i / 3600)).padStart(2, "0")}:${
        String(Math.floor(i / 60) % 60).padStart(2, "0")
      }:${String(i % 60).padStart(2, "0")}`,
      tags: ["events"],
      content: event,
    })),
    ...extra,
    { source: "system", time: "02-29 23:59:59", tags: ["end"], content: "{}" },
  ];
  await Deno.writeTextFile(path, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
}

Deno.test("samples from a log datagen wrote: logged, replayed and proposals, all valid; a re-run is identical", async () => {
  const dir = await Deno.makeTempDir({ prefix: "trainset-datagen-" });
  const cache = `${dir}/cache`;
  // The gym: the agent proposes at the second step, the reward filter accepts.
  {
    const { server, config } = await gymServer(dir, {
      script: { agent_predict: [proposal("Open the report"), proposal("Sort the table")] },
    });
    await using _ = server;
    const { ctx } = context();
    const code = await runDatagenCommand(
      [
        "--scene-file",
        EXAMPLES,
        "--out-dir",
        `${dir}/logs`,
        "--config",
        config,
        "--cache-dir",
        cache,
        "--reward-filter",
        "--user-steps",
        "2",
        "--limit",
        "2",
      ],
      ctx,
      { runner: runScene },
    );
    assertEquals(code, 0);
  }
  // An incomplete log is listed and skipped.
  await Deno.writeTextFile(`${dir}/logs/scene_cut-000-0.jsonl`, '{"source":"system"');
  const logs = [...Deno.readDirSync(`${dir}/logs`)].map((e) => e.name)
    .filter((n) => n.endsWith(".jsonl") && !n.includes("cut")).sort();
  assertEquals(logs.length, 2);

  // agent-trainset: the reward model rejects the first prediction of each log once.
  const { gym, server, config } = await gymServer(dir, {
    script: { reward_filter: [{ thought: "Not now.", judgement: "rejected" }] },
  });
  await using _ = server;
  const args = ["--in-dir", `${dir}/logs`, "--config", config, "--cache-dir", cache];
  const first = await trainset(args);
  assertEquals(first.error, undefined, first.log);
  assertEquals(first.code, 0);
  assertStringIncludes(first.out, "incomplete logs skipped: scene_cut-000-0.jsonl");
  const out = `${dir}/logs/agent_trainset.json`;
  const dataset = await readDataset(out);
  for (const sample of dataset) assertEquals(shareGptProblem(sample.conversations), null);

  const card = JSON.parse(await Deno.readTextFile(`${dir}/logs/agent_trainset.card.json`));
  const perSource = card.counts.samples_per_source;
  assert(perSource.logged > 0, JSON.stringify(card.counts));
  assert(perSource.replay > 0, JSON.stringify(card.counts));
  assert(perSource.proposal > 0, JSON.stringify(card.counts));
  assertEquals(perSource.logged + perSource.replay + perSource.proposal, dataset.length);
  assertEquals(card.counts.samples, dataset.length);
  assertEquals(card.counts.incomplete_logs_skipped, 1);
  assertEquals(card.counts.rejected_trials, 1);
  // The card names every input with its hash.
  assertEquals(
    card.inputs.map((i: { file: string }) => i.file),
    logs.map((n) => `${dir}/logs/${n}`),
  );
  for (const input of card.inputs) assertEquals(input.sha256, await sha256(input.file));
  assertEquals(card.roles.agent.model, "gym-agent");
  assertEquals(card.roles.agent.llm.answers, gym.requests("agent_predict").length);
  assertEquals(card.roles.reward.llm.answers, gym.requests("reward_filter").length);
  const markdown = await Deno.readTextFile(`${dir}/logs/agent_trainset.card.md`);
  for (const input of card.inputs) assertStringIncludes(markdown, input.sha256);
  // The replay's reward requests use the gym's prompt with lowercase {time, event} keys.
  const rewardInput = gym.requests("reward_filter")[0].input as Record<string, unknown>;
  const activity = rewardInput.activity_oldest_first as Record<string, unknown>[];
  assertEquals(Object.keys(activity[0]), ["time", "event"]);
  // As in the gym, the agent's first observation is the operations it can run.
  const firstAsk = gym.requests("agent_predict")[0].input as { Observations: { event: string }[] };
  assertStringIncludes(firstAsk.Observations[0].event, "Operations available to the assistant:");
  // The retry after the rejection carries the previous prediction and the feedback.
  const retries = gym.requests("agent_predict").map((r) => r.input as Record<string, unknown>)
    .filter((input) => input.Status !== undefined);
  assertEquals(retries.length, 1);
  const retry = retries[0];
  assertEquals(retry.Status, "Rejected");
  assertEquals(retry["User Feedback"], "Not now.");
  assertEquals(Object.keys(retry)[0], "Observations");

  const info = JSON.parse(await Deno.readTextFile(`${dir}/logs/dataset_info.json`));
  assertEquals(info.agent_trainset.file_name, "agent_trainset.json");
  assertEquals(info.agent_trainset.formatting, "sharegpt");

  // The same inputs and cache: no request, the same bytes apart from generated_at.
  const sent = gym.log.length;
  const datasetBytes = await Deno.readTextFile(out);
  const again = await trainset(args);
  assertEquals(again.error, undefined, again.log);
  assertEquals(gym.log.length, sent, "a re-run sends nothing");
  assertEquals(await Deno.readTextFile(out), datasetBytes);
  const withoutTime = (text: string) => text.replace(/.*generated_at.*\n/, "");
  assertEquals(
    withoutTime(await Deno.readTextFile(`${dir}/logs/agent_trainset.card.md`)),
    withoutTime(markdown),
  );
  const cardAgain = JSON.parse(await Deno.readTextFile(`${dir}/logs/agent_trainset.card.json`));
  assertEquals({ ...cardAgain, generated_at: "" }, { ...card, generated_at: "" });
});

Deno.test("a reward model that rejects everything: at most --max-trials requests per event, the run ends", async () => {
  const dir = await Deno.makeTempDir({ prefix: "trainset-reject-" });
  await writeLog(`${dir}/scene_a-000-0.jsonl`, ["The user opens a file.", "The user types."]);
  // A logged sample LLaMA-Factory would drop (it ends with the user) is reported, not written.
  const broken = [{ role: "system", content: "S" }, { role: "user", content: "{}" }];
  await writeLog(`${dir}/scene_b-000-0.jsonl`, ["The user sighs."], [
    {
      source: "ProactiveAgent",
      time: "02-29 10:00:00",
      tags: ["agent.response"],
      content: JSON.stringify(broken),
    },
  ]);
  const { gym, server, config } = await gymServer(dir, {
    defaults: { reward_filter: { thought: "No.", judgement: "rejected" } },
  });
  await using _ = server;
  const result = await trainset(["--in-dir", dir, "--config", config, "--no-cache"]);
  assertStringIncludes(result.error?.message ?? "", "No sample was produced");
  const card = JSON.parse(await Deno.readTextFile(`${dir}/agent_trainset.card.json`));
  assertEquals(card.counts.events, 3);
  assertEquals(card.counts.events_without_sample, 3);
  assertEquals(card.counts.samples, 0);
  assertEquals(card.counts.invalid_samples, 1);
  assertStringIncludes(
    result.out,
    `invalid sample: ${dir}/scene_b-000-0.jsonl event 0 (logged): the last message is not the assistant's`,
  );
  assertEquals(card.counts.trials, 45);
  // 15 trials per event, one request per model each.
  assertEquals(gym.requests("agent_predict").length, 45);
  assertEquals(gym.requests("reward_filter").length, 45);
  assert(!(await Deno.stat(`${dir}/agent_trainset.json`).then(() => true, () => false)));
  assert(!(await Deno.stat(`${dir}/dataset_info.json`).then(() => true, () => false)));
});

Deno.test("a 2,000-event log with an oversized event: every sample fits, alternates and is valid", async () => {
  const dir = await Deno.makeTempDir({ prefix: "trainset-long-" });
  const events = Array.from(
    { length: 2_000 },
    (_, i) =>
      i === 999 ? "x".repeat(60_000) : `The user does thing ${i} ${"with care ".repeat(i % 7)}`,
  );
  await writeLog(`${dir}/scene_long-000-0.jsonl`, events);
  // Accepts irregularly (the oversized event among the accepted), so user messages pile
  // up and merge.
  const { server, config } = await gymServer(dir, {
    defaults: {
      reward_filter: (request) => ({
        thought: "ok",
        judgement: request.index % 3 === 0 || request.index % 7 === 0 ? "accepted" : "rejected",
      }),
    },
  });
  await using _ = server;
  const result = await trainset([
    "--in-dir",
    dir,
    "--config",
    config,
    "--no-cache",
    "--max-trials",
    "1",
    "--max-chars",
    "8000",
    "--max-assistant-chars",
    "1000",
    "--format",
    "jsonl",
  ]);
  assertEquals(result.error, undefined, result.log);
  const lines = (await Deno.readTextFile(`${dir}/agent_trainset.jsonl`)).trimEnd().split("\n");
  assert(lines.length > 500, `${lines.length} samples`);
  let sawCut = false;
  let sawMerge = false;
  for (const line of lines) {
    const { conversations } = JSON.parse(line) as Conversation;
    assertEquals(shareGptProblem(conversations), null);
    const chars = conversations.reduce((n, m) => n + m.content.length, 0);
    assert(chars <= 8000, `${chars} characters`);
    const assistant = conversations.filter((m) => m.role === "assistant");
    assert(assistant.reduce((n, m) => n + m.content.length, 0) <= 1000);
    const users = conversations.filter((m) => m.role === "user");
    for (const [i, user] of users.entries()) {
      const value = JSON.parse(user.content);
      assert(Array.isArray(value.Observations));
      if (value.Observations.length > 1) sawMerge = true;
      // Only the newest user message carries the instruction, after the observations.
      assertEquals("Instructions" in value, i === users.length - 1);
      if (i === users.length - 1) assertEquals(Object.keys(value).at(-1), "Instructions");
      if (user.content.includes("[cut]")) sawCut = true;
    }
  }
  assert(sawMerge, "consecutive user messages were merged");
  assert(sawCut, "the oversized event was cut");
});

Deno.test("a killed run resumes without re-sending the requests it finished", async () => {
  const dir = await Deno.makeTempDir({ prefix: "trainset-kill-" });
  const cache = `${dir}/cache`;
  await writeLog(`${dir}/scene_a-000-0.jsonl`, Array.from({ length: 8 }, (_, i) => `Event ${i}.`));
  const stop = new AbortController();
  const answered: string[] = [];
  const key = (body: { messages: unknown; seed?: unknown }) =>
    JSON.stringify([body.messages, body.seed]);
  const { gym, server, config } = await gymServer(dir, {
    defaults: {
      // Deterministic per request (its derived seed), so a resumed run sees the same.
      reward_filter: (request) => ({
        thought: "hm",
        judgement: Number(request.body.seed ?? 0) % 2 === 0 ? "rejected" : "accepted",
      }),
    },
  });
  await using _ = server;
  // The 9th request stops the run before it is answered (one request at a time).
  const handler = gym.handler;
  server.setHandler((body, info) => {
    if (answered.length === 8) stop.abort();
    const reply = handler(body, info);
    answered.push(key(body));
    return reply;
  });
  const args = ["--in-dir", dir, "--config", config, "--cache-dir", cache, "--concurrency", "1"];
  const killed = await trainset(args, stop.signal);
  assertStringIncludes(killed.error?.message ?? "", "Interrupted");
  assert(!(await Deno.stat(`${dir}/agent_trainset.json`).then(() => true, () => false)));
  const finished = answered.slice(0, 8);

  const before = gym.log.length;
  const resumed = await trainset(args);
  assertEquals(resumed.error, undefined, resumed.log);
  const resent = gym.log.slice(before).map((r) => key(r.body));
  for (const request of finished) {
    assert(!resent.includes(request), "a finished request was re-sent");
  }
  assert(resent.length > 0);
  const card = JSON.parse(await Deno.readTextFile(`${dir}/agent_trainset.card.json`));
  assertEquals(card.counts.samples, 8);
  assertEquals(card.counts.events_without_sample, 0);
});

Deno.test("a log that cannot be read fails alone: named in the report, the others written, exit 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "trainset-bad-" });
  await writeLog(`${dir}/scene_a-000-0.jsonl`, ["The user opens a file."]);
  await writeLog(`${dir}/scene_b-000-0.jsonl`, ["The user types."]);
  const bad = (await Deno.readTextFile(`${dir}/scene_b-000-0.jsonl`)).split("\n");
  bad.splice(1, 0, '{"source":"Nobody"}');
  await Deno.writeTextFile(`${dir}/scene_b-000-0.jsonl`, bad.join("\n"));
  const { server, config } = await gymServer(dir, {});
  await using _ = server;
  const result = await trainset(["--in-dir", dir, "--config", config, "--no-cache"]);
  assertStringIncludes(result.error?.message ?? "", "1 gym log(s) failed");
  assertStringIncludes(result.out, `failed log: ${dir}/scene_b-000-0.jsonl: Cannot read line 2`);
  const dataset = await readDataset(`${dir}/agent_trainset.json`);
  assertEquals(dataset.length, 1);
  const card = JSON.parse(await Deno.readTextFile(`${dir}/agent_trainset.card.json`));
  assertEquals([card.counts.failed_logs, card.counts.samples], [1, 1]);
});

Deno.test("a logged proposal is a sample even when the event's trials ran out", async () => {
  const dir = await Deno.makeTempDir({ prefix: "trainset-proposal-" });
  await writeLog(`${dir}/scene_a-000-0.jsonl`, ["The user opens a file.", "The user frowns."], [
    {
      source: "ProactiveAgent",
      time: "02-29 10:00:00",
      tags: ["agent.proactive"],
      content: "Fix it",
    },
  ]);
  const { gym, server, config } = await gymServer(dir, {
    defaults: { reward_filter: { thought: "No.", judgement: "rejected" } },
  });
  await using _ = server;
  const result = await trainset([
    "--in-dir",
    dir,
    "--config",
    config,
    "--no-cache",
    "--max-trials",
    "2",
  ]);
  assertEquals(result.error, undefined, result.log);
  assertEquals(gym.requests("agent_predict").length, 4);
  const [sample] = await readDataset(`${dir}/agent_trainset.json`);
  const answer = JSON.parse(sample.conversations.at(-1)!.content);
  assertEquals(answer["Proactive Task"], "Fix it");
  const newest = JSON.parse(sample.conversations.at(-2)!.content);
  assertEquals(newest.Observations.map((o: { event: string }) => o.event), [
    "The user opens a file.",
    "The user frowns.",
  ]);
  const card = JSON.parse(await Deno.readTextFile(`${dir}/agent_trainset.card.json`));
  assertEquals(card.counts.samples_per_source, { logged: 0, replay: 0, proposal: 1 });
  assertEquals(card.counts.events_without_sample, 1);
});
