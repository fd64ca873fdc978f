/**
 * `proactive datagen` across processes: real child processes running the command with a
 * slow fake scene runner (src/datagen/testing/fake_datagen_main.ts) on one scenes folder
 * and one lease store — two at once never play the same scene; a run killed with SIGKILL
 * leaves leases that expire, after which the next run takes the scenes over.
 */
import { assert, assertEquals } from "./assert.ts";
import { runProactive } from "./run_deno.ts";
import { isCompleteLog } from "../src/gym/log_writer.ts";
import { openKvLeaseStore } from "../src/store/kv_lease_store.ts";
import { writeSceneConfigs } from "../src/datagen/testing/scene_fixtures.ts";

const FAKE_MAIN = new URL("../src/datagen/testing/fake_datagen_main.ts", import.meta.url).pathname;
const LLM_ARGS = ["--model", "fake-model", "--base-url", "http://127.0.0.1:9/v1", "--no-cache"];
const decoder = new TextDecoder();

function spawnFake(args: string[], env: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-kv", "-A", FAKE_MAIN, ...args, ...LLM_ARGS],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function finish(child: Deno.ChildProcess) {
  const output = await child.output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Lines `<pid> <name>` of the scenes started, as [pid, name]. */
async function ranLines(file: string): Promise<[string, string][]> {
  const text = await Deno.readTextFile(file).catch(() => "");
  return text.split("\n").filter((l) => l !== "").map((l) => l.split(" ") as [string, string]);
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const names = (n: number) =>
  Array.from({ length: n }, (_, i) => `scene_t-${String(i).padStart(3, "0")}-0`);

Deno.test("two processes on one KV file never play the same scene, and together play all", async () => {
  const dir = await Deno.makeTempDir({ prefix: "datagen-two-" });
  const scenes = names(16);
  await writeSceneConfigs(dir, scenes);
  const ranFile = `${dir}/ran.txt`;
  const env = { FAKE_RAN_FILE: ranFile, FAKE_DELAY_MS: "100", FAKE_EVENTS: "4" };
  const args = ["--scenes-dir", dir, "--concurrency", "2"];
  const first = spawnFake(args, env);
  // The second starts once the first is playing, so their runs overlap.
  await waitFor("the first run to start a scene", async () => (await ranLines(ranFile)).length > 0);
  const second = spawnFake(args, env);
  const [a, b] = await Promise.all([finish(first), finish(second)]);
  assertEquals(a.code, 0, a.stderr);
  assertEquals(b.code, 0, b.stderr);

  const ran = await ranLines(ranFile);
  assertEquals(ran.map(([, name]) => name).sort(), scenes, "every scene played exactly once");
  const pids = new Set(ran.map(([pid]) => pid));
  assertEquals(pids.size, 2, `both processes played scenes: ${JSON.stringify(ran)}`);
  for (const scene of scenes) assert(await isCompleteLog(`${dir}/${scene}.jsonl`), scene);
  // The second run saw the first's scenes as taken or complete, never as its own.
  assert(/taken by another run|complete/.test(b.stdout), b.stdout);
});

Deno.test("a lease left by a killed run expires and the next run takes the scene over", async () => {
  const dir = await Deno.makeTempDir({ prefix: "datagen-kill-" });
  const scenes = names(2);
  await writeSceneConfigs(dir, scenes);
  const ranFile = `${dir}/ran.txt`;
  const args = ["--scenes-dir", dir, "--concurrency", "2", "--lease-ttl", "6s"];
  const slow = { FAKE_RAN_FILE: ranFile, FAKE_DELAY_MS: "200", FAKE_EVENTS: "1000" };
  const killed = spawnFake(args, slow);
  await waitFor("both scenes to be written", async () => {
    const sizes = await Promise.all(
      scenes.map((s) => Deno.stat(`${dir}/${s}.jsonl.partial`).then((i) => i.size, () => 0)),
    );
    return sizes.every((size) => size > 0);
  });
  killed.kill("SIGKILL");
  await finish(killed);

  // Right after the kill the leases are still held: a new run leaves the scenes alone.
  const store = await openKvLeaseStore(`${dir}/.state/datagen.kv`);
  try {
    for (const scene of scenes) assert(await store.holder(scene), `${scene} still leased`);
    const early = await finish(spawnFake(args, { FAKE_RAN_FILE: ranFile }));
    assertEquals(early.code, 0, early.stderr);
    assertEquals(
      (early.stdout.match(/^ +scene_\S+ +taken +taken by another run \(/gm) ?? []).length,
      2,
      early.stdout,
    );
    // Nobody renews them: they expire by themselves.
    await waitFor("the leases to expire", async () => {
      const holders = await Promise.all(scenes.map((s) => store.holder(s)));
      return holders.every((h) => h === undefined);
    }, 20_000);
  } finally {
    store.close();
  }
  for (const scene of scenes) assert(!(await isCompleteLog(`${dir}/${scene}.jsonl`)));

  const next = await finish(spawnFake(args, { FAKE_RAN_FILE: ranFile }));
  assertEquals(next.code, 0, next.stderr);
  for (const scene of scenes) {
    assert(await isCompleteLog(`${dir}/${scene}.jsonl`), scene);
    assert(!(await Deno.stat(`${dir}/${scene}.jsonl.partial`).then(() => true, () => false)));
  }
  const ran = await ranLines(ranFile);
  const takeover = ran.slice(2);
  assertEquals(takeover.map(([, name]) => name).sort(), scenes);
  assert(takeover.every(([pid]) => pid !== ran[0][0]), "played by the new run");
});

Deno.test("proactive datagen --help documents the command", async () => {
  const run = await runProactive(["datagen", "--help"]);
  assertEquals(run.code, 0);
  assert(run.stdout.includes("proactive datagen"));
  assert(run.stdout.includes("--lease-ttl"));
});
