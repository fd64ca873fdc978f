import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { BUILTIN_PROMPT_SET } from "../prompts/prompt_set.ts";
import { runtimeError } from "../cli/errors.ts";
import type { RewardItem } from "../formats/reward_item.ts";
import type { LlmClient } from "../llm/llm_client.ts";
import type { ChatMessage, ChatParams } from "../llm/llm_types.ts";
import { rewardMessages } from "../prompts/reward_prompts.ts";
import { parseJudgement, scoreReward } from "./score_reward.ts";

Deno.test("parseJudgement: lenient about fences, prose, case and cut-off JSON", () => {
  const cases: [string, string | null][] = [
    ['{"thought": "fine", "judgement": "accepted"}', "accepted"],
    ['```json\n{"thought": "no", "judgement": "rejected"}\n```', "rejected"],
    ['Sure. {"thought": "ok", "judgement": "Accepted"} Hope that helps.', "accepted"],
    ['{"thought": "ok", "judgement": " REJECTED "}', "rejected"],
    ["<think>hmm</think>{'thought': 1}", null],
    [
      '{"thought": "cut off but decided", "judgement": "rejected", "extra": "unterminat',
      "rejected",
    ],
    ['{"judgement": "maybe"}', null],
    ["I would accept it.", null],
    ["", null],
    ['{"thought": "x"}', null],
  ];
  for (const [reply, expected] of cases) {
    const parsed = parseJudgement(reply);
    assertEquals(parsed.ok ? parsed.judgement : null, expected, reply);
    if (!parsed.ok) assert(parsed.error.length > 0);
  }
});

function item(valid: boolean, event: string): RewardItem {
  return {
    obs: [{ time: "t", event }],
    pred_task: valid ? "do it" : null,
    valid,
    help_needed: true,
    annotation: [valid],
    category: valid ? "Correct-Detection (CD)" : "Missed-Need (MN)",
  };
}

Deno.test("scoreReward: the reward prompt at temperature 0, results in item order", async () => {
  const items = [item(true, "a"), item(false, "b"), item(true, "c")].map((it, i) => ({
    item: it,
    line: i + 3,
  }));
  const seen: { messages: ChatMessage[]; params: ChatParams }[] = [];
  const replies: Record<string, string> = {
    a: '{"thought":"yes","judgement":"accepted"}',
    b: '{"thought":"yes","judgement":"accepted"}',
    c: "no idea",
  };
  const client = {
    chat(messages: ChatMessage[], params: ChatParams = {}) {
      seen.push({ messages, params });
      const event = JSON.parse(messages[1].content).activity_oldest_first[0].event;
      return Promise.resolve({
        choices: [replies[event]],
        finishReasons: ["stop"],
        usage: { promptTokens: 1, completionTokens: 1 },
        cached: false,
      });
    },
  } as Pick<LlmClient, "chat">;
  let ticks = 0;
  const results = await scoreReward(items, {
    client,
    workers: 2,
    progress: { tick: () => void ticks++ },
  });
  assertEquals(results.map((r) => [r.index, r.line, r.label, r.prediction, r.correct]), [
    [0, 3, "accepted", "accepted", true],
    [1, 4, "rejected", "accepted", false],
    [2, 5, "accepted", null, false],
  ]);
  assertEquals(results[2].reply, "no idea");
  assertEquals(results[2].error, "the answer contains no JSON object");
  assertEquals(ticks, 3);
  assert(seen.every((s) => s.params.temperature === 0));
  assertEquals(seen.find((s) => s.messages[1].content.includes('"a"'))?.messages, [
    ...rewardMessages(BUILTIN_PROMPT_SET, items[0].item.obs, items[0].item.pred_task),
  ]);
});

Deno.test("scoreReward: a request that fails for good stops the evaluation", async () => {
  const client = {
    chat: () => Promise.reject(runtimeError("Request failed after 6 attempts: 503")),
  } as unknown as Pick<LlmClient, "chat">;
  await assertRejects(
    () => scoreReward([{ item: item(true, "a"), line: 1 }], { client, workers: 4 }),
    Error,
    "503",
  );
});
