import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import { createMemoryLogger } from "../cli/testing/memory_logger.ts";
import { ProactiveError } from "../cli/errors.ts";
import { CATEGORIES, rewardItemSchema } from "../formats/reward_item.ts";
import { parseConvertOptions } from "./command.ts";
import { convertResults } from "./convert.ts";

const FIXTURES = fileURLToPath(new URL("../../tests/testdata/convert/", import.meta.url));

interface Case {
  args: string[];
  humanAgreement: number;
  helpFraction: number;
  helpTurns: number;
  entries: number;
  testCounts: number[];
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "convert-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (
  const name of [
    "mixed_unicode",
    "three_annotators",
    "default_flags",
    "finished_traces",
    "finished_traces_small_quota",
  ]
) {
  Deno.test(`golden: "${name}" is byte-identical to the reference script's output`, async () => {
    const fixture = `${FIXTURES}${name}`;
    const spec: Case = JSON.parse(await Deno.readTextFile(`${fixture}/case.json`));
    await withTempDir(async (out) => {
      const options = parseConvertOptions([`${fixture}/result`, "--out-dir", out, ...spec.args]);
      const summary = await convertResults(options, { logger: createMemoryLogger() });
      for (const file of ["train_data.jsonl", "test_data.jsonl"]) {
        const ours = await Deno.readFile(`${out}/${file}`);
        const expected = await Deno.readFile(`${fixture}/expected/${file}`);
        assert(ours.length === expected.length && ours.every((b, i) => b === expected[i]), file);
      }
      // The reference's own figures for the same folder.
      assertEquals(summary.humanAgreement, spec.humanAgreement);
      assertEquals(summary.helpFraction, spec.helpFraction);
      assertEquals([summary.helpTurns, summary.entries], [spec.helpTurns, spec.entries]);
      assertEquals(CATEGORIES.map((c) => summary.categories[c].test), spec.testCounts);
    });
  });
}

Deno.test("the outputs are valid reward items and the summary adds up", async () => {
  await withTempDir(async (out) => {
    const options = parseConvertOptions([`${FIXTURES}three_annotators/result`, "--out-dir", out]);
    const summary = await convertResults(options, { logger: createMemoryLogger() });
    const lines = (await Deno.readTextFile(`${out}/train_data.jsonl`)).trimEnd().split("\n");
    for (const line of lines) assert(rewardItemSchema.safeParse(JSON.parse(line)).success, line);
    assertEquals(lines.length, summary.train.items);
    const sum = CATEGORIES.reduce((n, c) => n + summary.categories[c].train, 0);
    assertEquals(sum, summary.train.items);
    assertEquals(summary.filesRead, 10);
    assertEquals(summary.train.path, `${out}/train_data.jsonl`);
  });
});

Deno.test("bad input names the file and writes nothing, not even the valid files' items", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/result`);
    await Deno.copyFile(
      `${FIXTURES}three_annotators/result/code_4.json`,
      `${dir}/result/a_good.json`,
    );
    await Deno.writeTextFile(`${dir}/result/b_bad.json`, '[{"observation": {"time": "1"}}]');
    const options = parseConvertOptions([`${dir}/result`, "--out-dir", `${dir}/out`]);
    const error = await assertRejects(
      () => convertResults(options, { logger: createMemoryLogger() }),
      ProactiveError,
      `Invalid result file "${dir}/result/b_bad.json" at $[0].observation.event`,
    );
    assertEquals(error.kind, "input");
    assertEquals(await Deno.stat(`${dir}/out`).catch(() => null), null);
  });
});

Deno.test("a bad file between good ones stops the run and writes nothing", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/result`);
    const good = `${FIXTURES}three_annotators/result/code_4.json`;
    await Deno.copyFile(good, `${dir}/result/a.json`);
    await Deno.writeTextFile(`${dir}/result/b.json`, "[1]");
    await Deno.copyFile(good, `${dir}/result/c.json`);
    const options = parseConvertOptions([`${dir}/result`, "--out-dir", `${dir}/out`]);
    await assertRejects(
      () => convertResults(options, { logger: createMemoryLogger() }),
      ProactiveError,
      `Invalid result file "${dir}/result/b.json" at $[0]`,
    );
    assertEquals(await Deno.stat(`${dir}/out`).catch(() => null), null);
  });
});

Deno.test("bad input leaves earlier outputs untouched", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/result`);
    await Deno.mkdir(`${dir}/out`);
    await Deno.writeTextFile(`${dir}/out/train_data.jsonl`, "old\n");
    await Deno.writeTextFile(`${dir}/result/x.json`, "not json");
    const options = parseConvertOptions([`${dir}/result`, "--out-dir", `${dir}/out`]);
    await assertRejects(
      () => convertResults(options, { logger: createMemoryLogger() }),
      ProactiveError,
      `Cannot parse "${dir}/result/x.json" as JSON`,
    );
    assertEquals(await Deno.readTextFile(`${dir}/out/train_data.jsonl`), "old\n");
    assertEquals([...Deno.readDirSync(`${dir}/out`)].map((e) => e.name), ["train_data.jsonl"]);
  });
});

Deno.test("an empty folder is an input error", async () => {
  await withTempDir(async (dir) => {
    const options = parseConvertOptions([dir, "--out-dir", `${dir}/out`]);
    await assertRejects(
      () => convertResults(options, { logger: createMemoryLogger() }),
      ProactiveError,
      "No result files",
    );
  });
});

Deno.test("help-mode files and --rules majority convert end to end", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/result`);
    const observation = (event: string) => ({ time: "1", event });
    await Deno.writeTextFile(
      `${dir}/result/empty_1.json`,
      JSON.stringify([
        { observation: observation("a"), candidate_task: [] },
        { observation: observation("b"), candidate_task: [], real_user: { x: "need", y: "need" } },
        {
          observation: observation("c"),
          candidate_task: ["t"],
          real_user: { x: "Reject all", y: [] },
        },
      ]),
    );
    const options = parseConvertOptions([
      `${dir}/result`,
      "--out-dir",
      `${dir}/out`,
      "--rules",
      "majority",
    ]);
    const logger = createMemoryLogger();
    const summary = await convertResults(options, { logger });
    const lines = (await Deno.readTextFile(`${dir}/out/test_data.jsonl`)).trimEnd().split("\n");
    const items = lines.map((line) => JSON.parse(line));
    assertEquals(items.map((i) => [i.obs.length, i.pred_task, i.valid, i.category]), [
      [2, null, false, "Missed-Need (MN)"],
      [3, null, true, "Correct-Rejection (CR)"],
      [3, "t", false, "False-Alarm (FA)"],
    ]);
    assertEquals([summary.helpTurns, summary.entries, summary.labelledTurns], [1, 3, 2]);
    assertStringIncludes(
      summary.notes.join("\n"),
      "Correct-Detection (CD): 0 of 30 test items; the category has 0 items",
    );
  });
});
