/**
 * `proactive convert` end to end: `deno run -A main.ts convert …` in a child process.
 */
import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { runProactive } from "./run_deno.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const FIXTURE = `${ROOT}tests/testdata/convert/three_annotators`;

function convert(args: string[]) {
  return runProactive(["convert", ...args]);
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "convert-cli-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("convert writes both files and prints the summary", async () => {
  await withTempDir(async (dir) => {
    const spec = JSON.parse(await Deno.readTextFile(`${FIXTURE}/case.json`));
    const result = await convert([`${FIXTURE}/result`, "--out-dir", `${dir}/out`, ...spec.args]);
    assertEquals(result.code, 0, result.stderr);
    for (
      const part of [
        "Converted 10 result file(s)",
        "Missed-Need (MN)",
        "Human agreement:",
        "Help needed:",
        "Labelled turns:",
        `${dir}/out/train_data.jsonl`,
        `${dir}/out/test_data.jsonl`,
      ]
    ) {
      assertStringIncludes(result.stdout, part);
    }
    for (const file of ["train_data.jsonl", "test_data.jsonl"]) {
      assertEquals(
        await Deno.readTextFile(`${dir}/out/${file}`),
        await Deno.readTextFile(`${FIXTURE}/expected/${file}`),
        file,
      );
    }
  });
});

Deno.test("convert --json prints the summary as JSON", async () => {
  await withTempDir(async (dir) => {
    const result = await convert(["--in", `${FIXTURE}/result`, "--out-dir", dir, "--json"]);
    assertEquals(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assertEquals(summary.filesRead, 10);
    assertEquals(summary.rules, "reference");
    assertEquals(summary.seed, 42);
    assertEquals(summary.splitBy, "item");
    assertEquals(summary.written, true);
    assertEquals(summary.train.path, `${dir}/train_data.jsonl`);
    assertEquals(typeof summary.humanAgreement, "number");
  });
});

Deno.test("malformed input exits 1 with one line naming the file and writes nothing", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/result`);
    await Deno.copyFile(`${FIXTURE}/result/code_4.json`, `${dir}/result/a.json`);
    await Deno.writeTextFile(`${dir}/result/b.json`, '[{"observation": "oops"');
    const result = await convert([`${dir}/result`, "--out-dir", `${dir}/out`]);
    assertEquals(result.code, 1);
    const lines = result.stderr.trimEnd().split("\n");
    assertEquals(lines.length, 1, result.stderr);
    assertStringIncludes(
      lines[0],
      `proactive convert: Cannot parse "${dir}/result/b.json" as JSON`,
    );
    assertEquals(await Deno.stat(`${dir}/out`).catch(() => null), null);
  });
});

Deno.test("a bad flag exits 2 and prints the help", async () => {
  const result = await convert(["--rules", "unanimous"]);
  assertEquals(result.code, 2);
  assertStringIncludes(result.stderr, "--rules must be one of reference, majority");
  assertStringIncludes(result.stderr, "Usage: proactive convert");
  assert(!result.stdout.includes("Converted"));
});

/** A result folder whose only labelled turn has one annotator, then raw trace turns. */
async function writeItemlessFolder(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const observation = (event: string) => ({ time: "1", event });
  await Deno.writeTextFile(
    `${dir}/a.json`,
    JSON.stringify([
      { observation: observation("a"), candidate_task: ["t"], real_user: { x: [0] } },
      { observation: observation("b"), agent_response: { candidate_task: [] }, task_status: false },
    ]),
  );
}

Deno.test("a run with no item exits 1, says why and leaves the outputs untouched", async () => {
  await withTempDir(async (dir) => {
    await writeItemlessFolder(`${dir}/result`);
    await Deno.mkdir(`${dir}/out`);
    await Deno.writeTextFile(`${dir}/out/train_data.jsonl`, "old train\n");
    await Deno.writeTextFile(`${dir}/out/test_data.jsonl`, "old test\n");
    const result = await convert([`${dir}/result`, "--out-dir", `${dir}/out`]);
    assertEquals(result.code, 1, result.stderr);
    assertStringIncludes(
      result.stdout,
      "Note: No items: of 1 labelled turns, 1 had fewer than 2 annotators and 0 had no majority.",
    );
    assertStringIncludes(result.stdout, "Wrote nothing:");
    assertStringIncludes(result.stderr, "No items: of 1 labelled turns");
    assertEquals(await Deno.readTextFile(`${dir}/out/train_data.jsonl`), "old train\n");
    assertEquals(await Deno.readTextFile(`${dir}/out/test_data.jsonl`), "old test\n");

    const json = await convert([`${dir}/result`, "--out-dir", `${dir}/out`, "--json"]);
    assertEquals(json.code, 1);
    const summary = JSON.parse(json.stdout);
    assertEquals([summary.written, summary.entries, summary.fewAnnotatorTurns], [false, 2, 1]);
    assertEquals(summary.helpFraction, 0);
  });
});

Deno.test("--allow-empty writes empty files and exits 0", async () => {
  await withTempDir(async (dir) => {
    await writeItemlessFolder(`${dir}/result`);
    await Deno.mkdir(`${dir}/out`);
    await Deno.writeTextFile(`${dir}/out/train_data.jsonl`, "old train\n");
    const result = await convert([`${dir}/result`, "--out-dir", `${dir}/out`, "--allow-empty"]);
    assertEquals(result.code, 0, result.stderr);
    assertStringIncludes(result.stdout, "(0 items)");
    assertEquals(await Deno.readTextFile(`${dir}/out/train_data.jsonl`), "");
    assertEquals(await Deno.readTextFile(`${dir}/out/test_data.jsonl`), "");
  });
});

Deno.test("convert --split-by trace reads finished traces and names the split", async () => {
  await withTempDir(async (dir) => {
    const fixture = `${ROOT}tests/testdata/convert/finished_traces/result`;
    const result = await convert([fixture, "--out-dir", dir, "--split-by", "trace"]);
    assertEquals(result.code, 0, result.stderr);
    assertStringIncludes(result.stdout, "(rules: reference, split by: trace, seed: 42)");
    assertStringIncludes(result.stdout, "held out");
    assertStringIncludes(result.stdout, "of 117 entries carry real_user");
  });
});
