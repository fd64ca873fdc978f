/**
 * `proactive datagen` end to end: the real command in a child process (`main.ts datagen`),
 * the real scene loop and LLM layer, and the scripted fake server (in this process) playing
 * every role. Covers complete logs and the summary, `kill -9` mid-run and a re-run that
 * re-sends no answered request, byte-identical seeded replays, failing scenes, `--no-agent`
 * and a failed `--force` re-run of a complete scene.
 */
import { assert, assertEquals, assertNotEquals } from "./assert.ts";
import { MAIN, runProactive } from "./run_deno.ts";
import { GYM_TAGS } from "../src/gym/gym_types.ts";
import { isCompleteLog } from "../src/gym/log_writer.ts";
import { startFakeOpenAiServer } from "../src/llm/testing/fake_openai_server.ts";
import {
  gymServerHandler,
  listDir,
  readLog,
  readSummary,
  setup,
  writeScenes,
} from "./testing/gym_e2e.ts";

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
