import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import type { z } from "zod";
import type { ResponseFormatMode } from "../llm/llm_config.ts";
import type { CallOptions, ChatMessage, ChatParams, ChatReply } from "../llm/llm_types.ts";
import { LlmOutputError, responseFormatIn } from "../llm/structured_completion.ts";
import { PromptSet } from "../prompts/prompt_set.ts";
import { SCENE_LIST_OBJECT_NOTE } from "../prompts/scenes_prompts.ts";
import { askSeedTask, seedTaskCacheTag, seedTaskInstructions } from "./ask_seed_task.ts";
import { SCENE_LIST_ANSWER_SCHEMA } from "./scene_answer.ts";
import type { SeedTask } from "./seed_file.ts";
import { defaultScenes } from "./testing/fake_scenes_model.ts";

const seed: SeedTask = {
  kind: "codingassistant",
  taskIndex: 3,
  task: "Write a Go log parser.",
  sampleEvents: Array.from({ length: 20 }, (_, i) => `Sample ${i}.`),
};

interface Call {
  messages: ChatMessage[];
  params: ChatParams;
  options: CallOptions;
}

/**
 * A client answering steps 1–5 with "answer N" and the rest from `finals`, in turn; its
 * `responseFormat` is the LLM layer's for `mode` (default none: free text).
 */
function scriptedClient(finals: string[], mode: ResponseFormatMode = "none") {
  const calls: Call[] = [];
  return {
    calls,
    responseFormat(schema: z.ZodType, options: { schemaName?: string; strict?: boolean } = {}) {
      return responseFormatIn(mode, schema, options.schemaName, options.strict);
    },
    chat(messages: ChatMessage[], params: ChatParams = {}, options: CallOptions = {}) {
      calls.push({ messages: structuredClone(messages), params, options });
      const text = calls.length <= 5 ? `answer ${calls.length}` : finals.shift() ?? "";
      return Promise.resolve<ChatReply>({
        choices: [text],
        finishReasons: ["stop"],
        usage: { promptTokens: 1, completionTokens: 1 },
        cached: false,
      });
    },
  };
}

Deno.test("askSeedTask: one growing conversation, six steps, their temperatures, one cache tag", async () => {
  const client = scriptedClient([JSON.stringify([...defaultScenes(seed.task), "and more ..."])]);
  const result = await askSeedTask(client, seed, { seed: 42n, maxRepairs: 2 });
  assertEquals(result.scenes.length, 2);
  assertEquals(result.indices, [0, 1]);
  assertEquals(result.repairs, 0);
  assertEquals(client.calls.length, 6);
  const instructions = seedTaskInstructions(seed, 42n);
  const last = client.calls[5].messages;
  assertEquals(last.map((m) => m.role), [
    "system",
    ...[1, 2, 3, 4, 5].flatMap(() => ["user", "assistant"]),
    "user",
  ]);
  assertEquals(last.filter((m) => m.role === "user").map((m) => m.content), instructions);
  assertEquals(last.filter((m) => m.role === "assistant").map((m) => m.content), [
    "answer 1",
    "answer 2",
    "answer 3",
    "answer 4",
    "answer 5",
  ]);
  assertEquals(client.calls.map((c) => c.params.temperature), [1, 1, 1, 1, 1, 0.3]);
  const tags = new Set(client.calls.map((c) => c.options.cacheTag));
  assertEquals([...tags], [seedTaskCacheTag(seed, 42n)]);
  assert(seedTaskCacheTag(seed, 42n) !== seedTaskCacheTag(seed, 43n));
  assert(seedTaskCacheTag(seed, 42n) !== seedTaskCacheTag({ ...seed, taskIndex: 4 }, 42n));
});

Deno.test("askSeedTask: step 5 shows 15 of the kind's sample events, drawn with the seed", () => {
  const shown = (s: bigint) =>
    seedTaskInstructions(seed, s)[4].split("\n").filter((l) => /^- Sample \d+\.$/.test(l));
  assertEquals(shown(42n).length, 15);
  assertEquals(shown(42n), shown(42n));
  assert(shown(42n).join() !== shown(7n).join());
});

Deno.test("askSeedTask: an answer with no valid scene is re-asked with the error, then accepted", async () => {
  const client = scriptedClient(["Sorry, no JSON.", JSON.stringify(defaultScenes(seed.task))]);
  const repairs: number[] = [];
  const result = await askSeedTask(client, seed, { seed: 42n, maxRepairs: 2 }, {
    onRepair: () => repairs.push(1),
  });
  assertEquals(result.repairs, 1);
  assertEquals(repairs.length, 1);
  assertEquals(client.calls.length, 7);
  const reask = client.calls[6].messages;
  assertEquals(reask.length, 14);
  assertEquals(reask.at(-2), { role: "assistant", content: "Sorry, no JSON." });
  assertStringIncludes(reask.at(-1)!.content, "the answer contains no JSON object");
  assertEquals(client.calls[6].params.temperature, 0.3);
});

Deno.test("askSeedTask: re-asks are bounded; the error says why", async () => {
  const client = scriptedClient(['["and more ..."]', '["and more ..."]', '["and more ..."]']);
  const error = await assertRejects(
    () => askSeedTask(client, seed, { seed: 42n, maxRepairs: 2 }),
    LlmOutputError,
    "no usable scene list after 2 re-asks: no valid scene in the list: the list holds no scene object",
  );
  assertEquals(error.reply, '["and more ..."]');
  assertEquals(client.calls.length, 8);
  const none = scriptedClient(["[]"]);
  await assertRejects(
    () => askSeedTask(none, seed, { seed: 42n, maxRepairs: 0 }),
    LlmOutputError,
    "no usable scene list: ",
  );
  assertEquals(none.calls.length, 6);
});

Deno.test("askSeedTask: an empty answer to an early step fails the seed task", async () => {
  const client = scriptedClient([]);
  const chat = client.chat;
  client.chat = (messages, params, options) =>
    client.calls.length === 1
      ? Promise.resolve({
        choices: ["  "],
        finishReasons: ["stop"],
        usage: { promptTokens: 0, completionTokens: 0 },
        cached: false,
      })
      : chat(messages, params, options);
  await assertRejects(
    () => askSeedTask(client, seed, { seed: 1n, maxRepairs: 0 }),
    Error,
    "the answer to step 2 is empty",
  );
});

Deno.test("askSeedTask: step 6 and its re-asks carry the scene list's JSON schema; steps 1–5 are free text", async () => {
  const wrapped = JSON.stringify({ scenes: defaultScenes(seed.task) });
  const client = scriptedClient(['{"scenes": []}', wrapped], "json_schema");
  const result = await askSeedTask(client, seed, { seed: 42n, maxRepairs: 2 });
  assertEquals(
    result.scenes.map((s) => s.user.goal),
    defaultScenes(seed.task).map((s) => {
      return (s.user as { goal: string }).goal;
    }),
  );
  assertEquals(result.repairs, 1, "a schema-conforming empty list is re-asked");
  assertEquals(client.calls.length, 7);
  for (const call of client.calls.slice(0, 5)) assert(!("response_format" in call.params));
  const expected = responseFormatIn("json_schema", SCENE_LIST_ANSWER_SCHEMA, "scene_list");
  assertEquals(client.calls[5].params.response_format, expected);
  assertEquals(client.calls[6].params.response_format, expected, "the re-ask too");
  assertEquals(client.calls[5].params.temperature, 0.3);
  // The instruction is the prompt set's own text: the schema says what goes where.
  assertEquals(client.calls[5].messages.at(-1)!.content, seedTaskInstructions(seed, 42n)[5]);
  assertStringIncludes(client.calls[6].messages.at(-1)!.content, "no valid scene in the list");
});

Deno.test("askSeedTask: json_object asks for the object in step 6's text; wrapped and bare lists both read", async () => {
  const client = scriptedClient(
    [JSON.stringify({ list: defaultScenes(seed.task) })],
    "json_object",
  );
  const result = await askSeedTask(client, seed, { seed: 42n, maxRepairs: 0 });
  assertEquals(result.scenes.length, 2);
  assertEquals(client.calls[5].params.response_format, { type: "json_object" });
  assertEquals(
    client.calls[5].messages.at(-1)!.content,
    seedTaskInstructions(seed, 42n)[5] + SCENE_LIST_OBJECT_NOTE,
  );
  assertStringIncludes(SCENE_LIST_OBJECT_NOTE, '{"scenes": [');
  for (const call of client.calls.slice(0, 5)) assert(!("response_format" in call.params));
  const bare = scriptedClient([JSON.stringify(defaultScenes(seed.task))], "json_object");
  assertEquals((await askSeedTask(bare, seed, { seed: 42n, maxRepairs: 0 })).scenes.length, 2);
});

Deno.test("askSeedTask: --response-format none and protocol: reference send step 6 as free text", async () => {
  const none = scriptedClient([JSON.stringify(defaultScenes(seed.task))], "none");
  await askSeedTask(none, seed, { seed: 42n, maxRepairs: 0 });
  const reference = PromptSet.create({ name: "r", protocol: "reference", file: null, own: {} });
  const ref = scriptedClient(
    ['{"scenes": []}', JSON.stringify(defaultScenes(seed.task))],
    "json_schema",
  );
  const result = await askSeedTask(ref, seed, { seed: 42n, maxRepairs: 1, prompts: reference });
  assertEquals(result.repairs, 1);
  for (const call of [...none.calls, ...ref.calls]) {
    assert(!("response_format" in call.params), JSON.stringify(call.params));
  }
  assertEquals(ref.calls.map((c) => c.params.seed), Array(7).fill(null));
  assertEquals(none.calls[5].messages.at(-1)!.content, seedTaskInstructions(seed, 42n)[5]);
});
