import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { createMemoryLogger } from "../cli/testing/memory_logger.ts";
import { startFakeOpenAiServer } from "../llm/testing/fake_openai_server.ts";
import { explainMessages, judgementOf, rewardMessages } from "../prompts/reward_prompts.ts";
import { parseRewardOptions } from "./command.ts";
import { readRewardItems, runReward } from "./run_reward.ts";
import { createFakeRewardModel } from "./testing/fake_reward_model.ts";
import { BUILTIN_PROMPT_SET } from "../prompts/prompt_set.ts";

const FIXTURE =
  new URL("../../tests/testdata/reward/fifteen_items.jsonl", import.meta.url).pathname;

async function setup(handler?: Parameters<typeof createFakeRewardModel>[0]) {
  const model = createFakeRewardModel(handler);
  const server = await startFakeOpenAiServer({ handler: model.handler });
  const dir = await Deno.makeTempDir({ prefix: "run-reward-" });
  const logger = createMemoryLogger();
  const run = (...extra: string[]) => {
    const options = parseRewardOptions(
      [
        "--in",
        FIXTURE,
        "--out",
        `${dir}/out/set.json`,
        "--base-url",
        server.baseUrl,
        "--model",
        "fake",
        "--checkpoint-every",
        "3",
        ...extra,
      ],
      () => undefined,
    );
    return runReward(options, {
      logger,
      isTerminal: false,
      now: Date.now,
      signal: new AbortController().signal,
    });
  };
  return {
    model,
    server,
    dir,
    logger,
    run,
    async [Symbol.asyncDispose]() {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** The explain user message of each fixture line, as the fake model counts them. */
async function explainUsers(): Promise<string[]> {
  const items = await readRewardItems(FIXTURE);
  return items.map(({ item }) =>
    explainMessages(BUILTIN_PROMPT_SET, item.obs, item.pred_task, judgementOf(item.valid))[1]
      .content
  );
}

Deno.test("runReward: balanced items become conversations in balanced order", async () => {
  await using t = await setup();
  const { summary, failures } = await t.run("--no-cache");
  assertEquals(failures, []);
  assertEquals(summary.counts.balancedItems, 16);
  assertEquals(summary.counts.written, 16);
  assertEquals(summary.balance, {
    target: 2,
    before: { MN: 1, CR: 2, CD: 2, FA: 10 },
    after: { MN: 2, CR: 2, CD: 2, FA: 10 },
  });
  const output = JSON.parse(await Deno.readTextFile(`${t.dir}/out/set.json`));
  const items = await readRewardItems(FIXTURE);
  const balanced = [...items, items[0]]; // the only MN item, drawn once more
  assertEquals(output.length, 16);
  for (let i = 0; i < 16; i++) {
    const { item } = balanced[i];
    const [system, user, assistant] = output[i].conversations;
    assertEquals([system, user], rewardMessages(BUILTIN_PROMPT_SET, item.obs, item.pred_task));
    assertEquals(assistant.role, "assistant");
    assertEquals(JSON.parse(assistant.content).judgement, judgementOf(item.valid));
  }
  // The drawn copy was asked separately: its own sample, not a cache hit of the first.
  const users = await explainUsers();
  assertEquals(t.model.explainCounts.get(users[0]), 2);
  assert(output[0].conversations[2].content !== output[15].conversations[2].content);
  assertEquals(await Deno.readTextFile(`${t.dir}/out/trainset_reward_failures.jsonl`), "");
  const saved = JSON.parse(await Deno.readTextFile(`${t.dir}/out/set.summary.json`));
  assertEquals(saved.runs.length, 1);
  assertEquals(saved.runs[0].counts, summary.counts);
  assertEquals(saved.conversations, 16);
  assertEquals(saved.promptVersions, {
    reward: "reward-v1",
    explain: "explain-v2",
    consistency: "consistency-v2",
  });
  assertEquals(saved.runs[0].llm.requests, 32);
  assertEquals(saved.totals.requests, 32);
});

Deno.test("runReward: a rerun keeps the output and asks only for the rest (no cache)", async () => {
  await using t = await setup();
  const first = await t.run("--no-cache", "--limit", "5");
  assertEquals(first.summary.counts.written, 5);
  assertEquals(first.summary.counts.notAsked, 11);
  assertEquals(t.model.counts.explain, 5);

  const second = await t.run("--no-cache");
  assertEquals(second.summary.counts.alreadyDone, 5);
  assertEquals(second.summary.counts.asked, 11);
  assertEquals(second.summary.counts.written, 16);
  const users = await explainUsers();
  for (const [line, user] of users.entries()) {
    // Line 0 (MN) is owed two conversations; one came from the first run.
    assertEquals(t.model.explainCounts.get(user), line === 0 ? 2 : 1, `line ${line + 1}`);
  }

  const requests = t.server.requests.length;
  const third = await t.run("--no-cache");
  assertEquals(third.summary.counts.asked, 0);
  assertEquals(t.server.requests.length, requests);

  // The summary file keeps every run's accounting; the third added a run, not zeros.
  const saved = JSON.parse(await Deno.readTextFile(`${t.dir}/out/set.summary.json`));
  assertEquals(saved.runs.map((r: { counts: { asked: number } }) => r.counts.asked), [5, 11, 0]);
  assertEquals(
    saved.runs.map((r: { counts: { written: number } }) => r.counts.written),
    [5, 16, 16],
  );
  // 2 requests per item (explain, consistency): 10, then 22, then none.
  assertEquals(
    saved.runs.map((r: { llm: { requests: number } }) => r.llm.requests),
    [10, 22, 0],
  );
  assertEquals(
    [saved.totals.runs, saved.totals.asked, saved.totals.succeeded, saved.totals.requests],
    [3, 16, 16, 32],
  );
  assertEquals(saved.conversations, 16);
  assertEquals(third.file, saved);
});

Deno.test("runReward: no conversation at all writes no dataset and registers nothing", async () => {
  await using t = await setup({ plan: () => "contradict" });
  await Deno.mkdir(`${t.dir}/out`);
  const info = `${t.dir}/out/dataset_info.json`;
  await Deno.writeTextFile(info, '{"other": {"file_name": "other.json"}}\n');
  const { summary, file } = await t.run("--no-cache", "--limit", "2", "--max-attempts", "2");
  assertEquals([summary.counts.written, summary.counts.failed], [0, 2]);
  assertEquals(await Deno.readTextFile(info), '{"other": {"file_name": "other.json"}}\n');
  await assertRejects(() => Deno.stat(`${t.dir}/out/set.json`), Deno.errors.NotFound);
  const failures = await Deno.readTextFile(`${t.dir}/out/trainset_reward_failures.jsonl`);
  assertEquals(failures.trim().split("\n").length, 2);
  const saved = JSON.parse(await Deno.readTextFile(`${t.dir}/out/set.summary.json`));
  assertEquals(saved, file);
  assertEquals([saved.conversations, saved.failed, saved.runs[0].counts.attempts], [0, 2, 4]);

  // A later run that succeeds keeps the failed run in the list.
  t.server.setHandler(createFakeRewardModel().handler);
  const later = await t.run("--no-cache", "--limit", "2");
  assertEquals(later.summary.counts.written, 2);
  assertEquals(later.file.runs.map((r) => r.counts.failed), [2, 0]);
  assertEquals(JSON.parse(await Deno.readTextFile(info)).set.file_name, "set.json");
});

Deno.test("runReward: --limit after a full run keeps every conversation", async () => {
  await using t = await setup();
  await t.run("--no-cache");
  const before = await Deno.readTextFile(`${t.dir}/out/set.json`);
  const limited = await t.run("--no-cache", "--limit", "3");
  assertEquals(limited.summary.counts.written, 16);
  assertEquals(await Deno.readTextFile(`${t.dir}/out/set.json`), before);
});

Deno.test("runReward: stale conversations are dropped with a warning", async () => {
  await using t = await setup();
  await t.run("--no-cache", "--limit", "2");
  const path = `${t.dir}/out/set.json`;
  const output = JSON.parse(await Deno.readTextFile(path));
  output.push({
    conversations: [
      { role: "system", content: "an older prompt" },
      { role: "user", content: "{}" },
      { role: "assistant", content: '{"thought":"x","judgement":"accepted"}' },
    ],
  });
  await Deno.writeTextFile(path, JSON.stringify(output));
  const { summary } = await t.run("--no-cache", "--limit", "2");
  assertEquals(summary.counts.dropped, 1);
  assertEquals(summary.counts.written, 2);
  assert(t.logger.lines.some((l) => l.includes("1 conversation(s)") && l.includes("dropped")));
});

Deno.test("runReward: a corrupt output is an error and stays as it is", async () => {
  await using t = await setup();
  await Deno.mkdir(`${t.dir}/out`);
  await Deno.writeTextFile(`${t.dir}/out/set.json`, "[{");
  const error = await assertRejects(() => t.run("--no-cache"), ProactiveError);
  assertStringIncludes(error.message, `"${t.dir}/out/set.json"`);
  assertEquals(await Deno.readTextFile(`${t.dir}/out/set.json`), "[{");
  assertEquals(t.server.requests.length, 0);
});

Deno.test("runReward: an endpoint failure stops the run and keeps what was done", async () => {
  await using t = await setup();
  let answered = 0;
  const model = t.model.handler;
  t.server.setHandler((body, info) => {
    if (answered++ >= 12) return { status: 401, errorMessage: "bad key" };
    return model(body, info);
  });
  const error = await assertRejects(
    () => t.run("--no-cache", "--concurrency", "1"),
    ProactiveError,
  );
  assertStringIncludes(error.message, "401");
  assertStringIncludes(error.message, `6 of 16 conversations are saved in "${t.dir}/out/set.json"`);
  const output = JSON.parse(await Deno.readTextFile(`${t.dir}/out/set.json`));
  assertEquals(output.length, 6);
});
