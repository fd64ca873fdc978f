/**
 * `proactive datagen` across processes: real child processes running the command with a
 * slow fake scene runner (src/datagen/testing/fake_datagen_main.ts) on one scenes folder
 * and one lease store — two at once never play the same scene; a run killed with SIGKILL
 * leaves leases that the next run on this host takes over at once (the holder's pid is
 * dead), while a lease held on another host waits for its expiry.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { runProactive } from "./run_deno.ts";
import { isCompleteLog } from "../src/gym/log_writer.ts";
import { openKvLeaseStore } from "../src/store/kv_lease_store.ts";
import { leaseOwnerName } from "../src/store/lease_store.ts";
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

Deno.test("a lease left by a run killed on this host is taken over at once; another host's waits for its expiry", async () => {
  const dir = await Deno.makeTempDir({ prefix: "datagen-kill-" });
  const scenes = names(3);
  await writeSceneConfigs(dir, scenes.slice(0, 2));
  const ranFile = `${dir}/ran.txt`;
  const args = ["--scenes-dir", dir, "--concurrency", "2", "--lease-ttl", "60s"];
  const slow = { FAKE_RAN_FILE: ranFile, FAKE_DELAY_MS: "200", FAKE_EVENTS: "1000" };
  const killed = spawnFake(args, slow);
  await waitFor("both scenes to be written", async () => {
    const sizes = await Promise.all(
      scenes.slice(0, 2).map((s) =>
        Deno.stat(`${dir}/${s}.jsonl.partial`).then((i) => i.size, () => 0)
      ),
    );
    return sizes.every((size) => size > 0);
  });
  killed.kill("SIGKILL");
  await finish(killed);

  const store = await openKvLeaseStore(`${dir}/.state/datagen.kv`);
  try {
    // The killed run's leases are unexpired (60 s), but its pid is dead on this host.
    for (const scene of scenes.slice(0, 2)) assert(await store.holder(scene), `${scene} leased`);
    const next = await finish(spawnFake(args, { FAKE_RAN_FILE: ranFile }));
    assertEquals(next.code, 0, next.stderr);
    assert(next.stdout.includes(", 0 taken by another run,"), next.stdout);
    for (const scene of scenes.slice(0, 2)) {
      assert(await isCompleteLog(`${dir}/${scene}.jsonl`), scene);
      assert(!(await Deno.stat(`${dir}/${scene}.jsonl.partial`).then(() => true, () => false)));
    }
    const ran = await ranLines(ranFile);
    const takeover = ran.slice(2);
    assertEquals(takeover.map(([, name]) => name).sort(), scenes.slice(0, 2));
    assert(takeover.every(([pid]) => pid !== ran[0][0]), "played by the new run");

    // A lease held by a process on another host is left alone until it expires.
    await writeSceneConfigs(dir, scenes.slice(2));
    assert(await store.tryAcquire(scenes[2], leaseOwnerName("elsewhere", 4242, "r1"), 60_000));
    const other = await finish(spawnFake(args, { FAKE_RAN_FILE: ranFile }));
    assertEquals(other.code, 0, other.stderr);
    assertMatch(
      other.stdout,
      new RegExp(`${scenes[2]} +taken +taken by another run \\(elsewhere pid 4242, run r1\\)`),
    );
    assert(!(await isCompleteLog(`${dir}/${scenes[2]}.jsonl`)));
  } finally {
    store.close();
  }
});

Deno.test("two runs with different lease stores on one --out-dir never write one log together", async () => {
  const dir = await Deno.makeTempDir({ prefix: "datagen-two-kv-" });
  const scenes = names(8);
  await writeSceneConfigs(dir, scenes);
  const ranFile = `${dir}/ran.txt`;
  const env = { FAKE_RAN_FILE: ranFile, FAKE_DELAY_MS: "150", FAKE_EVENTS: "4" };
  const run = (kv: string) =>
    spawnFake(["--scenes-dir", dir, "--concurrency", "2", "--kv", `${dir}/${kv}`], env);
  const first = run("a.kv");
  await waitFor("the first run to start a scene", async () => (await ranLines(ranFile)).length > 0);
  const second = run("b.kv");
  const [a, b] = await Promise.all([finish(first), finish(second)]);
  assertEquals([a.code, b.code], [0, 0], a.stderr + b.stderr);
  // The leases do not see each other; the logs' locks do: each scene is played once.
  const ran = await ranLines(ranFile);
  assertEquals(ran.map(([, name]) => name).sort(), scenes, JSON.stringify(ran));
  assert(/being written by another run \(proactive datagen, process \d+/.test(a.stdout + b.stdout));
  for (const scene of scenes) {
    const lines = (await Deno.readTextFile(`${dir}/${scene}.jsonl`)).trim().split("\n");
    const records = lines.map((line) => JSON.parse(line));
    assertEquals(records.filter((r) => r.tags[0] === "end").length, 1, scene);
    assertEquals(records.at(-1).tags, ["end"]);
  }
  assertEquals([...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".lock")), []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a symbolic link planted at a scene's .partial is refused, and its target is left alone", async () => {
  const dir = await Deno.makeTempDir({ prefix: "datagen-link-" });
  const scenes = names(2);
  await writeSceneConfigs(dir, scenes);
  const victim = `${dir}/../${dir.split("/").at(-1)}-victim.txt`;
  await Deno.writeTextFile(victim, "precious");
  await Deno.symlink(victim, `${dir}/${scenes[0]}.jsonl.partial`);
  const run = await finish(spawnFake(["--scenes-dir", dir], {}));
  assertEquals(run.code, 1, run.stdout);
  assert(
    run.stdout.includes(`"${dir}/${scenes[0]}.jsonl.partial" is a symbolic link`) ||
      run.stderr.includes(`"${dir}/${scenes[0]}.jsonl.partial" is a symbolic link`),
    run.stdout + run.stderr,
  );
  assertEquals(await Deno.readTextFile(victim), "precious");
  assert(Deno.lstatSync(`${dir}/${scenes[0]}.jsonl.partial`).isSymlink);
  assert(!(await isCompleteLog(`${dir}/${scenes[0]}.jsonl`)));
  // The other scene is played as usual.
  assert(await isCompleteLog(`${dir}/${scenes[1]}.jsonl`));
  await Deno.remove(victim);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("proactive datagen --help documents the command", async () => {
  const run = await runProactive(["datagen", "--help"]);
  assertEquals(run.code, 0);
  assert(run.stdout.includes("proactive datagen"));
  assert(run.stdout.includes("--lease-ttl"));
});
