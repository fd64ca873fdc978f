import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { runtimeError } from "../cli/errors.ts";
import type { RewardItem } from "../formats/reward_item.ts";
import type { LlmClient } from "../llm/llm_client.ts";
import type { ChatMessage, ChatParams, StructuredCallOptions } from "../llm/llm_types.ts";
import { LlmOutputError, ResponseFormatRefusedError } from "../llm/structured_completion.ts";
import {
  CONSISTENCY_SYSTEM_PROMPT,
  consistencyMessages,
  explainMessages,
} from "../prompts/reward_prompts.ts";
import { explainItem } from "./explain_item.ts";
import { BUILTIN_PROMPT_SET } from "../prompts/prompt_set.ts";

const ITEM: RewardItem = {
  obs: [{ time: "Day 1, 9:00 AM", event: "The user opens 'notes.md'." }],
  pred_task: "Summarise the notes",
  valid: true,
  help_needed: true,
  annotation: [true, true],
  category: "Correct-Detection (CD)",
};
const SETTINGS = { consistencySamples: 5, consistencyTemperature: 0.8 };

interface Call {
  messages: ChatMessage[];
  params: ChatParams;
  options: StructuredCallOptions;
}

/** A chatJson stub: `explain` answers the explain call, `votes(n)` each consistency call. */
function stubClient(
  explain: () => unknown,
  votes: (n: number) => unknown[],
): Pick<LlmClient, "chatJson"> & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    chatJson<T>(
      _schema: unknown,
      messages: ChatMessage[],
      params: ChatParams = {},
      options: StructuredCallOptions = {},
    ) {
      calls.push({ messages, params, options });
      const consistency = messages[0].content === CONSISTENCY_SYSTEM_PROMPT;
      const result = consistency ? votes(params.n ?? 1) : [explain()];
      return Promise.resolve(result as T[]);
    },
  } as Pick<LlmClient, "chatJson"> & { calls: Call[] };
}

const vote = (judgement: string) => ({ reason: "r", judgement });

Deno.test("explainItem: agreement and five consistent votes give the reply to save", async () => {
  const client = stubClient(
    () => ({ thought: "I wanted that summary.", judgement: "accepted" }),
    (n) => Array.from({ length: n }, () => vote("accepted")),
  );
  const result = await explainItem(client, ITEM, SETTINGS, "copy:0/attempt:1");
  assertEquals(result, {
    ok: true,
    reply: JSON.stringify({ thought: "I wanted that summary.", judgement: "accepted" }),
  });
  assertEquals(client.calls.length, 2);
  assertEquals(
    client.calls[0].messages,
    explainMessages(BUILTIN_PROMPT_SET, ITEM.obs, ITEM.pred_task, "accepted"),
  );
  assertEquals(client.calls[0].options.cacheTag, "copy:0/attempt:1");
  assertEquals(
    client.calls[1].messages,
    consistencyMessages(BUILTIN_PROMPT_SET, "I wanted that summary."),
  );
  assertEquals(client.calls[1].params, { n: 5, temperature: 0.8 });
  assertEquals(client.calls[1].options.cacheTag, "copy:0/attempt:1");
});

Deno.test("explainItem: a judgement against the label fails without a consistency check", async () => {
  const client = stubClient(
    () => ({ thought: "No thanks.", judgement: "rejected" }),
    () => assert(false, "no consistency call expected") as never,
  );
  const result = await explainItem(client, ITEM, SETTINGS, "t");
  assertEquals(result, {
    ok: false,
    reason: 'explain: judged "rejected", the label is "accepted"',
  });
  assertEquals(client.calls.length, 1);
});

Deno.test("explainItem: one dissenting vote fails the attempt, naming the votes", async () => {
  const client = stubClient(
    () => ({ thought: "Maybe.", judgement: "accepted" }),
    (n) => Array.from({ length: n }, (_, i) => vote(i === 2 ? "rejected" : "accepted")),
  );
  const result = await explainItem(client, ITEM, SETTINGS, "t");
  assertEquals(result, {
    ok: false,
    reason:
      'consistency: 4 of 5 answers read "accepted" from the thought (accepted, accepted, rejected, accepted, accepted)',
  });
});

Deno.test("explainItem: an endpoint that ignores n is asked again for the missing votes", async () => {
  const client = stubClient(
    () => ({ thought: "Yes.", judgement: "accepted" }),
    () => [vote("accepted")],
  );
  const result = await explainItem(client, ITEM, SETTINGS, "copy:1/attempt:2");
  assert(result.ok);
  const tags = client.calls.slice(1).map((c) => [c.params.n, c.options.cacheTag]);
  assertEquals(tags, [
    [5, "copy:1/attempt:2"],
    [4, "copy:1/attempt:2/more:1"],
    [3, "copy:1/attempt:2/more:2"],
    [2, "copy:1/attempt:2/more:3"],
    [1, "copy:1/attempt:2/more:4"],
  ]);
});

Deno.test("explainItem: invalid answers and item-specific refusals fail; the rest is thrown", async () => {
  const invalid = stubClient(() => {
    throw new LlmOutputError("Invalid answer from endpoint x after 2 re-asks: no JSON", "", "");
  }, () => []);
  assertEquals(await explainItem(invalid, ITEM, SETTINGS, "t"), {
    ok: false,
    reason: "explain: Invalid answer from endpoint x after 2 re-asks: no JSON",
  });

  const tooLong = stubClient(() => {
    throw runtimeError("Request to endpoint x failed: 400 context length exceeded");
  }, () => []);
  assertEquals(await explainItem(tooLong, ITEM, SETTINGS, "t"), {
    ok: false,
    reason: "explain: Request to endpoint x failed: 400 context length exceeded",
    final: true,
  });

  const down = stubClient(() => {
    throw runtimeError("Request to endpoint x failed after 6 attempts: 503 busy");
  }, () => []);
  await assertRejects(() => explainItem(down, ITEM, SETTINGS, "t"), Error, "503 busy");

  const noSchema = stubClient(() => {
    throw new ResponseFormatRefusedError(
      "Request to endpoint x failed: 400 response_format (… pass --response-format json_object)",
    );
  }, () => []);
  await assertRejects(
    () => explainItem(noSchema, ITEM, SETTINGS, "t"),
    ResponseFormatRefusedError,
    "--response-format json_object",
  );
});
