/**
 * `proactive reward` runs that overlap or die: one writer per output (a second run exits 1
 * naming the first, or waits with `--wait`), and a killed or interrupted run's requests
 * counted in the next run's summary and card (the usage journal).
 */
import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { runDeno } from "./run_deno.ts";
import { type FakeHandler, startFakeOpenAiServer } from "../src/llm/testing/fake_openai_server.ts";
import { createFakeRewardModel } from "../src/reward/testing/fake_reward_model.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SMALL = `${ROOT}tests/testdata/reward/fifteen_items.jsonl`;

async function fixture(handler: FakeHandler) {
  const server = await startFakeOpenAiServer({ handler });
  const dir = await Deno.makeTempDir({ prefix: "reward-runs-" });
  const out = `${dir}/out/set.json`;
  const args = (...extra: string[]) => [
    "run",
    "--unstable-kv",
    "-A",
    `${ROOT}main.ts`,
    "reward",
    "--in",
    SMALL,
    "--out",
    out,
    "--cache-dir",
    `${dir}/cache`,
    "--base-url",
    server.baseUrl,
    "--api-key",
    "sk-test",
    "--model",
    "fake-model",
    ...extra,
  ];
  const spawn = (...extra: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: args(...extra),
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
  return {
    server,
    dir,
    out,
    spawn,
    run: (...extra: string[]) => runDeno(args(...extra), dir),
    async [Symbol.asyncDispose]() {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function collect(child: Deno.ChildProcess) {
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test("reward: a second run on the same output exits 1 naming the first; with --wait it follows it and nothing is lost", async () => {
  const model = createFakeRewardModel({ delayMs: 40 });
  await using t = await fixture(model.handler);
  const first = t.spawn("--concurrency", "1");
  await until(() => t.server.requests.length >= 2, "the first run's requests");

  const second = await t.run("--concurrency", "1");
  assertEquals(second.code, 1, second.stderr);
  assertStringIncludes(second.stderr, `The dataset "${t.out}" is in use by proactive reward`);
  assertStringIncludes(second.stderr, `process ${first.pid} on host ${Deno.hostname()}`);
  assertMatch(second.stderr, /started \d{4}-\d\d-\d\dT/);

  const waiting = t.spawn("--concurrency", "4", "--wait");
  const [a, b] = await Promise.all([collect(first), collect(waiting)]);
  assertEquals(a.code, 0, a.stderr);
  assertEquals(b.code, 0, b.stderr);
  assertStringIncludes(b.stderr, "waiting for it to finish");
  // The waiting run started after the first had finished: it found everything done.
  assertStringIncludes(b.stdout, "asked now: 0");
  const output = JSON.parse(await Deno.readTextFile(t.out));
  const summary = JSON.parse(await Deno.readTextFile(`${t.dir}/out/set.summary.json`));
  assertEquals(output.length, summary.conversations);
  assert(output.length >= 15, `${output.length} conversations`);
  assertEquals(summary.runs.length, 2);
  // No lock file is left behind.
  const names = [...Deno.readDirSync(`${t.dir}/out`)].map((e) => e.name).sort();
  assertEquals(names.filter((n) => n.endsWith(".lock") || n.endsWith(".journal")), []);
});

Deno.test("reward: the requests of a killed run and of an interrupted run are in the next summary and card", async () => {
  const model = createFakeRewardModel();
  let hangAfter = 10;
  // The first `hangAfter` requests are answered; later ones hang until the client dies.
  await using t = await fixture((body, info) =>
    info.index < hangAfter ? model.handler(body, info) : { stallAfterHeadersMs: Infinity }
  );
  const killed = t.spawn("--concurrency", "2");
  await until(() => t.server.requests.length === 12, "10 answered and 2 hanging requests");
  await new Promise((r) => setTimeout(r, 300));
  assertEquals(t.server.requests.length, 12);
  killed.kill("SIGKILL");
  await killed.output();

  hangAfter = 14; // 2 more answered, then the run hangs again and is interrupted
  const interrupted = t.spawn("--concurrency", "2");
  await until(() => t.server.requests.length === 12 + 4, "the second run's requests");
  await new Promise((r) => setTimeout(r, 300));
  interrupted.kill("SIGINT");
  const stopped = await collect(interrupted);
  assertEquals(stopped.code, 1, stopped.stderr);
  assertStringIncludes(stopped.stderr, "Interrupted:");
  assertStringIncludes(stopped.stderr, "run the same command again to continue");

  hangAfter = Infinity;
  const before = t.server.requests.length;
  const last = await t.run("--concurrency", "2");
  assertEquals(last.code, 0, last.stderr);
  const sent = t.server.requests.length - before;

  const summary = JSON.parse(await Deno.readTextFile(`${t.dir}/out/set.summary.json`));
  const runs = summary.runs.map((r: { status: string; llm: { requests: number } }) => [
    r.status,
    r.llm.requests,
  ]);
  // Requests count when sent: the killed run sent 12 (10 answered, 2 hanging), the
  // interrupted one 4 (2 answered, 2 hanging; the first 10 answers came from the cache).
  assertEquals(runs, [["killed", 12], ["interrupted", 4], ["complete", sent]]);
  assertEquals(summary.totals.requests, 12 + 4 + sent);
  assertEquals(summary.totals.runs, 3);
  const card = JSON.parse(await Deno.readTextFile(`${t.dir}/out/set.card.json`));
  assertEquals(card.roles.reward.llm.requests, 12 + 4 + sent);
  assertEquals(
    [...Deno.readDirSync(`${t.dir}/out`)].map((e) => e.name).filter((n) => n.startsWith(".")),
    [],
  );

  // Once counted, never again: a run that finds everything done adds only itself.
  const again = await t.run();
  assertEquals(again.code, 0, again.stderr);
  const after = JSON.parse(await Deno.readTextFile(`${t.dir}/out/set.summary.json`));
  assertEquals(after.totals.requests, summary.totals.requests);
  assertEquals(after.runs.length, 4);
});
