/**
 * `proactive eval reward` end to end: `deno run --unstable-kv -A main.ts eval reward …` in
 * a child process, on the embedded 120-item test set, against the fake OpenAI server of
 * this test process answering from a script keyed by the item's position.
 *
 * The test set holds MN items at positions 0–29 (label rejected), CR 30–59 (accepted),
 * CD 60–89 (accepted) and FA 90–119 (rejected). The script answers wrongly at
 * MN: i % 5 == 0 (0, 5, …, 25: 6 items), CR: i % 4 == 0 (32, 36, …, 56: 7),
 * CD: i % 6 == 0 (60, 66, 72, 78, 84: 5), FA: i % 3 == 0 (90, 93, …, 117: 10), and
 * without any readable judgement at 7 (MN), 45 (CR) and 100 (FA). Counted by hand:
 *   per category (an unreadable answer is wrong there under both rules)
 *   MN 23/30 = 76.67 %, NR 22/30 = 73.33 %, CD 25/30 = 83.33 %, FA 19/30 = 63.33 %,
 *   all 89/120 = 74.17 %;
 * with the default `--unreadable rejected` (7 and 100 are true negatives, 45 a false
 * negative):
 *   TP = 22 + 25 = 47, FN = 7 + 1 + 5 = 13, TN = 24 + 20 = 44, FP = 6 + 10 = 16;
 *   accuracy 91/120 = 75.83 %, precision 47/63 = 74.60 %, recall 47/60 = 78.33 %,
 *   F1 = 94/123 = 76.42 %;
 * with `--unreadable wrong` (7 and 100 are false positives):
 *   TP 47, FN 13, TN = 23 + 19 = 42, FP = 6 + 1 + 10 + 1 = 18;
 *   accuracy 89/120 = 74.17 %, precision 47/65 = 72.31 %, recall 47/60 = 78.33 %,
 *   F1 = 94/125 = 75.20 %.
 */
import { fileURLToPath } from "node:url";
import { runDeno } from "./run_deno.ts";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { startFakeOpenAiServer } from "../src/llm/testing/fake_openai_server.ts";
import { parseJsonlText } from "../src/jsonl/jsonl_streams.ts";
import { parseRewardItem } from "../src/formats/reward_item.ts";
import { judgementOf, rewardMessages } from "../src/prompts/reward_prompts.ts";
import { BUILTIN_PROMPT_SET } from "../src/prompts/prompt_set.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const KEY = "sk-test-SECRET";

const TEST_SET = parseJsonlText(
  await Deno.readTextFile(`${ROOT}data/reward_data/test_data.jsonl`),
  "test_data.jsonl",
).map(({ value, line }) => parseRewardItem(value, "test_data.jsonl", line));

const UNPARSEABLE: Record<number, string> = {
  7: "I would rather not say.",
  45: "",
  100: '{"thought": "hmm", "judgement": "maybe"}',
};

function isWrong(i: number): boolean {
  if (i < 30) return i % 5 === 0;
  if (i < 60) return i % 4 === 0;
  if (i < 90) return i % 6 === 0;
  return i % 3 === 0;
}

/** The scripted answer to item `i`, in one of several shapes a model might use. */
function answer(i: number): string {
  if (i in UNPARSEABLE) return UNPARSEABLE[i];
  const label = judgementOf(TEST_SET[i].valid);
  const judgement = isWrong(i) ? (label === "accepted" ? "rejected" : "accepted") : label;
  const json = JSON.stringify({ thought: `Item ${i}.`, judgement });
  switch (i % 4) {
    case 1:
      return "```json\n" + json + "\n```";
    case 2:
      return `Let me think. ${json.replace(judgement, judgement.toUpperCase())} Done.`;
    case 3:
      return `{"thought": "cut off, item ${i}", "judgement": "${judgement}", "more": "tex`;
    default:
      return json;
  }
}

async function fixture() {
  const indexOf = new Map(
    TEST_SET.map((
      item,
      i,
    ) => [rewardMessages(BUILTIN_PROMPT_SET, item.obs, item.pred_task)[1].content, i]),
  );
  const server = await startFakeOpenAiServer({
    handler: (body) => {
      const index = indexOf.get(String(body.messages[1]?.content));
      return { texts: index === undefined ? "unknown item" : answer(index) };
    },
  });
  const dir = await Deno.makeTempDir({ prefix: "eval-reward-cli-" });
  const run = (...args: string[]) =>
    runDeno(["run", "--unstable-kv", "-A", `${ROOT}main.ts`, "eval", ...args], dir);
  const llmArgs = [
    "--base-url",
    server.baseUrl,
    "--api-key",
    KEY,
    "--model",
    "reward-judge",
    "--cache-dir",
    `${dir}/cache`,
  ];
  return {
    server,
    dir,
    run,
    llmArgs,
    async [Symbol.asyncDispose]() {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("eval reward: the embedded test set reproduces the hand-counted table", async () => {
  await using t = await fixture();
  const result = await t.run("reward", ...t.llmArgs, "--concurrency", "8");
  assertEquals(result.code, 0, result.stderr);
  const table = `Category  Items  Correct  Accuracy
MN           30       23    76.67%
NR           30       22    73.33%
CD           30       25    83.33%
FA           30       19    63.33%
All         120       89    74.17%

Confusion matrix (accepted = positive):
                 label accepted  label rejected
judged accepted  TP 47           FP 16
judged rejected  FN 13           TN 44

Accuracy   75.83%
Precision  74.60%
Recall     78.33%
F1         76.42%

Unreadable answers: 3 of 120
  (counted as rejections in the confusion matrix and the scores from it, and as wrong in the category accuracies, as the reference scores them; --unreadable wrong counts them as wrong everywhere)
  item 8 (line 8): the answer contains no JSON object; answer "I would rather not say."
  item 46 (line 46): the answer is empty; answer ""
  item 101 (line 101): $.judgement: Invalid option: expected one of "accepted"|"rejected"; answer`;
  assertStringIncludes(result.stdout, table);
  assertStringIncludes(result.stdout, "Reward model reward-judge (default, http://127.0.0.1:");
  assertStringIncludes(result.stdout, "Test set: embedded ProactiveBench reward test set");
  assertStringIncludes(result.stdout, "LLM: 120 calls, 120 requests");

  // What the model was asked: the reward prompt, at temperature 0, nothing else.
  assertEquals(t.server.requests.length, 120);
  for (const request of t.server.requests) {
    assertEquals(request.temperature, 0);
    assertEquals(typeof request.seed, "number");
    assertEquals(request.response_format, undefined);
    assertEquals(request.messages.length, 2);
  }
  assert(t.server.authorizations.every((a) => a === `Bearer ${KEY}`));

  // Per-item results.
  const lines = (await Deno.readTextFile(`${t.dir}/reward_eval_results.jsonl`)).trim().split("\n");
  assertEquals(lines.length, 120);
  const rows = lines.map((line) => JSON.parse(line));
  assertEquals(rows[0], {
    index: 0,
    line: 1,
    category: "Missed-Need (MN)",
    label: "rejected",
    prediction: "accepted",
    correct: false,
    reply: answer(0),
  });
  assertEquals(rows[7].prediction, null);
  assertEquals(rows[7].error, "the answer contains no JSON object");
  assertEquals(rows[33].prediction, "accepted"); // a fenced answer
  assertEquals(rows[34].prediction, "accepted"); // prose around, upper case
  assertEquals(rows[35].prediction, "accepted"); // cut off after the judgement
  assertEquals(rows.filter((r) => r.correct).length, 89);

  for (const text of [result.stdout, result.stderr, ...lines]) assert(!text.includes(KEY));
});

Deno.test("eval reward --json: the same numbers as JSON; served from the cache", async () => {
  await using t = await fixture();
  const out = `${t.dir}/results/eval.jsonl`;
  const first = await t.run("reward", "--out", out, ...t.llmArgs);
  assertEquals(first.code, 0, first.stderr);
  const result = await t.run("reward", "--json", "--out", out, ...t.llmArgs);
  assertEquals(result.code, 0, result.stderr);
  assertEquals(t.server.requests.length, 120);
  const json = JSON.parse(result.stdout);
  assertEquals(json.items, 120);
  assertEquals(json.correct, 89);
  assertEquals(json.categories, {
    MN: { items: 30, correct: 23, accuracy: 23 / 30 },
    NR: { items: 30, correct: 22, accuracy: 22 / 30 },
    CD: { items: 30, correct: 25, accuracy: 25 / 30 },
    FA: { items: 30, correct: 19, accuracy: 19 / 30 },
  });
  assertEquals(json.confusion, { tp: 47, fp: 16, fn: 13, tn: 44 });
  assertEquals(json.accuracy, 91 / 120);
  assertEquals(json.precision, 47 / 63);
  assertEquals(json.recall, 47 / 60);
  assertEquals(json.f1, 94 / 123);
  assertEquals(json.unreadableRule, "rejected");
  assertEquals(json.unparseable.map((u: { index: number }) => u.index), [7, 45, 100]);
  assertEquals(json.llm.requests, 0);
  assertEquals(json.llm.cacheHits, 120);
  assertEquals(json.endpoint.model, "reward-judge");
  assertEquals(json.promptVersion, "reward-v1");
  assertEquals(json.output, out);
  assertEquals((await Deno.readTextFile(out)).trim().split("\n").length, 120);
  const summaryFile = `${t.dir}/results/eval.summary.json`;
  assertEquals(json.summary, summaryFile);
  const summary = JSON.parse(await Deno.readTextFile(summaryFile));
  assertEquals(summary.confusion, json.confusion);
  assertEquals(summary.llm.cacheHits, 120);
  for (const file of [out, summaryFile, ...await cacheFiles(`${t.dir}/cache`)]) {
    assert(!(await Deno.readTextFile(file)).includes(KEY), file);
  }

  // The stricter rule, from the cache: the unreadable answers are wrong everywhere.
  const strict = await t.run(
    "reward",
    "--json",
    "--unreadable",
    "wrong",
    "--out",
    out,
    ...t.llmArgs,
  );
  assertEquals(strict.code, 0, strict.stderr);
  assertEquals(t.server.requests.length, 120);
  const wrong = JSON.parse(strict.stdout);
  assertEquals(wrong.unreadableRule, "wrong");
  assertEquals(wrong.categories, json.categories);
  assertEquals(wrong.confusion, { tp: 47, fp: 18, fn: 13, tn: 42 });
  assertEquals(wrong.accuracy, 89 / 120);
  assertEquals(wrong.precision, 47 / 65);
  assertEquals(wrong.recall, 47 / 60);
  assertEquals(wrong.f1, 94 / 125);
});

Deno.test("eval reward --in and --limit; a missing or unknown target is a usage error", async () => {
  await using t = await fixture();
  const limited = await t.run("reward", "--limit", "10", "--json", ...t.llmArgs);
  assertEquals(limited.code, 0, limited.stderr);
  assertEquals(JSON.parse(limited.stdout).items, 10);
  assertEquals(t.server.requests.length, 10);

  const file = `${t.dir}/two.jsonl`;
  const text = await Deno.readTextFile(`${ROOT}data/reward_data/test_data.jsonl`);
  await Deno.writeTextFile(file, text.split("\n").slice(60, 62).join("\n") + "\n");
  const fromFile = await t.run("reward", "--in", file, "--json", ...t.llmArgs);
  assertEquals(fromFile.code, 0, fromFile.stderr);
  const json = JSON.parse(fromFile.stdout);
  assertEquals([json.source, json.items, json.categories.CD.items], [file, 2, 2]);

  const missing = await t.run(...t.llmArgs);
  assertEquals(missing.code, 2);
  assertStringIncludes(missing.stderr, "Say what to evaluate: proactive eval reward");
  const unknown = await t.run("bogus", ...t.llmArgs);
  assertEquals(unknown.code, 2);
  assertStringIncludes(unknown.stderr, 'Unknown evaluation "bogus"');
});

async function cacheFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...await cacheFiles(path));
    else files.push(path);
  }
  return files;
}
