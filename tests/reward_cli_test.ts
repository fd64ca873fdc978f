/**
 * `proactive reward` end to end: `deno run --unstable-kv -A main.ts reward …` in a child
 * process, against the fake OpenAI server running in this test process, through the
 * real `openai` client. The scripted model (src/reward/testing/fake_reward_model.ts)
 * answers the explain prompt with the label it is shown and the consistency prompt with
 * the verdict marked in the thought.
 */
import { fileURLToPath } from "node:url";
import { runDeno } from "./run_deno.ts";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { startFakeOpenAiServer } from "../src/llm/testing/fake_openai_server.ts";
import { balanceItems } from "../src/reward/balance_items.ts";
import { readRewardItems } from "../src/reward/run_reward.ts";
import {
  createFakeRewardModel,
  type FakeRewardModelOptions,
} from "../src/reward/testing/fake_reward_model.ts";
import {
  explainMessages,
  judgementOf,
  REWARD_SYSTEM_PROMPT,
  rewardMessages,
} from "../src/prompts/reward_prompts.ts";
import { BUILTIN_PROMPT_SET } from "../src/prompts/prompt_set.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const TRAIN = `${ROOT}tests/testdata/reward/train_data.jsonl`;
const SMALL = `${ROOT}tests/testdata/reward/fifteen_items.jsonl`;
const KEY = "sk-test-SECRET";
const decoder = new TextDecoder();

const DATASET_INFO = {
  trainset_reward_llama: {
    file_name: "trainset_reward_llama.json",
    formatting: "sharegpt",
    columns: { messages: "conversations" },
    tags: {
      role_tag: "role",
      content_tag: "content",
      user_tag: "user",
      assistant_tag: "assistant",
      system_tag: "system",
    },
  },
};

async function fixture(
  options?: FakeRewardModelOptions,
  responseFormatCheck: "openai" | "unsupported" = "openai",
) {
  const model = createFakeRewardModel(options);
  // Every request must pass OpenAI's strict-mode schema checks.
  const server = await startFakeOpenAiServer({ handler: model.handler, responseFormatCheck });
  const dir = await Deno.makeTempDir({ prefix: "reward-cli-" });
  const out = `${dir}/out/trainset_reward_llama.json`;
  const args = (...extra: string[]) => [
    "run",
    "--unstable-kv",
    "-A",
    `${ROOT}main.ts`,
    "reward",
    "--out",
    out,
    "--cache-dir",
    `${dir}/cache`,
    "--base-url",
    server.baseUrl,
    "--api-key",
    KEY,
    "--model",
    "fake-model",
    ...extra,
  ];
  const reward = (...extra: string[]) => runDeno(args(...extra), dir);
  return {
    model,
    server,
    dir,
    out,
    args,
    reward,
    async [Symbol.asyncDispose]() {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...await filesUnder(path));
    else if (entry.isFile) files.push(path);
  }
  return files;
}

async function assertKeyAbsent(dir: string, texts: string[] = []): Promise<number> {
  const files = await filesUnder(dir);
  for (const file of files) {
    assert(!(await Deno.readTextFile(file)).includes(KEY), `the key is in ${file}`);
  }
  for (const text of texts) assert(!text.includes(KEY), "the key was printed");
  return files.length;
}

Deno.test("reward: the 1,629 real items become 1,751 balanced conversations; reruns cost nothing", async () => {
  await using t = await fixture();
  const result = await t.reward("--in", TRAIN, "--concurrency", "16");
  assertEquals(result.code, 0, result.stderr);
  assertStringIncludes(result.stdout, "Balanced 1,629 items to 1,751 (target 182: MN 93→182");
  assertStringIncludes(result.stdout, "Wrote 1,751 conversations to");
  assertStringIncludes(result.stdout, "LLM: 3,502 calls, 3,502 requests");

  // The dataset: balanced order, LLaMA-Factory sharegpt structure, no label in the prompt.
  const output = JSON.parse(await Deno.readTextFile(t.out));
  const balanced = balanceItems(await readRewardItems(TRAIN), 42).items;
  assertEquals(output.length, 1751);
  const judgements: Record<string, number> = {};
  for (let i = 0; i < output.length; i++) {
    const { conversations } = output[i];
    assertEquals(Object.keys(output[i]), ["conversations"]);
    assertEquals(conversations.map((m: { role: string }) => m.role), [
      "system",
      "user",
      "assistant",
    ]);
    const { item } = balanced[i];
    assertEquals(
      conversations.slice(0, 2),
      rewardMessages(BUILTIN_PROMPT_SET, item.obs, item.pred_task),
    );
    assertEquals(conversations[0].content, REWARD_SYSTEM_PROMPT);
    assert(!conversations[1].content.includes("your_judgement"));
    const reply = JSON.parse(conversations[2].content);
    assertEquals(Object.keys(reply), ["thought", "judgement"]);
    assertEquals(reply.judgement, judgementOf(item.valid));
    judgements[reply.judgement] = (judgements[reply.judgement] ?? 0) + 1;
  }
  assertEquals(judgements, { accepted: 182 + 474, rejected: 182 + 913 });

  const outDir = `${t.dir}/out`;
  assertEquals(JSON.parse(await Deno.readTextFile(`${outDir}/dataset_info.json`)), DATASET_INFO);
  assertEquals(await Deno.readTextFile(`${outDir}/trainset_reward_failures.jsonl`), "");
  const summary = JSON.parse(
    await Deno.readTextFile(`${outDir}/trainset_reward_llama.summary.json`),
  );
  assertEquals(summary.conversations, 1751);
  assertEquals(summary.runs[0].counts.failed, 0);
  assertEquals(summary.runs[0].llm.requests, 3502);
  assertEquals(summary.runs[0].llm.endpoints[0].model, "fake-model");
  assertEquals(summary.promptVersions.explain, "explain-v2");
  assertEquals(t.server.requests.length, 3502);
  assertEquals(t.model.counts, { explain: 1751, consistency: 1751, repair: 0, other: 0 });
  for (const request of t.server.requests) {
    const format = request.response_format as { json_schema: { strict: boolean } };
    assertEquals(format.json_schema.strict, true);
    assertEquals(typeof request.seed, "number");
  }
  assert(t.server.authorizations.every((a) => a === `Bearer ${KEY}`));

  // Run again: everything is in the output, nothing is asked.
  const again = await t.reward("--in", TRAIN);
  assertEquals(again.code, 0, again.stderr);
  assertStringIncludes(again.stdout, "Already done: 1,751; asked now: 0");
  assertEquals(t.server.requests.length, 3502);

  // Another output, same cache: every answer comes from the cache, byte for byte.
  const copy = `${t.dir}/copy/trainset_reward_llama.json`;
  const cached = await t.reward("--in", TRAIN, "--out", copy);
  assertEquals(cached.code, 0, cached.stderr);
  assertStringIncludes(cached.stdout, "0 requests (0 retries)");
  assertStringIncludes(cached.stdout, "3,502 cache hits");
  assertEquals(t.server.requests.length, 3502);
  assertEquals(await Deno.readTextFile(copy), await Deno.readTextFile(t.out));

  const files = await assertKeyAbsent(t.dir, [
    result.stdout,
    result.stderr,
    cached.stdout,
    cached.stderr,
  ]);
  assert(files >= 9, `only ${files} files written`);
});

Deno.test("reward: contradicting and inconsistent items are retried, then listed as failures", async () => {
  const items = await readRewardItems(SMALL);
  const users = items.map(({ item }) =>
    explainMessages(BUILTIN_PROMPT_SET, item.obs, item.pred_task, judgementOf(item.valid))[1]
      .content
  );
  const lineOf = (user: string) => users.indexOf(user) + 1;
  await using t = await fixture({
    plan: ({ user, seen }) => {
      const line = lineOf(user);
      if (line === 2) return "contradict"; // always: fails
      if (line === 3 && seen === 0) return "contradict"; // once: the second attempt passes
      if (line === 6) return "mixed"; // the votes always split: fails
      if (line === 7 && seen === 0) return "garbage"; // re-asked within the attempt
      return "agree";
    },
  });
  const result = await t.reward("--in", SMALL, "--concurrency", "3");
  assertEquals(result.code, 0, result.stderr);
  assertStringIncludes(result.stdout, "(14 succeeded, 2 failed, 21 attempts)");
  assertStringIncludes(result.stdout, "Failures (2):");
  assertStringIncludes(
    result.stdout,
    'item 2 (line 2, Correct-Rejection (CR), label accepted): attempt 1: explain: judged "rejected"',
  );
  assertStringIncludes(result.stdout, "item 6 (line 6, False-Alarm (FA), label rejected):");

  const counts = users.map((user) => t.model.explainCounts.get(user));
  assertEquals(counts, [2, 3, 2, 1, 1, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  // Each attempt of an item is a new sample: its own seed.
  const seedsOf = (line: number) =>
    t.server.requests.filter((r) =>
      r.messages.length === 2 && r.messages[1].content === users[line - 1]
    )
      .map((r) => r.seed);
  const line2 = seedsOf(2);
  assertEquals(line2.length, 3);
  assertEquals(new Set(line2).size, 3);
  assertEquals(t.model.counts.repair, 1);

  const failures = (await Deno.readTextFile(`${t.dir}/out/trainset_reward_failures.jsonl`))
    .trim().split("\n").map((line) => JSON.parse(line));
  assertEquals(failures.map((f) => [f.index, f.line, f.category, f.label, f.attempts]), [
    [1, 2, "Correct-Rejection (CR)", "accepted", 3],
    [5, 6, "False-Alarm (FA)", "rejected", 3],
  ]);
  assertEquals(failures[0].reasons, [
    'attempt 1: explain: judged "rejected", the label is "accepted"',
    'attempt 2: explain: judged "rejected", the label is "accepted"',
    'attempt 3: explain: judged "rejected", the label is "accepted"',
  ]);
  assertEquals(
    failures[1].reasons[2],
    'attempt 3: consistency: 2 of 5 answers read "rejected" from the thought ' +
      "(accepted, rejected, accepted, rejected, accepted)",
  );
  const output = JSON.parse(await Deno.readTextFile(t.out));
  assertEquals(output.length, 14);

  // Rerun: only the two failures are asked, their attempts come from the cache; a
  // higher --max-attempts gives each one new attempt.
  const before = t.server.requests.length;
  const rerun = await t.reward("--in", SMALL);
  assertStringIncludes(rerun.stdout, "Already done: 14; asked now: 2 (0 succeeded, 2 failed");
  assertEquals(t.server.requests.length, before);
  const more = await t.reward("--in", SMALL, "--max-attempts", "4");
  assertStringIncludes(more.stdout, "asked now: 2 (0 succeeded, 2 failed, 8 attempts)");
  assertEquals(t.server.requests.length, before + 3); // 2 explains + 1 consistency
  await assertKeyAbsent(t.dir, [result.stdout, result.stderr]);
});

Deno.test("reward: a run with no conversation exits 1 and registers nothing", async () => {
  await using t = await fixture({ plan: () => "contradict" });
  const result = await t.reward("--in", SMALL, "--limit", "3", "--max-attempts", "1");
  assertEquals(result.code, 1, result.stderr);
  assertStringIncludes(result.stdout, "No conversation to write");
  assertStringIncludes(result.stderr, "No conversation was produced");
  assertStringIncludes(result.stderr, "nothing was registered");
  const outDir = `${t.dir}/out`;
  assertEquals((await filesUnder(outDir)).map((f) => f.slice(outDir.length + 1)).sort(), [
    "trainset_reward_failures.jsonl",
    "trainset_reward_llama.summary.json",
  ]);
  const summary = JSON.parse(
    await Deno.readTextFile(`${outDir}/trainset_reward_llama.summary.json`),
  );
  assertEquals([summary.conversations, summary.failed, summary.runs.length], [0, 3, 1]);
});

Deno.test("reward: an endpoint without JSON-schema support stops the run with the flag to use", async () => {
  await using t = await fixture(undefined, "unsupported");
  const result = await t.reward("--in", SMALL, "--limit", "2");
  assertEquals(result.code, 1);
  assertStringIncludes(result.stderr, "pass --response-format json_object (or none)");
  assert(t.server.requests.length <= 2); // the items in flight when it stopped
  const retry = await t.reward("--in", SMALL, "--limit", "2", "--response-format", "json_object");
  assertEquals(retry.code, 0, retry.stderr);
  assertEquals(t.server.requests.at(-1)!.response_format, { type: "json_object" });
});

Deno.test("reward: --limit asks only for the first N balanced items", async () => {
  await using t = await fixture();
  const result = await t.reward("--in", SMALL, "--limit", "5");
  assertEquals(result.code, 0, result.stderr);
  assertStringIncludes(result.stdout, "left for later (--limit): 11.");
  assertEquals(JSON.parse(await Deno.readTextFile(t.out)).length, 5);
  assertEquals(t.model.counts.explain, 5);
  const all = await t.reward("--in", SMALL);
  assertStringIncludes(all.stdout, "Already done: 5; asked now: 11");
  assertEquals(JSON.parse(await Deno.readTextFile(t.out)).length, 16);
});

Deno.test("reward: a corrupt output is an error naming it, and is left alone", async () => {
  await using t = await fixture();
  await Deno.mkdir(`${t.dir}/out`);
  await Deno.writeTextFile(t.out, '[{"conversations": "nope"}]');
  const result = await t.reward("--in", SMALL);
  assertEquals(result.code, 1);
  assertStringIncludes(result.stderr, `Invalid existing output "${t.out}" at $[0].conversations`);
  assertEquals(await Deno.readTextFile(t.out), '[{"conversations": "nope"}]');
  assertEquals(t.server.requests.length, 0);
});

Deno.test("reward: SIGINT stops the run cleanly, saving what is done", async () => {
  await using t = await fixture({ delayMs: 25 });
  const child = new Deno.Command(Deno.execPath(), {
    args: t.args("--in", TRAIN, "--limit", "300", "--concurrency", "4", "--checkpoint-every", "5"),
    cwd: t.dir,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  for (let waited = 0; waited < 60_000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    const text = await Deno.readTextFile(t.out).catch(() => "[]");
    if (JSON.parse(text).length >= 10) break;
  }
  child.kill("SIGINT");
  const result = await child.output();
  const stderr = decoder.decode(result.stderr);
  assertEquals(result.code, 1, stderr);
  const saved = JSON.parse(await Deno.readTextFile(t.out)).length;
  assert(saved >= 10 && saved < 300, `${saved} saved`);
  assertStringIncludes(
    stderr,
    `Interrupted: ${saved} of 1751 conversations are saved in "${t.out}"; run the same command again to continue`,
  );
});

Deno.test("reward: kill -9 mid-run, then a restart that re-asks no finished item", async () => {
  await using t = await fixture({ delayMs: 25 });
  const args = t.args(
    "--in",
    TRAIN,
    "--limit",
    "200",
    "--concurrency",
    "4",
    "--checkpoint-every",
    "5",
  );
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: t.dir,
    stdout: "null",
    stderr: "null",
    env: { NO_COLOR: "1" },
  }).spawn();
  let checkpointed = 0;
  try {
    for (let waited = 0; checkpointed < 25 && waited < 60_000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      const text = await Deno.readTextFile(t.out).catch(() => "[]");
      checkpointed = JSON.parse(text).length;
    }
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
  const atKill = JSON.parse(await Deno.readTextFile(t.out)); // a whole checkpoint, never torn
  await new Promise((resolve) => setTimeout(resolve, 100)); // requests still on the wire
  const countsAtKill = new Map(t.model.explainCounts);
  assert(atKill.length >= 25 && atKill.length < 200, `${atKill.length} at the kill`);

  const restartModel = createFakeRewardModel();
  t.server.setHandler(restartModel.handler);
  const restart = await t.reward("--in", TRAIN, "--limit", "200", "--concurrency", "4");
  assertEquals(restart.code, 0, restart.stderr);
  assertStringIncludes(
    restart.stdout,
    `Already done: ${atKill.length}; asked now: ${200 - atKill.length}`,
  );
  const output = JSON.parse(await Deno.readTextFile(t.out));
  assertEquals(output.length, 200);

  const items = (await readRewardItems(TRAIN)).slice(0, 200);
  const done = new Set(
    atKill.map((c: { conversations: { content: string }[] }) => c.conversations[1].content),
  );
  let reasked = 0;
  for (const { item } of items) {
    const user =
      explainMessages(BUILTIN_PROMPT_SET, item.obs, item.pred_task, judgementOf(item.valid))[1]
        .content;
    const first = countsAtKill.get(user) ?? 0;
    const second = restartModel.explainCounts.get(user) ?? 0;
    if (done.has(rewardMessages(BUILTIN_PROMPT_SET, item.obs, item.pred_task)[1].content)) {
      assertEquals([first, second], [1, 0], "a checkpointed item was asked again");
    } else {
      // Asked once in all, unless its request was in flight when the process died.
      assert(first + second >= 1 && first + second <= 2);
      if (first + second === 2) reasked++;
    }
  }
  // Lost at the kill: the items in flight (the pool runs the endpoint's 4 slots plus a
  // quarter, 5) and those finished since the last checkpoint (at most 4 of every 5).
  const inFlight = 4 + Math.floor(4 / 4);
  const unsaved = 5 - 1;
  assert(
    reasked <= inFlight + unsaved,
    `${reasked} items asked twice; at most the ${inFlight} in flight and ${unsaved} unsaved may be`,
  );
});
