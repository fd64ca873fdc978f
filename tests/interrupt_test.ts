/**
 * Ctrl-C (SIGINT) and SIGTERM in every LLM stage: the command stops while its requests
 * hang, exits 1, and its last line says what is saved and to run it again —
 * `Interrupted: …; run the same command again to continue` — never the runtime's "The
 * signal has been aborted".
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { MAIN, ROOT } from "./run_deno.ts";
import { startFakeOpenAiServer } from "../src/llm/testing/fake_openai_server.ts";
import type { GymRecord } from "../src/gym/gym_types.ts";

/** A complete gym log of three events, in proactive's format. */
async function writeLog(path: string): Promise<void> {
  const records: GymRecord[] = [
    { source: "system", time: "02-29 09:00:00", tags: ["setup"], content: '{"seed":3}' },
    ...["The user opens a file.", "The user types.", "The user sighs."].map((
      event,
      i,
    ): GymRecord => ({
      source: "EnvManager",
      time: `02-29 09:00:0${i + 1}`,
      tags: ["events"],
      content: event,
    })),
    { source: "system", time: "02-29 09:00:09", tags: ["end"], content: "{}" },
  ];
  await Deno.writeTextFile(path, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
}

interface Case {
  name: string;
  args: (dir: string) => string[];
  prepare?: (dir: string) => Promise<void>;
}

const CASES: Case[] = [
  {
    name: "reward",
    args: (dir) => [
      "reward",
      "--in",
      `${ROOT}/tests/testdata/reward/fifteen_items.jsonl`,
      "--out",
      join(dir, "set.json"),
    ],
  },
  { name: "scenes", args: (dir) => ["scenes", "--out", join(dir, "s.yaml"), "--scenes-dir", dir] },
  {
    name: "datagen",
    args: (dir) => [
      "datagen",
      "--scene-file",
      `${ROOT}/tests/testdata/gym/scenes_example.yaml`,
      "--out-dir",
      join(dir, "logs"),
    ],
  },
  {
    name: "agent-trainset",
    prepare: (dir) => writeLog(join(dir, "scene_a-000-0.jsonl")),
    args: (dir) => ["agent-trainset", "--in-dir", dir, "--out", join(dir, "a.json")],
  },
  {
    name: "traces",
    prepare: (dir) => writeLog(join(dir, "scene_a-000-0.jsonl")),
    args: (dir) => ["traces", "--logs", dir, "--out", join(dir, "t")],
  },
  { name: "eval reward", args: (dir) => ["eval", "reward", "--out", join(dir, "r.jsonl")] },
  { name: "eval agent", args: (dir) => ["eval", "agent", "--out-dir", dir] },
  {
    name: "eval agent --judge-model",
    args: (dir) => ["eval", "agent", "--out-dir", dir, "--judge-model", "r"],
  },
  {
    name: "eval judge",
    prepare: async (dir) => {
      await Deno.mkdir(join(dir, "m"));
      const turn = {
        observation: { time: "1717000000", event: "The user opens a file." },
        agent_response: ["Open the report"],
        task_status: false,
      };
      await Deno.writeTextFile(join(dir, "m", "code_11.json"), JSON.stringify([turn]));
    },
    args: (dir) => ["eval", "judge", "--out-dir", dir],
  },
];

for (const c of CASES) {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.test(`${c.name}: ${signal} while requests hang says what is saved and to run again`, async () => {
      // Every request hangs: the stage is mid-work when the signal comes.
      await using server = await startFakeOpenAiServer({
        handler: () => ({ stallAfterHeadersMs: Infinity }),
      });
      const dir = await Deno.makeTempDir({ prefix: "interrupt-" });
      try {
        await c.prepare?.(dir);
        const child = new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "--unstable-kv",
            "-A",
            MAIN,
            ...c.args(dir),
            "--base-url",
            server.baseUrl,
            "--api-key",
            "k",
            "--model",
            "m",
            "--cache-dir",
            join(dir, "cache"),
          ],
          cwd: dir,
          stdout: "piped",
          stderr: "piped",
          env: { NO_COLOR: "1" },
        }).spawn();
        for (let i = 0; i < 400 && server.requests.length === 0; i++) {
          await new Promise((r) => setTimeout(r, 25));
        }
        assert(server.requests.length > 0, "the stage sent a request");
        child.kill(signal);
        const output = await child.output();
        const stderr = new TextDecoder().decode(output.stderr);
        assertEquals(output.code, 1, stderr);
        assert(!/signal has been aborted/i.test(stderr), stderr);
        const last = stderr.trimEnd().split("\n").at(-1)!;
        // The stage itself says what it saved (not main's catch-all sentence).
        assert(!last.includes("what was finished before is kept"), last);
        assertMatch(
          last,
          /^proactive [a-z -]+: Interrupted: .+; run the same command again to continue/,
        );
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
}
