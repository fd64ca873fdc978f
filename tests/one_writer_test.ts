/**
 * One writer per output, for every command that writes: while another run holds an
 * output's lock (here: this test process, as "proactive holder"), the command exits 1
 * naming that run (command, pid, host) and writes nothing; with `--wait` it waits for the
 * holder and then runs. (`reward` and `datagen` have their own overlap tests with two real
 * runs: tests/reward_runs_test.ts, tests/datagen_cli_test.ts.)
 */
import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { ROOT, runProactive } from "./run_deno.ts";
import { type LockedOutput, lockOutputs } from "../src/store/output_lock.ts";

const LLM = [
  "--base-url",
  "http://127.0.0.1:9/v1",
  "--model",
  "m",
  "--api-key",
  "k",
  "--max-retries",
  "0",
  "--limit",
  "1",
  "--no-cache",
];

interface Case {
  name: string;
  /** The command line, in a fresh folder `dir`. */
  args: (dir: string) => string[];
  /** The output the command writes, whose lock the test holds. */
  output: (dir: string) => LockedOutput;
  /** How the command names it. */
  what: (dir: string) => string;
  prepare?: (dir: string) => Promise<void>;
}

/** A model folder `m` under `dir` with one prediction file (one turn, no proposal). */
async function predictions(dir: string): Promise<void> {
  await Deno.mkdir(join(dir, "m"), { recursive: true });
  const turn = {
    observation: { time: "1717000000", event: "The user opens a file." },
    agent_response: [],
    task_status: false,
  };
  await Deno.writeTextFile(join(dir, "m", "code_11.json"), JSON.stringify([turn]));
}

const CASES: Case[] = [
  {
    name: "convert",
    args: (
      dir,
    ) => ["convert", `${ROOT}/tests/testdata/convert/three_annotators/result`, "--out-dir", dir],
    output: (dir) => ({ path: join(dir, "train_data.jsonl"), kind: "file" }),
    what: (dir) => `"${join(dir, "train_data.jsonl")}"`,
  },
  {
    name: "scenes",
    args: (dir) => ["scenes", "--out", join(dir, "s.yaml"), "--scenes-dir", join(dir, "s"), ...LLM],
    output: (dir) => ({ path: join(dir, "s.yaml"), kind: "file" }),
    what: (dir) => `The scene list "${join(dir, "s.yaml")}"`,
  },
  {
    name: "agent-trainset",
    args: (dir) => ["agent-trainset", "--in-dir", dir, "--out", join(dir, "a.json"), ...LLM],
    output: (dir) => ({ path: join(dir, "a.json"), kind: "file" }),
    what: (dir) => `The dataset "${join(dir, "a.json")}"`,
  },
  {
    name: "traces",
    args: (dir) => ["traces", "--logs", dir, "--out", join(dir, "t"), ...LLM],
    output: (dir) => ({ path: join(dir, "t"), kind: "folder" }),
    what: (dir) => `The traces folder "${join(dir, "t")}"`,
  },
  {
    name: "eval reward",
    args: (dir) => ["eval", "reward", "--out", join(dir, "r.jsonl"), ...LLM],
    output: (dir) => ({ path: join(dir, "r.jsonl"), kind: "file" }),
    what: (dir) => `The results file "${join(dir, "r.jsonl")}"`,
  },
  {
    name: "eval agent",
    args: (dir) => ["eval", "agent", "--out-dir", dir, ...LLM],
    output: (dir) => ({ path: join(dir, "m"), kind: "folder" }),
    what: (dir) => `The model folder "${join(dir, "m")}"`,
  },
  {
    name: "eval judge",
    prepare: predictions,
    args: (dir) => ["eval", "judge", "--out-dir", dir, "--agent", "m", ...LLM],
    output: (dir) => ({ path: join(dir, "m"), kind: "folder" }),
    what: (dir) => `The model folder "${join(dir, "m")}"`,
  },
  {
    name: "eval score",
    args: (dir) => [
      "eval",
      "score",
      `${ROOT}/tests/testdata/eval_score/model_a`,
      "--splits",
      `${ROOT}/tests/testdata/eval_score/splits.json`,
      "--out-dir",
      dir,
    ],
    output: (dir) => ({ path: join(dir, "model_a.csv"), kind: "file" }),
    what: (dir) => `"${join(dir, "model_a.csv")}"`,
  },
];

for (const c of CASES) {
  Deno.test(`${c.name}: a second writer of its output exits 1 naming the first, and waits with --wait`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "one-writer-" });
    try {
      await Deno.mkdir(dir, { recursive: true });
      await c.prepare?.(dir);
      const before = [...Deno.readDirSync(dir)].map((e) => e.name);
      const held = await lockOutputs([c.output(dir)], {
        command: "proactive holder",
        onBusy: "fail",
      });
      let run;
      try {
        run = await runProactive(c.args(dir), dir);
      } finally {
        held.release();
      }
      assertEquals(run.code, 1, run.stderr);
      assertStringIncludes(
        run.stderr,
        `${
          c.what(dir)
        } is in use by proactive holder, process ${Deno.pid} on host ${Deno.hostname()}`,
      );
      assertStringIncludes(run.stderr, "--wait");
      const after = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) =>
        !before.includes(n)
      );
      const output = c.output(dir);
      const wrote = output.kind === "file" && after.includes(output.path.split("/").at(-1)!);
      assert(!wrote, `${c.name} wrote its output while it was locked`);

      // --wait: the command starts once the holder lets go (it may fail later for want of
      // a model; it no longer fails on the lock).
      const again = await lockOutputs([c.output(dir)], {
        command: "proactive holder",
        onBusy: "fail",
      });
      const waiting = runProactive([...c.args(dir), "--wait"], dir);
      await new Promise((r) => setTimeout(r, 1_000));
      again.release();
      const waited = await waiting;
      assertStringIncludes(waited.stderr, "waiting for it to finish");
      assert(!waited.stderr.includes("exit 1 naming"), waited.stderr);
      assert(
        !/is in use by proactive holder[^\n]*: wait for that run/.test(waited.stderr),
        waited.stderr,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
