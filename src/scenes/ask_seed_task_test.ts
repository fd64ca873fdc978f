import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import type { CallOptions, ChatMessage, ChatParams, ChatReply } from "../llm/llm_types.ts";
import { LlmOutputError } from "../llm/structured_completion.ts";
import { askSeedTask, seedTaskCacheTag, seedTaskInstructions } from "./ask_seed_task.ts";
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

/** A client answering steps 1–5 with "answer N" and the rest from `finals`, in turn. */
function scriptedClient(finals: string[]) {
  const calls: Call[] = [];
  return {
    calls,
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
