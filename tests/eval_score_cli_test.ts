/**
 * `proactive eval score` through `main()`: the table on screen, the CSVs (beside the folders
 * and with --out-dir), --json, and the usage errors. The numbers are those derived by hand
 * in src/eval/score_model_folders_test.ts for tests/testdata/eval_score/.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { main } from "../main.ts";
import { parseEvalScoreOptions } from "../src/eval/score_command.ts";

const DATA = new URL("./testdata/eval_score/", import.meta.url).pathname;

async function run(args: string[]) {
  let stdout = "", stderr = "";
  const code = await main(args, {
    stdout: (t) => stdout += t,
    stderr: (t) => stderr += t,
    env: () => undefined,
    isTerminal: false,
    signal: new AbortController().signal,
    now: () => 0,
  });
  return { code, stdout, stderr };
}

async function copyModels(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "proactive_score_" });
  for (const model of ["model_a", "model_b"]) {
    await Deno.mkdir(`${dir}/${model}`);
    for await (const entry of Deno.readDir(`${DATA}${model}`)) {
      await Deno.copyFile(`${DATA}${model}/${entry.name}`, `${dir}/${model}/${entry.name}`);
    }
  }
  return dir;
}

Deno.test("eval score CLI: table, CSV beside each folder, incomplete split named", async () => {
  const dir = await copyModels();
  try {
    const out = await run([
      "eval",
      "score",
      `${dir}/model_a`,
      `${dir}/model_b`,
      "--splits",
      `${DATA}splits.json`,
    ]);
    assertEquals(out.code, 0, out.stderr);
    assertStringIncludes(out.stdout, "model_a  alpha");
    assertStringIncludes(out.stdout, "0.6667"); // model_a alpha Recall 0.6666666644444444
    assertStringIncludes(out.stderr, 'split "gamma" is incomplete and not scored');
    assertStringIncludes(out.stderr, "missing.json");
    const csv = await Deno.readTextFile(`${dir}/model_a.csv`);
    assertEquals(
      csv.split("\n")[1],
      "alpha,0.6666666644444444,0.49999999875,0.571428570612245,0.49999999875," +
        "0.5714285648979592,0.49999999875,9",
    );
    assertEquals(csv.trim().split("\n").length, 3); // header, alpha, beta (gamma incomplete)
    const csvB = await Deno.readTextFile(`${dir}/model_b.csv`);
    assertEquals(csvB.trim().split("\n").length, 4); // model_b has every file
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("eval score CLI: --json, --out-dir, --allow-partial, --null-strings task", async () => {
  const dir = await copyModels();
  try {
    const out = await run([
      "eval",
      "score",
      `${dir}/model_a`,
      "--splits",
      `${DATA}splits.json`,
      "--out-dir",
      `${dir}/results`,
      "--allow-partial",
      "--null-strings",
      "task",
      "--json",
    ]);
    assertEquals(out.code, 0, out.stderr);
    const json = JSON.parse(out.stdout);
    assertEquals(json.nullStrings, "task");
    const [alpha, , gamma] = json.models[0].splits;
    assertEquals(alpha.counts, { tp: 3, fp: 2, tn: 1, fn: 1, proposed: 5, accepted: 3 });
    assertEquals([alpha.failedTurns, alpha.unjudgedTurns], [1, 1]);
    assertEquals(alpha.metrics["F1-Score"], 0.6666666602469137);
    assertEquals([gamma.complete, gamma.missing], [false, ["missing.json"]]);
    assert(gamma.metrics !== null);
    assertEquals(json.models[0].csv, `${dir}/results/model_a.csv`);
    const csv = await Deno.readTextFile(`${dir}/results/model_a.csv`);
    assertEquals(csv.trim().split("\n").length, 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("eval score CLI: usage errors", async () => {
  const none = await run(["eval", "score"]);
  assertEquals(none.code, 2);
  assertStringIncludes(none.stderr, "at least one model folder");
  const bad = await run(["eval", "score", DATA, "--null-strings", "maybe"]);
  assertEquals(bad.code, 2);
  assertStringIncludes(bad.stderr, "--null-strings must be one of null, task");
  const missing = await run(["eval", "score", `${DATA}model_a`, "--splits", `${DATA}nope.json`]);
  assertEquals(missing.code, 1);
  assertStringIncludes(missing.stderr, `The splits file "${DATA}nope.json" does not exist`);
  assertEquals(parseEvalScoreOptions(["a", "b", "--no-csv"]).csv, false);
  const help = await run(["eval", "--help"]);
  assertStringIncludes(help.stdout, "proactive eval score DIR...");
});
