/**
 * The dataset card `proactive reward` writes beside its dataset (issue 8, point 5): the
 * input's hash, the model, the counts, and the same card again on a re-run from the same
 * output and cache (apart from `generated_at`).
 */
import { createTestCommandContext } from "../src/cli/testing/test_command_context.ts";
import { assertEquals, assertStringIncludes } from "./assert.ts";
import { createHash } from "node:crypto";
import type { CommandContext } from "../src/cli/command.ts";
import { startFakeOpenAiServer } from "../src/llm/testing/fake_openai_server.ts";
import { command } from "../src/reward/command.ts";
import { createFakeRewardModel } from "../src/reward/testing/fake_reward_model.ts";

const FIXTURE = new URL("./testdata/reward/fifteen_items.jsonl", import.meta.url).pathname;

const context = (): CommandContext => createTestCommandContext().ctx;

Deno.test("reward writes a dataset card with the input's hash and the counts; a re-run gives the same card", async () => {
  const model = createFakeRewardModel();
  await using server = await startFakeOpenAiServer({ handler: model.handler });
  const dir = await Deno.makeTempDir({ prefix: "reward-card-" });
  const args = [
    "--in",
    FIXTURE,
    "--out",
    `${dir}/set.json`,
    "--base-url",
    server.baseUrl,
    "--model",
    "fake-reward",
    "--cache-dir",
    `${dir}/cache`,
    "--api-key",
    "sk-hidden-123",
  ];
  assertEquals(await command.run(args, context()), 0);
  const card = JSON.parse(await Deno.readTextFile(`${dir}/set.card.json`));
  const hash = createHash("sha256").update(await Deno.readFile(FIXTURE)).digest("hex");
  assertEquals(card.inputs, [{
    file: FIXTURE,
    sha256: hash,
    bytes: (await Deno.stat(FIXTURE)).size,
  }]);
  const dataset = JSON.parse(await Deno.readTextFile(`${dir}/set.json`));
  assertEquals(card.counts.conversations, dataset.length);
  assertEquals(card.counts.input_items, 15);
  assertEquals(card.roles.reward.model, "fake-reward");
  assertEquals(card.roles.reward.llm.requests, server.requests.length);
  assertEquals(card.seed, "42");
  assertEquals(card.dataset_name, "set");
  assertEquals(card.command.includes("sk-hidden-123"), false);
  const markdown = await Deno.readTextFile(`${dir}/set.card.md`);
  assertStringIncludes(markdown, hash);
  assertStringIncludes(markdown, "dataset: set");

  const sent = server.requests.length;
  assertEquals(await command.run(args, context()), 0);
  assertEquals(server.requests.length, sent);
  const again = JSON.parse(await Deno.readTextFile(`${dir}/set.card.json`));
  assertEquals({ ...again, generated_at: "" }, { ...card, generated_at: "" });
  const withoutTime = (text: string) => text.replace(/.*generated_at.*\n/, "");
  assertEquals(withoutTime(await Deno.readTextFile(`${dir}/set.card.md`)), withoutTime(markdown));
});
