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
