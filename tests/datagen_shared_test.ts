/**
 * `proactive datagen --db` end to end: the real command in child processes (`main.ts
 * datagen`), the real scene loop and LLM layer against the scripted fake server in this
 * process, and the store on a Deno KV file or a throwaway PostgreSQL cluster. One machine
 * enqueues, several workers play, `export` collects; the logs are byte-identical to a
 * single-machine run. On PostgreSQL, 3 workers share 30 scenes and one is killed with
 * SIGKILL while it holds leases.
 */
import postgres from "postgres";
import { assert, assertEquals, assertNotEquals, assertStringIncludes } from "./assert.ts";
import { MAIN, runProactive } from "./run_deno.ts";
import { isCompleteLog } from "../src/gym/log_writer.ts";
import { startFakeOpenAiServer } from "../src/llm/testing/fake_openai_server.ts";
import { postgresMissing, startPostgresCluster } from "../src/store/testing/postgres_cluster.ts";
import { gymServerHandler, listDir, type Setup, setup, writeScenes } from "./testing/gym_e2e.ts";

/** `s.args(...more)` with the logs going to `outDir` instead. */
function argsWithOut(s: Setup, outDir: string, ...more: string[]): string[] {
  const args = s.args(...more);
  args[args.indexOf("--out-dir") + 1] = outDir;
  return args;
}

/** `datagen --worker` in a child process, its logs in `outDir`, stderr piped. */
function spawnWorker(s: Setup, outDir: string, ...more: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-kv", "-A", MAIN, ...argsWithOut(s, outDir, "--worker", ...more)],
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

/** `datagen --db DB --enqueue` of the scenes in `scenes`, which must succeed. */
async function enqueue(db: string, scenes: string): Promise<void> {
  const run = await runProactive(["datagen", "--db", db, "--enqueue", "--scenes-dir", scenes]);
  assertEquals(run.code, 0, run.stderr);
}

/** The logs of `dir` (`*.jsonl`), by name. */
async function logsOf(dir: string): Promise<Map<string, string>> {
  const logs = new Map<string, string>();
  for (const name of await listDir(dir)) {
    if (name.endsWith(".jsonl")) logs.set(name, await Deno.readTextFile(`${dir}/${name}`));
  }
  return logs;
}

/** A single-machine run of the same scenes (its own cache): the logs to compare with. */
async function singleMachineLogs(s: Setup): Promise<Map<string, string>> {
  const local = `${s.dir}/single`;
  const args = argsWithOut(s, local);
  args[args.indexOf("--cache-dir") + 1] = `${s.dir}/single_cache`;
  const run = await runProactive(args);
  assertEquals(run.code, 0, run.stderr);
  return await logsOf(local);
}

Deno.test("datagen --db on a KV file: enqueue once, two workers, export gives the single-machine logs", async () => {
  const gym = gymServerHandler();
  await using server = await startFakeOpenAiServer({ handler: gym.handler });
  const s = await setup(server.baseUrl);
  const names = await writeScenes(s.scenes, 6);
  const db = `${s.dir}/state/work.kv`;

  const enqueue = ["datagen", "--db", db, "--enqueue", "--scenes-dir", s.scenes];
  const first = await runProactive(enqueue);
  assertEquals(first.code, 0, first.stderr);
  assertStringIncludes(
    first.stdout,
    `Enqueued 6 scene(s) of "${s.scenes}" into ${db} (0 already there)`,
  );
  const again = await runProactive(["datagen", "--db", db, "--enqueue", s.scenes]); // SCENES…
  assertEquals(again.code, 0, again.stderr);
  assertStringIncludes(
    again.stdout,
    `Enqueued 0 scene(s) of "${s.scenes}" into ${db} (6 already there)`,
  );

  const workers = await Promise.all(
    ["w1", "w2"].map((w) =>
      runProactive(argsWithOut(s, `${s.dir}/${w}`, "--db", db, "--worker", "--concurrency", "2"))
    ),
  );
  for (const worker of workers) assertEquals(worker.code, 0, worker.stderr);
  const bodies = server.requests.map((body) => JSON.stringify(body));
  assertEquals(new Set(bodies).size, bodies.length, "no request was sent twice");

  const status = await runProactive(["datagen", "status", "--db", db, "--json"]);
  assertEquals(status.code, 0, status.stderr);
  const report = JSON.parse(status.stdout);
  assertEquals(report.counts, { pending: 0, leased: 0, done: 6, failed: 0 });
  assertEquals(report.workers.reduce((n: number, w: { done: number }) => n + w.done, 0), 6);
  // Each worker run recorded its accounting: together, every scene and every request.
  assertEquals(report.runs.length, 2);
  const sum = (f: (r: { scenes: { done: number }; requests: number }) => number) =>
    report.runs.reduce(
      (n: number, r: { scenes: { done: number }; requests: number }) => n + f(r),
      0,
    );
  assertEquals([sum((r) => r.scenes.done), sum((r) => r.requests)], [6, server.requests.length]);

  const exported = await runProactive([
    "datagen",
    "export",
    "--db",
    db,
    "--out-dir",
    `${s.dir}/all`,
  ]);
  assertEquals(exported.code, 0, exported.stderr);
  assertStringIncludes(exported.stdout, "Exported 6 complete log(s)");
  const logs = await logsOf(`${s.dir}/all`);
  assertEquals([...logs.keys()], names.map((n) => `${n}.jsonl`));
  for (const name of logs.keys()) assert(await isCompleteLog(`${s.dir}/all/${name}`), name);
  // Each worker wrote its own scenes' logs too: together, all of them.
  const local = [...(await logsOf(`${s.dir}/w1`)).keys(), ...(await logsOf(`${s.dir}/w2`)).keys()];
  assertEquals(local.sort(), [...logs.keys()]);
  const single = await singleMachineLogs(s);
  assertEquals([...single.keys()], [...logs.keys()]);
  for (const [name, text] of logs) assertEquals(text, single.get(name), `${name}: the same bytes`);
  await Deno.remove(s.dir, { recursive: true });
});

Deno.test("datagen --db without --db, or --worker without --out-dir, is a usage error", async () => {
  const noDb = await runProactive(["datagen", "--worker", "--model", "m"]);
  assertEquals(noDb.code, 2);
  assertStringIncludes(noDb.stderr, "need --db URL (or PROACTIVE_DATABASE_URL)");
  const noOut = await runProactive(["datagen", "--db", "x.kv", "--worker", "--model", "m"]);
  assertEquals(noOut.code, 2);
  assertStringIncludes(noOut.stderr, "--worker needs --out-dir DIR");
  const stray = await runProactive([
    "datagen",
    "--db",
    "x.kv",
    "--worker",
    "scenes",
    "--model",
    "m",
  ]);
  assertEquals(stray.code, 2);
  assertStringIncludes(
    stray.stderr,
    'Unexpected argument "scenes" (scenes are named so with --enqueue)',
  );
});

Deno.test({
  name: "datagen --db on PostgreSQL: 3 workers, 30 scenes, one killed holding leases",
  ignore: postgresMissing() !== undefined,
  async fn() {
    await using cluster = await startPostgresCluster();
    const gym = gymServerHandler();
    await using server = await startFakeOpenAiServer({ handler: gym.handler });
    const s = await setup(server.baseUrl);
    const names = await writeScenes(s.scenes, 30);
    const db = cluster.url;
    await enqueue(db, s.scenes);

    const spawn = (w: string) =>
      spawnWorker(s, `${s.dir}/${w}`, "--db", db, "--concurrency", "2", "--lease-ttl", "1s");
    const children = ["w1", "w2", "w3"].map(spawn);
    // Once about 4 scenes are answered, hold the requests until all 6 slots wait on the
    // server: every earlier answer is then in the shared cache, so the kill loses only the
    // held requests. Then kill worker 1 while it holds leases.
    while (gym.answered.length < 80) await new Promise((resolve) => setTimeout(resolve, 10));
    await gym.hold(6);
    const sql = postgres(db, { onnotice: () => {} });
    const held = await sql<{ key: string }[]>`
      SELECT key FROM proactive_scenes
      WHERE status = 'leased' AND owner LIKE ${`% pid ${children[0].pid},%`}`;
    children[0].kill("SIGKILL");
    assertNotEquals((await children[0].status).code, 0);
    const before = new Set(gym.answered);
    const sentBefore = server.requests.length;
    gym.release();
    for (const child of children.slice(1)) {
      const { code, stderr } = await child.output();
      assertEquals(code, 0, new TextDecoder().decode(stderr));
    }
    await children[0].stderr.cancel();

    const rows = await sql<{ key: string; status: string; attempts: number }[]>`
      SELECT key, status, attempts FROM proactive_scenes ORDER BY key`;
    await sql.end();
    assertEquals(rows.length, 30);
    assert(rows.every((r) => r.status === "done"), "every scene done");
    assert(held.length > 0, "worker 1 held leases when it was killed");
    for (const { key } of held) {
      assertEquals(rows.find((r) => r.key === key)?.attempts, 2, `${key} was taken over`);
    }
    assertEquals(rows.filter((r) => r.attempts !== 1).length, held.length, "others: one attempt");
    const after = server.requests.slice(sentBefore).map((body) => JSON.stringify(body));
    assertEquals(
      after.filter((body) => before.has(body)),
      [],
      "no answered request was paid again",
    );

    const exported = await runProactive([
      "datagen",
      "export",
      "--db",
      db,
      "--out-dir",
      `${s.dir}/all`,
    ]);
    assertEquals(exported.code, 0, exported.stderr);
    const logs = await logsOf(`${s.dir}/all`);
    assertEquals([...logs.keys()], names.map((n) => `${n}.jsonl`));
    const single = await singleMachineLogs(s);
    for (const [name, text] of logs) {
      assertEquals(text, single.get(name), `${name}: the same bytes`);
    }
    await Deno.remove(s.dir, { recursive: true });
  },
});

Deno.test({
  name:
    "datagen --db: a worker started with the database down, restarted mid-run, loses and repeats no scene",
  ignore: postgresMissing() !== undefined,
  async fn() {
    await using cluster = await startPostgresCluster();
    const gym = gymServerHandler();
    await using server = await startFakeOpenAiServer({ handler: gym.handler });
    const s = await setup(server.baseUrl);
    const names = await writeScenes(s.scenes, 8);
    const db = cluster.url;
    await enqueue(db, s.scenes);
    await cluster.stop();

    const worker = spawnWorker(
      s,
      `${s.dir}/w`,
      "--db",
      db,
      "--db-timeout",
      "60s",
      "--lease-ttl",
      "3s",
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // it waits for the database
    await cluster.start();
    while (gym.answered.length < 40) await new Promise((resolve) => setTimeout(resolve, 10));
    await cluster.stop(); // mid-run
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await cluster.start();
    const { code, stderr } = await worker.output();
    const log = new TextDecoder().decode(stderr);
    assertEquals(code, 0, log);
    assertStringIncludes(log, "Cannot reach the database");
    const summary = JSON.parse(await Deno.readTextFile(`${s.dir}/w/datagen_summary.json`));
    assertEquals(summary.counts.done, names.length, "each scene played to its end once");

    const sql = postgres(db, { onnotice: () => {} });
    const rows = await sql<{ status: string }[]>`SELECT status FROM proactive_scenes`;
    await sql.end();
    assertEquals(rows.map((r) => r.status), names.map(() => "done"));
    const exported = await runProactive([
      "datagen",
      "export",
      "--db",
      db,
      "--out-dir",
      `${s.dir}/all`,
    ]);
    assertEquals(exported.code, 0, exported.stderr);
    const logs = await logsOf(`${s.dir}/all`);
    assertEquals([...logs.keys()], names.map((n) => `${n}.jsonl`));
    for (const name of logs.keys()) assert(await isCompleteLog(`${s.dir}/all/${name}`), name);
    await Deno.remove(s.dir, { recursive: true });
  },
});

Deno.test({
  name:
    "datagen --db: a database that stays down past --db-timeout stops the worker, without the password",
  ignore: postgresMissing() !== undefined,
  async fn() {
    await using cluster = await startPostgresCluster();
    await cluster.stop();
    const url = cluster.url.replace("postgres@", "postgres:hunter2@");
    const dir = await Deno.makeTempDir({ prefix: "datagen-db-down-" });
    const run = await runProactive([
      "datagen",
      "--db",
      url,
      "--worker",
      "--out-dir",
      dir,
      "--model",
      "m",
      "--db-timeout",
      "2s",
    ]);
    assertEquals(run.code, 1, run.stderr);
    assertStringIncludes(run.stderr, "Lost the database postgres://postgres:***@127.0.0.1");
    assertStringIncludes(run.stderr, "--db-timeout 2 s");
    assert(!`${run.stdout}${run.stderr}`.includes("hunter2"), run.stderr);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test("datagen --db without --enqueue or --worker enqueues its scenes, then plays them", async () => {
  const gym = gymServerHandler();
  await using server = await startFakeOpenAiServer({ handler: gym.handler });
  const s = await setup(server.baseUrl);
  const names = await writeScenes(s.scenes, 2);
  const db = `${s.dir}/work.kv`;
  const run = await runProactive(s.args("--db", db));
  assertEquals(run.code, 0, run.stderr);
  assertStringIncludes(run.stdout, `Enqueued 2 scene(s) of "${s.scenes}"`);
  assertEquals([...(await logsOf(s.out)).keys()], names.map((n) => `${n}.jsonl`));
  const requests = server.requests.length;
  const again = await runProactive(s.args("--db", db));
  assertEquals(again.code, 0, again.stderr);
  assertStringIncludes(again.stdout, "Enqueued 0 scene(s)");
  assertEquals(server.requests.length, requests, "nothing left to play");
  await Deno.remove(s.dir, { recursive: true });
});
