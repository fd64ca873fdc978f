/**
 * `eval score` on the hand-made judged folders of tests/testdata/eval_score/ (reference
 * layout: <model>/<file>.json with agent_response and judgement), splits:
 *   alpha = a.json + b.json, beta = c.json, gamma = a.json + missing.json.
 *
 * model_a, turn by turn (default rule: "null" is a null proposal):
 *   a.json: ["Open the docs"]/[true] TP; [null]/[true] TN; ["Fix the bug", "Run the tests
 *           again"]/[false, true] FP + TP; ["null"]/[true] TN (TP with --null-strings task);
 *           a turn without agent_response (counts in Total Events only) — 5 turns
 *   b.json: [null]/[false] FN; ["Summarise the changes"]/[false] FP; agent_response null
 *           (failed, excluded); ["Look it up"] without judgement (unjudged) — 4 turns
 *   c.json: []/[true] TN (an empty list is one null proposal); ["Draft the email"]/[true] TP
 *   missing.json does not exist.
 * alpha: TP 2, FP 2, TN 2, FN 1, tasks proposed 4, accepted 2, Total Events 9, failed 1,
 *   unjudged 1. With the reference's formulas (e = 1e-8):
 *   Recall 2/(2+1+e) = 0.6666666644444444, Precision 2/(2+2+e) = 0.49999999875,
 *   Accuracy (2+2)/(2+2+2+1+e) = 0.571428570612245, False-Alarm 2/(2+2+e) = 0.49999999875,
 *   F1 2·(P·R)/(P+R+1e-8) = 0.5714285648979592, Accept 2/(4+e) = 0.49999999875.
 * alpha, --null-strings task: TP 3, FP 2, TN 1, FN 1, proposed 5, accepted 3:
 *   Recall 3/(4+e) = 0.7499999981250001, Precision 3/(5+e) = 0.5999999988,
 *   Accuracy 4/(7+e) = 0.571428570612245, False-Alarm 2/(5+e) = 0.3999999992,
 *   F1 = 0.6666666602469137, Accept 3/(5+e) = 0.5999999988.
 * beta: TP 1, TN 1: Recall = Precision = Accept = 1/(1+e) = 0.9999999900000002,
 *   Accuracy 2/(2+e) = 0.999999995, False-Alarm 0/(1+e) = 0.0, F1 = 0.9999999850000002.
 * gamma: incomplete (missing.json); with --allow-partial a.json alone: TP 2, FP 1, TN 2, FN 0,
 *   proposed 3, accepted 2, Total Events 5: Recall 2/(2+e) = 0.999999995,
 *   Precision 2/(3+e) = 0.6666666644444444, Accuracy 4/(5+e) = 0.7999999984,
 *   False-Alarm 1/(3+e) = 0.3333333322222222, F1 = 0.799999992, Accept = 0.6666666644444444.
 */
import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { formatScoreCsv, formatScoreTable, pythonFloat } from "./score_format.ts";
import { metricsOf, scoreModelFolders, tallyTurns } from "./score_model_folders.ts";
import { loadSplits } from "./score_command.ts";
import { parseSplits } from "./score_splits.ts";

const DATA = new URL("../../tests/testdata/eval_score/", import.meta.url).pathname;

Deno.test("eval score: model_a by hand, a missing file makes its split incomplete", async () => {
  const splits = await loadSplits(`${DATA}splits.json`);
  const result = await scoreModelFolders([`${DATA}model_a`], { splits });
  const [alpha, beta, gamma] = result.models[0].splits;
  assertEquals(result.models[0].model, "model_a");
  assertEquals(alpha.tally.counts, { tp: 2, fp: 2, tn: 2, fn: 1, proposed: 4, accepted: 2 });
  assertEquals(
    [alpha.tally.totalEvents, alpha.tally.failedTurns, alpha.tally.unjudgedTurns],
    [9, 1, 1],
  );
  assertEquals(alpha.metrics, {
    "Recall": 0.6666666644444444,
    "Precision": 0.49999999875,
    "Accuracy": 0.571428570612245,
    "False-Alarm": 0.49999999875,
    "F1-Score": 0.5714285648979592,
    "Accept Rate": 0.49999999875,
    "Total Events": 9,
  });
  assertEquals(beta.metrics, {
    "Recall": 0.9999999900000002,
    "Precision": 0.9999999900000002,
    "Accuracy": 0.999999995,
    "False-Alarm": 0,
    "F1-Score": 0.9999999850000002,
    "Accept Rate": 0.9999999900000002,
    "Total Events": 2,
  });
  assertEquals([gamma.complete, gamma.missing, gamma.metrics], [false, ["missing.json"], null]);
  // The CSV: the reference's columns and Python's float text; the incomplete split left out.
  assertEquals(
    formatScoreCsv(result.models[0]),
    "Category,Recall,Precision,Accuracy,False-Alarm,F1-Score,Accept Rate,Total Events\n" +
      "alpha,0.6666666644444444,0.49999999875,0.571428570612245,0.49999999875," +
      "0.5714285648979592,0.49999999875,9\n" +
      "beta,0.9999999900000002,0.9999999900000002,0.999999995,0.0,0.9999999850000002," +
      "0.9999999900000002,2\n",
  );
  const table = formatScoreTable(result);
  assert(table.includes("missing in") && table.includes("missing.json"), table);
  assert(/model_a\s+gamma\*\s+incomplete/.test(table), table);
});

Deno.test('eval score: --null-strings task counts "null" as a task, as the reference', async () => {
  const splits = await loadSplits(`${DATA}splits.json`);
  const result = await scoreModelFolders([`${DATA}model_a`], { splits, nullStrings: "task" });
  const alpha = result.models[0].splits[0];
  assertEquals(alpha.tally.counts, { tp: 3, fp: 2, tn: 1, fn: 1, proposed: 5, accepted: 3 });
  assertEquals(alpha.metrics?.Recall, 0.7499999981250001);
  assertEquals(alpha.metrics?.Precision, 0.5999999988);
  assertEquals(alpha.metrics?.Accuracy, 0.571428570612245);
  assertEquals(alpha.metrics?.["False-Alarm"], 0.3999999992);
  assertEquals(alpha.metrics?.["F1-Score"], 0.6666666602469137);
  assertEquals(alpha.metrics?.["Accept Rate"], 0.5999999988);
});

Deno.test("eval score: --allow-partial scores the files that are there", async () => {
  const splits = await loadSplits(`${DATA}splits.json`);
  const result = await scoreModelFolders([`${DATA}model_a`], { splits, allowPartial: true });
  const gamma = result.models[0].splits[2];
  assertEquals([gamma.complete, gamma.missing], [false, ["missing.json"]]);
  assertEquals(gamma.tally.counts, { tp: 2, fp: 1, tn: 2, fn: 0, proposed: 3, accepted: 2 });
  assertEquals(gamma.metrics, {
    "Recall": 0.999999995,
    "Precision": 0.6666666644444444,
    "Accuracy": 0.7999999984,
    "False-Alarm": 0.3333333322222222,
    "F1-Score": 0.799999992,
    "Accept Rate": 0.6666666644444444,
    "Total Events": 5,
  });
});

Deno.test("eval score: two models give one comparison table, rows model x split", async () => {
  const splits = await loadSplits(`${DATA}splits.json`);
  const result = await scoreModelFolders([`${DATA}model_a`, `${DATA}model_b/`], { splits });
  assertEquals(result.models.map((m) => m.model), ["model_a", "model_b"]);
  // model_b: a.json ["T"]/[true] TP, b.json [null]/[true] TN, c.json ["U"]/[false] FP,
  // missing.json [null]/[false] FN. gamma = a + missing: Recall 1/(1+1+e) = 0.4999999975,
  // Precision 1/(1+e) = 0.9999999900000002, F1 = 0.6666666577777778.
  const gamma = result.models[1].splits[2];
  assertEquals(gamma.metrics?.Recall, 0.4999999975);
  assertEquals(gamma.metrics?.Precision, 0.9999999900000002);
  assertEquals(gamma.metrics?.["F1-Score"], 0.6666666577777778);
  assertEquals(result.models[1].splits[1].metrics?.["False-Alarm"], 0.9999999900000002);
  const rows = formatScoreTable(result).split("\n").filter((l) => /^model_[ab] /.test(l));
  assertEquals(rows.map((r) => r.split(/\s+/).slice(0, 2).join(" ")), [
    "model_a alpha",
    "model_a beta",
    "model_a gamma*",
    "model_b alpha",
    "model_b beta",
    "model_b gamma",
  ]);
});

Deno.test("eval score: same folder name twice and a missing folder are refused", async () => {
  const splits = await loadSplits(`${DATA}splits.json`);
  await assertRejects(
    () => scoreModelFolders([`${DATA}model_a`, `${DATA}../eval_score/model_a`], { splits }),
    Error,
    'same folder name "model_a"',
  );
  await assertRejects(
    () => scoreModelFolders([`${DATA}nope`], { splits }),
    Error,
    "Cannot read model folder",
  );
});

Deno.test("eval score: the embedded splits are ProactiveBench's three", async () => {
  const splits = await loadSplits(null);
  assertEquals(splits.map((s) => [s.name, s.files.length]), [
    ["real_average", 12],
    ["real_coding", 6],
    ["real_writing", 6],
  ]);
});

Deno.test("eval score: splits naming paths outside the folder are refused", () => {
  let message = "";
  try {
    parseSplits({ x: { files: ["../secret.json"] } }, "s.json");
  } catch (error) {
    message = (error as Error).message;
  }
  assert(message.includes("not a file name inside the folder"), message);
});

Deno.test("eval score: floats are written as Python's repr writes them", () => {
  assertEquals(
    [0, 1, 0.5, 5e-5, 1e-8, 0.0001, 1e16, 0.9999999900000002].map(pythonFloat),
    ["0.0", "1.0", "0.5", "5e-05", "1e-08", "0.0001", "1e+16", "0.9999999900000002"],
  );
  // All-zero counts: every ratio is 0/(0+e) = 0.0, as in the reference.
  const m = metricsOf({ tp: 0, fp: 0, tn: 0, fn: 0, proposed: 0, accepted: 0 }, 3);
  assertEquals([m.Recall, m["F1-Score"], m["Total Events"]], [0, 0, 3]);
});

Deno.test("eval score: judgements pair by position; a non-boolean judgement is unjudged", () => {
  const tally = {
    counts: { tp: 0, fp: 0, tn: 0, fn: 0, proposed: 0, accepted: 0 },
    totalEvents: 0,
    failedTurns: 0,
    unjudgedTurns: 0,
    partlyJudgedTurns: 0,
  };
  tallyTurns(
    [
      // Three proposals, two judgements (a judge call failed): the reference zips, so the
      // first two proposals are scored (TP, FP) and the third is not — a partly judged turn.
      { agent_response: ["a", "b", "c"], judgement: [true, false] },
      // A null judgement: that proposal is unjudged; "accepted" spelled out counts as true (TN).
      { agent_response: ["d", "None"], judgement: [null, "accepted"] },
      // An unpredicted trace's turn ({candidate_task}) is unjudged, an empty judgement too.
      { agent_response: { candidate_task: ["x"] } },
      { agent_response: ["e"], judgement: [] },
    ],
    "null",
    tally,
  );
  assertEquals(tally.counts, { tp: 1, fp: 1, tn: 1, fn: 0, proposed: 2, accepted: 1 });
  assertEquals([tally.totalEvents, tally.partlyJudgedTurns, tally.unjudgedTurns], [4, 1, 3]);
});

/** A copy of model_a in `<dir>/<folder>`, with a marker naming `model` unless undefined. */
async function copyModelA(dir: string, folder: string, model?: string): Promise<string> {
  const target = `${dir}/${folder}`;
  await Deno.mkdir(target);
  for await (const entry of Deno.readDir(`${DATA}model_a`)) {
    await Deno.copyFile(`${DATA}model_a/${entry.name}`, `${target}/${entry.name}`);
  }
  if (model !== undefined) {
    await Deno.writeTextFile(`${target}/.model.json`, JSON.stringify({ model }));
  }
  return target;
}

Deno.test("eval score: the model is the one the folder's marker names, else its folder's", async () => {
  const splits = await loadSplits(`${DATA}splits.json`);
  const dir = await Deno.makeTempDir();
  try {
    const dirs = [
      await copyModelA(dir, "_llama3_3A8b", "llama3:8b"),
      await copyModelA(dir, "_llama3_208b"), // no marker: the name the folder stands for
      await copyModelA(dir, "plain", "Plain"), // the marker wins over the folder name
      await copyModelA(dir, "ref"), // the reference's layout: the folder's name
    ];
    const result = await scoreModelFolders(dirs, { splits });
    assertEquals(result.models.map((m) => [m.model, m.folder]), [
      ["llama3:8b", "_llama3_3A8b"],
      ["llama3 8b", "_llama3_208b"],
      ["Plain", "plain"],
      ["ref", "ref"],
    ]);
    assertEquals(result.models[0].splits[0].tally.counts.tp, 2);
    // Two folders of one model would give two rows of the same name: refused.
    const copy = await copyModelA(dir, "copy", "llama3:8b");
    await assertRejects(
      () => scoreModelFolders([dirs[0], copy], { splits }),
      Error,
      'hold the outputs of the same model "llama3:8b"',
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
