/**
 * `proactive datagen` end to end: the real command in a child process (`main.ts datagen`),
 * the real scene loop and LLM layer, and the scripted fake server (in this process) playing
 * every role. Covers complete logs and the summary, `kill -9` mid-run and a re-run that
 * re-sends no answered request, byte-identical seeded replays, failing scenes, `--no-agent`
 * and a failed `--force` re-run of a complete scene.
 */
import { assert, assertEquals, assertNotEquals } from "./assert.ts";
import { MAIN, runProactive } from "./run_deno.ts";
import { type Scene, sceneConfigOf } from "../src/formats/scene.ts";
import { GYM_TAGS, type GymRecord } from "../src/gym/gym_types.ts";
import { isCompleteLog } from "../src/gym/log_writer.ts";
import {
  DEFAULT_GYM_ANSWERS,
  gymLlmConfig,
  type ScriptedAnswer,
  scriptedGymModels,
} from "../src/gym/testing/scripted_gym_models.ts";
import {
  type FakeHandler,
  type FakeReply,
  type FakeRequestBody,
  startFakeOpenAiServer,
} from "../src/llm/testing/fake_openai_server.ts";
import { stringify } from "yaml";
import type { DatagenSummary } from "../src/datagen/datagen_summary.ts";

const EXAMPLES = [
  "The user opens the terminal.",
  "The user types a command and presses Enter.",
  "The user scrolls through the output.",
  "The user copies an error message.",
  "The user searches the web for the error.",
  "The user closes a browser tab.",
  "The user saves the file.",
  "The user switches to the editor.",
];

/** A scene whose texts carry `marker`, so the fake can tell its requests apart. */
function scene(marker: string): Scene {
  return {
    environment: {
      theme: `Debugging ${marker}`,
      description: `A developer at a desk fixes a failing build (${marker}).`,
      entities: ["Terminal", "Editor"],
      agent_ops: ["terminal_run(command)", "file_open(path)"],
      events_example: EXAMPLES,
    },
    user: { goal: "Make the build pass", description: `Ada, 31, engineer (${marker}).` },
  };
}

const sceneName = (i: number) => `scene_e2e-${String(i).padStart(3, "0")}-0`;

/** Writes `n` scene configurations; scene i carries the marker `M<i>` plus `extra[i]`. */
async function writeScenes(dir: string, n: number, extra: Record<number, string> = {}) {
  await Deno.mkdir(dir, { recursive: true });
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = sceneName(i);
    names.push(name);
    const config = sceneConfigOf(scene(`M${i}${extra[i] ?? ""}`), name);
    await Deno.writeTextFile(`${dir}/${name}.yaml`, stringify(config));
  }
  return names;
}

const lastUserText = (body: FakeRequestBody) => String(body.messages.at(-1)?.content ?? "");

/**
 * Answers that depend only on the request (not on the order of requests across scenes), and
 * carry the scene's marker from the setup into the overview so later requests show it; the
 * events quote the first sampled example, so the seed shows in the log.
 */
const DETERMINISTIC: Record<string, ScriptedAnswer> = {
  env_setting: (request) => {
    const marker = lastUserText(request.body).match(/\bM\d+(?:BROKEN\w*)?/)?.[0] ?? "M?";
    const setting = DEFAULT_GYM_ANSWERS.env_setting as Record<string, unknown>;
    return { ...setting, overview: `Scene ${marker}: a quiet home office.` };
  },
  env_answer: { response: "The editor is VS Code.", updated_entities: [] },
  env_events: (request) => {
    const input = request.input as {
      latest_activity: { subject: string; activity: string };
      example_events: string[];
    };
    return {
      thoughts: "Two events.",
      events: [
        { event: `Like "${input.example_events[0]}"`, deltatime: 20, updated_entities: [] },
        {
          event: `The ${input.latest_activity.subject} did: ${input.latest_activity.activity}`,
          deltatime: 40,
          updated_entities: [{
            name: "Editor",
            description: "VS Code",
            status: "edited",
            properties: ["dark theme"],
            new_action: input.latest_activity.activity,
          }],
        },
      ],
    };
  },
  user_activity: (request) => {
    const input = request.input as { what_happened_so_far?: unknown[] };
    const done = input?.what_happened_so_far?.length ?? 0;
    return { is_finished: false, act: `I work on the build (${done}).` };
  },
  agent_predict: {
    Purpose: "Fixing the build.",
    Thoughts: "A test run would help.",
    "Proactive Task": "Run the test suite",
    Response: "Shall I run the tests?",
  },
  agent_act: (request) =>
    JSON.stringify(request.input).includes("terminal_run(npm test)")
      ? { Thoughts: "Done.", Action: null }
      : { Thoughts: "Run them.", Action: "terminal_run(npm test)" },
};

interface Gym {
  handler: FakeHandler;
  /** Bodies answered (JSON text), in order. */
  answered: string[];
  /** Makes later requests wait until `release()`; resolves once `count` are waiting. */
  hold(count: number): Promise<void>;
  release(): void;
  /** Stops recording answers (after a kill: replies go to a dead process). */
  stopRecording(): void;
}

/** The scripted gym with deterministic answers, `fail` rules and a gate for kill tests. */
function gymServerHandler(
  fail: (body: FakeRequestBody) => FakeReply | undefined = () => undefined,
): Gym {
  const gym = scriptedGymModels({ defaults: DETERMINISTIC });
  const answered: string[] = [];
  let gate: Promise<void> | undefined;
  let open: () => void = () => {};
  let waiting = 0;
  let onWaiting: () => void = () => {};
  let recording = true;
  return {
    answered,
    async handler(body, info) {
      if (gate) {
        waiting++;
        onWaiting();
        await gate;
      }
      const failure = fail(body);
      const reply = failure ?? await gym.handler(body, info);
      if (recording && (reply.status ?? 200) === 200) answered.push(JSON.stringify(body));
      return reply;
    },
    hold(count) {
      gate = new Promise((resolve) => open = resolve);
      return new Promise((resolve) => {
        onWaiting = () => waiting >= count && resolve();
      });
    },
    release() {
      gate = undefined;
      open();
    },
    stopRecording() {
      recording = false;
    },
  };
}

interface Setup {
  dir: string;
  scenes: string;
  out: string;
  args: (...more: string[]) => string[];
}

async function setup(baseUrl: string): Promise<Setup> {
  const dir = await Deno.makeTempDir({ prefix: "datagen-e2e-" });
  await Deno.writeTextFile(`${dir}/llm.yaml`, gymLlmConfig(baseUrl));
  const scenes = `${dir}/scenes`;
  const out = `${dir}/logs`;
  return {
    dir,
    scenes,
    out,
    args: (...more) => [
      "datagen",
      "--scenes-dir",
      scenes,
      "--out-dir",
      out,
      "--config",
      `${dir}/llm.yaml`,
      "--cache-dir",
      `${dir}/cache`,
      "--user-steps",
      "3",
      "--adapt-rounds",
      "1",
      "--max-retries",
      "0",
      "--max-repairs",
      "1",
      ...more,
    ],
  };
}

async function readLog(path: string): Promise<GymRecord[]> {
  const text = await Deno.readTextFile(path);
  assert(text.endsWith("\n"), `${path} ends with a newline`);
  return text.trimEnd().split("\n").map((line) => JSON.parse(line) as GymRecord);
}

async function readSummary(out: string): Promise<DatagenSummary> {
  return JSON.parse(await Deno.readTextFile(`${out}/datagen_summary.json`));
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) if (entry.isFile) names.push(entry.name);
  return names.sort();
}

Deno.test("datagen plays a folder of scenes into complete logs with every tag and a matching summary", async () => {
  const gym = gymServerHandler();
  await using server = await startFakeOpenAiServer({ handler: gym.handler });
  const s = await setup(server.baseUrl);
  const names = await writeScenes(s.scenes, 3);

  const run = await runProactive(s.args("--reward-filter", "--concurrency", "2"));
  assertEquals(run.code, 0, run.stderr);

  const summary = await readSummary(s.out);
  assertEquals(summary.counts.done, 3);
  assertEquals(summary.counts.failed, 0);
  let requests = 0;
  for (const name of names) {
    const path = `${s.out}/${name}.jsonl`;
    assert(await isCompleteLog(path), `${name} is complete`);
    const records = await readLog(path);
    const tags = new Set(records.map((r) => r.tags[0]));
    for (const tag of GYM_TAGS) {
      // env.intro needs adaptation rounds (1 here); every tag must show up.
      assert(tags.has(tag), `${name} has a "${tag}" record`);
    }
    assertEquals(records.at(-1)!.tags[0], "end");
    assertEquals(records.filter((r) => r.tags[0] === "end").length, 1);
    for (const r of records) {
      const structured = ["setup", "activity", "env.status", "agent.ops", "agent.response", "end"];
      if (
        structured.includes(r.tags[0]) || (r.tags[0] === "agent.proactive" && r.source === "User")
      ) {
        JSON.parse(r.content!); // throws if the content is not JSON text
      }
    }
    const end = JSON.parse(records.at(-1)!.content!);
    const report = summary.scenes.find((scene) => scene.name === name)!;
    assertEquals(report.status, "done");
    assertEquals(report.log, path);
    assertEquals(report.summary, end, `${name}: the summary's counts are the end record's`);
    assertEquals(end.events, records.filter((r) => r.tags[0] === "events").length);
    requests += end.requests;
  }
  assertEquals(summary.totals.requests, requests);
  assertEquals(requests, server.requests.length, "every request of the run counted once");
  assertEquals(
    await listDir(s.out),
    [...names.map((n) => `${n}.jsonl`), "datagen_summary.json"].sort(),
  );
});

Deno.test("datagen killed with SIGKILL mid-run: the re-run completes every scene and re-sends no answered request", async () => {
  const gym = gymServerHandler();
  await using server = await startFakeOpenAiServer({ handler: gym.handler });
  const s = await setup(server.baseUrl);
  const names = await writeScenes(s.scenes, 5);
  const ttl = ["--lease-ttl", "300ms"];

  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-kv", "-A", MAIN, ...s.args("--concurrency", "2", ...ttl)],
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "null",
  }).spawn();
  // Once 40 requests were answered (about two scenes of five), hold the next ones; when both
  // running scenes wait on the server, every earlier answer is in the cache (the client
  // stores an answer before the scene goes on), so the kill loses only the held requests.
  while (gym.answered.length < 40) await new Promise((resolve) => setTimeout(resolve, 10));
  await gym.hold(2);
  child.kill("SIGKILL");
  const status = await child.status;
  assertNotEquals(status.code, 0);
  gym.stopRecording();
  gym.release();
  const before = [...gym.answered];

  const partials = (await listDir(s.out)).filter((name) => name.endsWith(".partial"));
  assert(partials.length > 0, "the killed run left partial logs");
  const completeBefore: string[] = [];
  for (const name of names) {
    if (await isCompleteLog(`${s.out}/${name}.jsonl`)) completeBefore.push(name);
  }
  assert(completeBefore.length < names.length, "the kill came before the end");

  await new Promise((resolve) => setTimeout(resolve, 400)); // the killed run's leases expire
  const sentBefore = server.requests.length;
  const recorder = gymServerHandler();
  server.setHandler(recorder.handler);
  const rerun = await runProactive(s.args("--concurrency", "2", ...ttl));
  assertEquals(rerun.code, 0, rerun.stderr);

  const after = server.requests.slice(sentBefore).map((body) => JSON.stringify(body));
  const answeredBefore = new Set(before);
  const resent = after.filter((body) => answeredBefore.has(body));
  assertEquals(resent.length, 0, "no request answered before the kill was sent again");
  assertEquals(new Set(before).size, before.length, "no request was answered twice before");

  const summary = await readSummary(s.out);
  assertEquals(summary.counts.failed, 0);
  assertEquals(summary.counts.done + summary.counts.complete, names.length);
  assertEquals(
    summary.scenes.filter((r) => r.status === "complete").map((r) => r.name),
    completeBefore,
  );
  for (const name of names) assert(await isCompleteLog(`${s.out}/${name}.jsonl`), name);
  assertEquals(
    (await listDir(s.out)).filter((name) => name.endsWith(".partial")),
    [],
    "the partial logs were replaced by complete ones",
  );
});

Deno.test("datagen: a seeded re-run from the cache is byte-identical; another seed samples other examples", async () => {
  const gym = gymServerHandler();
  await using server = await startFakeOpenAiServer({ handler: gym.handler });
  const s = await setup(server.baseUrl);
  const names = await writeScenes(s.scenes, 2);
  const read = () => Promise.all(names.map((n) => Deno.readFile(`${s.out}/${n}.jsonl`)));

  const first = await runProactive(s.args("--seed", "7"));
  assertEquals(first.code, 0, first.stderr);
  const logs = await read();
  const sent = server.requests.length;

  const again = await runProactive(s.args("--seed", "7", "--force"));
  assertEquals(again.code, 0, again.stderr);
  assertEquals(server.requests.length, sent, "the forced re-run was played from the cache");
  assertEquals((await readSummary(s.out)).counts.done, names.length);
  const replayed = await read();
  for (let i = 0; i < names.length; i++) {
    assertEquals(replayed[i], logs[i], `${names[i]} is byte-identical`);
  }

  const other = await runProactive(s.args("--seed", "8", "--force"));
  assertEquals(other.code, 0, other.stderr);
  const reseeded = await read();
  const examplesOf = (bytes: Uint8Array) =>
    new TextDecoder().decode(bytes).split("\n").filter((line) => line.includes('"events"'))
      .map((line) => JSON.parse(line).content).filter((c: string) => c.startsWith("Like"));
  for (let i = 0; i < names.length; i++) {
    assert(examplesOf(logs[i]).length > 0, "the events quote sampled examples");
    assertNotEquals(examplesOf(reseeded[i]), examplesOf(logs[i]), `${names[i]}: another seed`);
  }
});

Deno.test("datagen: failing scenes give exit code 1, their reasons, counts and partial logs; the others complete", async () => {
  // Scene 1's events are answered with 500 (no retries); scene 2's with broken JSON for good.
  const gym = gymServerHandler((body) => {
    const kind = (body.response_format as { json_schema?: { name?: string } })?.json_schema?.name;
    if (kind !== "env_events") return undefined;
    const text = JSON.stringify(body.messages);
    if (text.includes("M1BROKEN500")) return { status: 500, errorMessage: "upstream exploded" };
    if (text.includes("M2BROKENJSON")) return { texts: "Sure! {events: [oops" };
    return undefined;
  });
  await using server = await startFakeOpenAiServer({ handler: gym.handler });
  const s = await setup(server.baseUrl);
  const names = await writeScenes(s.scenes, 4, { 1: "BROKEN500", 2: "BROKENJSON" });

  const run = await runProactive(s.args("--concurrency", "2"));
  assertEquals(run.code, 1, run.stderr);
  assert(run.stderr.includes("2 of 4 scene(s) failed"), run.stderr);

  const summary = await readSummary(s.out);
  assertEquals(summary.counts.failed, 2);
  assertEquals(summary.counts.done, 2);
  const byName = new Map(summary.scenes.map((r) => [r.name, r]));
  for (const [i, pattern] of [[1, /500|upstream exploded/], [2, /JSON|json/]] as const) {
    const report = byName.get(names[i])!;
    assertEquals(report.status, "failed");
    assert(report.reason?.includes(`Scene "${names[i]}" failed at step-1`), report.reason);
    assert(pattern.test(report.reason!), report.reason);
    assert((report.summary?.requests ?? 0) > 0, `${names[i]}: requests counted before it failed`);
    assert((report.summary?.tokens ?? 0) > 0, `${names[i]}: tokens counted before it failed`);
    assert(run.stdout.includes(report.reason!), "the reason is printed");
    const partial = await readLog(`${s.out}/${names[i]}.jsonl.partial`);
    assert(partial.length > 0 && partial.every((r) => r.tags[0] !== "end"), "partial log kept");
    assertEquals(await isCompleteLog(`${s.out}/${names[i]}.jsonl`), false);
  }
  for (const i of [0, 3]) assert(await isCompleteLog(`${s.out}/${names[i]}.jsonl`), names[i]);
  const failedRequests = byName.get(names[1])!.summary!.requests +
    byName.get(names[2])!.summary!.requests;
  const doneRequests = byName.get(names[0])!.summary!.requests +
    byName.get(names[3])!.summary!.requests;
  assertEquals(summary.totals.requests, failedRequests + doneRequests);
});

Deno.test("datagen --no-agent: no agent records but agent.ops", async () => {
  const gym = gymServerHandler();
  await using server = await startFakeOpenAiServer({ handler: gym.handler });
  const s = await setup(server.baseUrl);
  const [name] = await writeScenes(s.scenes, 1);
  const run = await runProactive(s.args("--no-agent"));
  assertEquals(run.code, 0, run.stderr);
  const records = await readLog(`${s.out}/${name}.jsonl`);
  assertEquals(records.filter((r) => r.tags[0].startsWith("agent.")).map((r) => r.tags[0]), [
    "agent.ops",
  ]);
  assertEquals(records.filter((r) => r.source === "ProactiveAgent"), []);
  assertEquals(records.at(-1)!.tags[0], "end");
  assert(records.some((r) => r.tags[0] === "events"));
  const kinds = server.requests.map((b) =>
    (b.response_format as { json_schema?: { name?: string } })?.json_schema?.name
  );
  assert(!kinds.some((k) => k?.startsWith("agent") || k?.startsWith("reward")), kinds.join());
});

Deno.test("datagen --force: a failed re-run keeps the previous complete log and leaves no stale partial", async () => {
  let broken = false;
  const gym = gymServerHandler((body) =>
    broken && body.model === "gym-env" ? { status: 500, errorMessage: "down" } : undefined
  );
  await using server = await startFakeOpenAiServer({ handler: gym.handler });
  const s = await setup(server.baseUrl);
  const [name] = await writeScenes(s.scenes, 1);
  const first = await runProactive(s.args());
  assertEquals(first.code, 0, first.stderr);
  const log = await Deno.readFile(`${s.out}/${name}.jsonl`);

  broken = true;
  // Another seed: the events requests miss the cache and fail.
  const forced = await runProactive(s.args("--force", "--seed", "99"));
  assertEquals(forced.code, 1, forced.stderr);
  const report = (await readSummary(s.out)).scenes[0];
  assertEquals(report.status, "failed");
  assert(report.reason?.includes("previous complete log kept"), report.reason);
  assertEquals(await Deno.readFile(`${s.out}/${name}.jsonl`), log, "the complete log is kept");
  assertEquals((await listDir(s.out)).filter((n) => n.endsWith(".partial")), []);
});
