/**
 * A really full disk (a 1 MiB tmpfs, filled up): every failed write names its path, says
 * the disk is full, leaves the earlier file as it was and no temporary file behind.
 * Mounting needs root: CI runs these; elsewhere they are ignored.
 */
import { join } from "node:path";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./assert.ts";
import { ROOT, runProactive } from "./run_deno.ts";
import { canMountTmpfs, fillUp, withTmpfs } from "./tmpfs.ts";
import { writeFileAtomic } from "../src/store/atomic_write.ts";
import { openGymLog } from "../src/gym/log_writer.ts";
import type { GymRecord } from "../src/gym/gym_types.ts";
import { startFakeOpenAiServer } from "../src/llm/testing/fake_openai_server.ts";
import { createFakeRewardModel } from "../src/reward/testing/fake_reward_model.ts";

const ignore = !canMountTmpfs();

/** Names in `dir` that look like temporary files of an atomic write. */
function temporaries(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.includes(".tmp-"));
}

Deno.test({
  name: "full disk: an atomic write names the file, keeps the old one, leaves no temporary file",
  ignore,
  fn: () =>
    withTmpfs("1m", async (mount) => {
      const path = join(mount, "out.json");
      await Deno.writeTextFile(path, "old");
      await fillUp(join(mount, "filler"));
      const error = await assertRejects(() => writeFileAtomic(path, "x".repeat(64 * 1024)));
      assertEquals(
        error.message,
        `Cannot write "${path}": No space left on the disk for "${path}"`,
      );
      assertEquals(await Deno.readTextFile(path), "old");
      assertEquals(temporaries(mount), []);
    }),
});

Deno.test({
  name: "full disk: a gym log's failed write names the partial log",
  ignore,
  fn: () =>
    withTmpfs("1m", async (mount) => {
      await fillUp(join(mount, "filler"));
      const log = await openGymLog(join(mount, "scene_a.jsonl"));
      const record: GymRecord = {
        source: "EnvManager",
        time: "02-29 09:00:01",
        tags: ["events"],
        content: "x".repeat(64 * 1024),
      };
      const error = await assertRejects(() => log.write(record));
      assertStringIncludes(
        error.message,
        `Cannot write to the log "${join(mount, "scene_a.jsonl.partial")}": No space left on ` +
          `the disk for "${join(mount, "scene_a.jsonl.partial")}"`,
      );
      log.close();
    }),
});

Deno.test({
  name:
    "full disk: reward exits 1 naming the file it could not write, and leaves no temporary file",
  ignore,
  fn: async () => {
    const model = createFakeRewardModel();
    await using server = await startFakeOpenAiServer({ handler: model.handler });
    await withTmpfs("1m", async (mount) => {
      await fillUp(join(mount, "filler"));
      // Room for the lock files and the usage journal, not for the dataset.
      const filler = join(mount, "filler");
      await Deno.truncate(filler, (await Deno.stat(filler)).size - 24 * 1024);
      const run = await runProactive([
        "reward",
        "--in",
        `${ROOT}/tests/testdata/reward/fifteen_items.jsonl`,
        "--out",
        join(mount, "out", "set.json"),
        "--base-url",
        server.baseUrl,
        "--api-key",
        "k",
        "--model",
        "m",
        "--no-cache",
      ]);
      assertEquals(run.code, 1, run.stderr);
      const line = run.stderr.trimEnd().split("\n").at(-1)!;
      assertStringIncludes(line, "No space left on the disk for ");
      assert(line.includes(`"${mount}/out/set.json"`), line);
      assert(!line.includes("os error"), line);
      assertEquals(temporaries(join(mount, "out")), []);
    });
  },
});

Deno.test({
  name:
    "full disk: eval judge names the judged file it could not write, keeps it, leaves no temporary file",
  ignore,
  fn: async () => {
    // Every judgement is "accepted", with a long thought: the judged file outgrows the room.
    await using server = await startFakeOpenAiServer({
      handler: () => ({
        texts: JSON.stringify({ thought: "t".repeat(2000), judgement: "accepted" }),
      }),
    });
    await withTmpfs("1m", async (mount) => {
      const folder = join(mount, "m");
      await Deno.mkdir(folder);
      const turns = Array.from({ length: 40 }, (_, i) => ({
        observation: { time: String(1717000000 + i), event: `Event ${i}.` },
        agent_response: ["Open the report"],
        task_status: false,
      }));
      const text = JSON.stringify(turns);
      await Deno.writeTextFile(join(folder, "code_11.json"), text);
      await fillUp(join(mount, "filler"));
      const run = await runProactive([
        "eval",
        "judge",
        "--out-dir",
        mount,
        "--model",
        "r",
        "--base-url",
        server.baseUrl,
        "--api-key",
        "k",
        "--no-cache",
      ]);
      assertEquals(run.code, 1, run.stderr);
      const path = join(folder, "code_11.json");
      assertStringIncludes(run.stderr, `No space left on the disk for "${path}"`);
      assert(!run.stderr.includes("os error"), run.stderr);
      assertEquals(await Deno.readTextFile(path), text);
      assertEquals(temporaries(folder), []);
    });
  },
});
