/**
 * The `datagen-db` benchmark: shared datagen (`--db`) on 60 scenes against the scripted
 * gym fake answering after 50 ms — 3 workers × 4 scenes at once on PostgreSQL (a
 * throwaway cluster on this machine) against 1 worker × 12 on a Deno KV file. Both have
 * 12 scenes in flight, so their wall times should match; the difference is the cost of
 * coordinating through the database. Reported: wall time of each run (enqueue excluded),
 * the ideal of the schedule (each scene's requests × latency, handed to 12 slots), and the
 * coordination overhead per scene: the time the workers spent in store calls (claims,
 * stored logs, the shared completion cache, the end-of-queue checks; the `coordination` of
 * each worker's summary),
 * divided by the scenes. Workers are child processes (`main.ts datagen --worker`), as users
 * run them; the fake server runs here.
 */
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import type { DatagenSummary } from "../../src/datagen/datagen_summary.ts";
import { parseSceneList, parseYamlText, sceneConfigOf } from "../../src/formats/scene.ts";
import { gymLlmConfig, scriptedGymModels } from "../../src/gym/testing/scripted_gym_models.ts";
import { startFakeOpenAiServer } from "../../src/llm/testing/fake_openai_server.ts";
import { startPostgresCluster } from "../../src/store/testing/postgres_cluster.ts";
import { listScheduleMakespan } from "./datagen_bench.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const EXAMPLES = `${ROOT}tests/testdata/gym/scenes_example.yaml`;
const SCENES = 60;
const LATENCY_MS = 50;

interface SharedRun {
  label: string;
  workers: number;
  perWorker: number;
  seconds: number;
  idealSeconds: number;
  coordinationMs: number;
  storeCalls: number;
  requests: number;
}

async function writeScenes(dir: string): Promise<void> {
  const scenes =
    parseSceneList(parseYamlText(await Deno.readTextFile(EXAMPLES), EXAMPLES), EXAMPLES)
      .scenes;
  await Deno.mkdir(dir, { recursive: true });
  for (let i = 0; i < SCENES; i++) {
    const name = `scene_dbbench-${String(i).padStart(3, "0")}-0`;
    await Deno.writeTextFile(
      `${dir}/${name}.yaml`,
      stringify(sceneConfigOf(scenes[i % scenes.length], name)),
    );
  }
}

async function proactive(args: string[], cwd: string): Promise<void> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-kv", "-A", `${ROOT}main.ts`, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  if (output.code !== 0) {
    throw new Error(`proactive ${args[0]} failed: ${new TextDecoder().decode(output.stderr)}`);
  }
}

async function sharedRun(
  label: string,
  db: string,
  { workers, perWorker }: { workers: number; perWorker: number },
): Promise<SharedRun> {
  const dir = await Deno.makeTempDir({ prefix: "proactive_dbbench_" });
  const gym = scriptedGymModels();
  await using server = await startFakeOpenAiServer({
    handler: async (body, info) => {
      await new Promise((resolve) => setTimeout(resolve, LATENCY_MS));
      return await gym.handler(body, info);
    },
  });
  try {
    await Deno.writeTextFile(`${dir}/llm.yaml`, gymLlmConfig(server.baseUrl));
    await writeScenes(`${dir}/scenes`);
    await proactive(["datagen", "--db", db, "--enqueue", "--scenes-dir", `${dir}/scenes`], dir);
    const started = performance.now();
    await Promise.all(Array.from({ length: workers }, (_, w) =>
      proactive([
        "datagen",
        "--db",
        db,
        "--worker",
        "--out-dir",
        `${dir}/w${w}`,
        "--config",
        `${dir}/llm.yaml`,
        "--concurrency",
        String(perWorker),
      ], dir)));
    const seconds = (performance.now() - started) / 1000;
    const summaries: DatagenSummary[] = [];
    for (let w = 0; w < workers; w++) {
      summaries.push(JSON.parse(await Deno.readTextFile(`${dir}/w${w}/datagen_summary.json`)));
    }
    const scenes = summaries.flatMap((s) => s.scenes);
    const done = scenes.filter((s) => s.status === "done").length;
    if (done !== SCENES) throw new Error(`${label}: ${done} of ${SCENES} scenes done`);
    const durations = scenes.map((s) => (s.summary?.requests ?? 0) * LATENCY_MS / 1000);
    return {
      label,
      workers,
      perWorker,
      seconds,
      idealSeconds: listScheduleMakespan(durations, workers * perWorker),
      coordinationMs: summaries.reduce((ms, s) => ms + (s.coordination?.ms ?? 0), 0),
      storeCalls: summaries.reduce((n, s) => n + (s.coordination?.calls ?? 0), 0),
      requests: server.requests.length,
    };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

export async function benchDatagenDb(): Promise<string> {
  const kvDir = await Deno.makeTempDir({ prefix: "proactive_dbbench_kv_" });
  const kv = await sharedRun("Deno KV file", `${kvDir}/work.kv`, { workers: 1, perWorker: 12 });
  await Deno.remove(kvDir, { recursive: true });
  await using cluster = await startPostgresCluster();
  const pg = await sharedRun("PostgreSQL", cluster.url, { workers: 3, perWorker: 4 });
  const row = (r: SharedRun) =>
    `| ${r.label} | ${r.workers} × ${r.perWorker} | ${r.seconds.toFixed(1)} s | ` +
    `${r.idealSeconds.toFixed(1)} s | ${r.requests} | ${r.storeCalls} | ` +
    `${(r.coordinationMs / SCENES).toFixed(1)} ms |`;
  return [
    "## datagen-db (shared datagen: PostgreSQL workers vs one worker on Deno KV)",
    "",
    `${SCENES} scenes (the 6 of tests/testdata/gym/scenes_example.yaml under distinct names), the ` +
    `scripted gym fake answering every request after ${LATENCY_MS} ms, enqueued first (not ` +
    "timed); then the workers, child processes of `main.ts datagen --db … --worker`, until the " +
    "queue is empty. PostgreSQL is a throwaway cluster on this machine (fsync off, as in the " +
    "tests). Ideal: each scene's requests × latency, handed in order to the 12 slots. " +
    "Coordination per scene: the workers' time in store calls (claims, stored logs, the " +
    "shared completion cache's lookups and writes, the end-of-queue checks) over the scenes; it overlaps the other scenes' requests, so it adds " +
    "to a scene's time, not to the run's.",
    "",
    "| store | workers × scenes at once | wall time | ideal | requests | store calls | coordination per scene |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    row(kv),
    row(pg),
  ].join("\n");
}
