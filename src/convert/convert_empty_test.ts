import { assertEquals } from "../../tests/assert.ts";
import { createMemoryLogger } from "../cli/testing/memory_logger.ts";
import { parseConvertOptions } from "./command.ts";
import { convertResults } from "./convert.ts";

const observation = (event: string) => ({ time: "1", event });
const raw = (event: string) => ({
  observation: observation(event),
  agent_response: { candidate_task: [] },
  task_status: false,
});

/** A folder whose labelled turns give no item: 2 with one annotator, 1 help-mode tie. */
async function writeItemlessFolder(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/a.json`,
    JSON.stringify([
      { observation: observation("a"), candidate_task: ["t", "u"], real_user: { x: [0] } },
      { observation: observation("b"), candidate_task: ["t"], real_user: { y: "Reject all" } },
      raw("c"),
    ]),
  );
  await Deno.writeTextFile(
    `${dir}/empty_b.json`,
    JSON.stringify([
      {
        observation: observation("d"),
        candidate_task: [""],
        real_user: { x: "need", y: "no need" },
      },
    ]),
  );
  await Deno.writeTextFile(`${dir}/c.json`, JSON.stringify([raw("e"), raw("f")]));
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "convert-empty-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const splitBy of ["item", "turn", "trace"]) {
  Deno.test(`no item: nothing written, earlier outputs untouched, the notes say why (${splitBy})`, async () => {
    await withTempDir(async (dir) => {
      await writeItemlessFolder(`${dir}/result`);
      await Deno.mkdir(`${dir}/out`);
      await Deno.writeTextFile(`${dir}/out/train_data.jsonl`, "old\n");
      const options = parseConvertOptions([
        `${dir}/result`,
        "--out-dir",
        `${dir}/out`,
        "--split-by",
        splitBy,
      ]);
      const summary = await convertResults(options, { logger: createMemoryLogger() });
      assertEquals(summary.written, false);
      assertEquals(summary.notes, [
        "No items: of 3 labelled turns, 2 had fewer than 2 annotators and 1 had no majority.",
      ]);
      assertEquals([summary.entries, summary.labelledTurns], [6, 3]);
      assertEquals(await Deno.readTextFile(`${dir}/out/train_data.jsonl`), "old\n");
      assertEquals([...Deno.readDirSync(`${dir}/out`)].map((e) => e.name), ["train_data.jsonl"]);
    });
  });
}

Deno.test("no item and no output folder: the folder is not created", async () => {
  await withTempDir(async (dir) => {
    await writeItemlessFolder(`${dir}/result`);
    const options = parseConvertOptions([`${dir}/result`, "--out-dir", `${dir}/out`]);
    const summary = await convertResults(options, { logger: createMemoryLogger() });
    assertEquals(summary.written, false);
    assertEquals(await Deno.stat(`${dir}/out`).catch(() => null), null);
  });
});

Deno.test("no labelled turn at all: the note says so", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/result`);
    await Deno.writeTextFile(`${dir}/result/c.json`, JSON.stringify([raw("e"), raw("f")]));
    const options = parseConvertOptions([`${dir}/result`, "--out-dir", `${dir}/out`]);
    const summary = await convertResults(options, { logger: createMemoryLogger() });
    assertEquals(summary.notes, [
      "No items: none of the 2 entries carries real_user (no labelled turns).",
    ]);
  });
});

Deno.test("--allow-empty replaces the outputs with empty files", async () => {
  await withTempDir(async (dir) => {
    await writeItemlessFolder(`${dir}/result`);
    await Deno.mkdir(`${dir}/out`);
    await Deno.writeTextFile(`${dir}/out/train_data.jsonl`, "old\n");
    const options = parseConvertOptions([
      `${dir}/result`,
      "--out-dir",
      `${dir}/out`,
      "--allow-empty",
    ]);
    const summary = await convertResults(options, { logger: createMemoryLogger() });
    assertEquals(summary.written, true);
    assertEquals(await Deno.readTextFile(`${dir}/out/train_data.jsonl`), "");
    assertEquals(await Deno.readTextFile(`${dir}/out/test_data.jsonl`), "");
  });
});
