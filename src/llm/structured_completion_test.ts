import { z } from "zod";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import type { ChatMessage, ChatParams, ChatReply } from "./llm_types.ts";
import {
  completeStructured,
  LlmOutputError,
  parseStructured,
  responseFormatFor,
  type SendChat,
} from "./structured_completion.ts";

const Judgement = z.object({
  thought: z.string(),
  judgement: z.enum(["accepted", "rejected"]),
  task: z.string().nullable(),
});

/** A `send` that answers from a list and records what it was asked. */
function scripted(replies: string[][]) {
  const calls: { messages: ChatMessage[]; params: ChatParams }[] = [];
  const send: SendChat = (messages, params) => {
    calls.push({ messages, params });
    const choices = replies.shift() ?? [];
    const reply: ChatReply = {
      choices,
      finishReasons: choices.map(() => "stop"),
      usage: { promptTokens: 0, completionTokens: 0 },
      cached: false,
    };
    return Promise.resolve(reply);
  };
  return { send, calls };
}

const good = (j: string) => JSON.stringify({ thought: "t", judgement: j, task: null });
const options = { responseFormat: "json_schema" as const, maxRepairs: 2, target: "endpoint" };
const user: ChatMessage[] = [{ role: "user", content: "judge" }];

Deno.test("responseFormatFor sends a strict JSON schema; optional members become nullable", () => {
  const format = responseFormatFor(Judgement, "judgement");
  assertEquals(format.type, "json_schema");
  assertEquals(format.json_schema.name, "judgement");
  assertEquals(format.json_schema.strict, true);
  assertEquals(format.json_schema.schema.required, ["thought", "judgement", "task"]);
  assertEquals("$schema" in format.json_schema.schema, false);
  const optional = responseFormatFor(z.object({ a: z.string().optional() }));
  assertEquals(optional.json_schema.strict, true);
  assertEquals(optional.json_schema.schema, {
    type: "object",
    properties: { a: { type: ["string", "null"] } },
    required: ["a"],
    additionalProperties: false,
  });
  // A null for an optional member reads as absent.
  const optionalSchema = z.object({ a: z.string().optional(), b: z.number() });
  assertEquals(parseStructured(optionalSchema, '{"a": null, "b": 1}'), {
    ok: true,
    value: { b: 1 },
  });
  assertEquals(responseFormatFor(Judgement, "x", false).json_schema.strict, false);
});

Deno.test("parseStructured: fences, 'null' strings, and errors the model can act on", () => {
  const fenced = parseStructured(
    Judgement,
    '```json\n{"thought": "t", "judgement": "accepted", "task": "null"}\n```',
  );
  assertEquals(fenced, { ok: true, value: { thought: "t", judgement: "accepted", task: null } });
  const wrong = parseStructured(Judgement, '{"thought": "t", "judgement": "maybe", "task": null}');
  assertEquals(wrong.ok, false);
  if (!wrong.ok) assertStringIncludes(wrong.error, "$.judgement: Invalid option");
  const cut = parseStructured(Judgement, '{"thought": "a long', "length");
  if (!cut.ok) assertStringIncludes(cut.error, "cut off at the token limit");
  assertEquals(cut.ok, false);
});

Deno.test("completeStructured re-asks with the validation error and the bad answer", async () => {
  const { send, calls } = scripted([['{"thought": "t", "judgement": "yes"}'], [good("rejected")]]);
  const values = await completeStructured(Judgement, user, { temperature: 0 }, send, {}, options);
  assertEquals(values, [{ thought: "t", judgement: "rejected", task: null }]);
  assertEquals(calls.length, 2);
  assertEquals(calls[0].params.response_format?.type, "json_schema");
  const repair = calls[1].messages;
  assertEquals(repair.length, 3);
  assertEquals(repair[1], { role: "assistant", content: '{"thought": "t", "judgement": "yes"}' });
  assertStringIncludes(repair[2].content, "$.judgement: Invalid option");
  assertStringIncludes(repair[2].content, "$.task: Invalid input");
  assertEquals(calls[1].params.n, 1);
});

Deno.test("completeStructured with n > 1 validates and repairs each choice", async () => {
  const { send, calls } = scripted([
    [good("accepted"), "no idea", good("rejected")],
    [good("accepted")],
  ]);
  const values = await completeStructured(Judgement, user, { n: 3 }, send, {}, options);
  assertEquals(values.map((v) => v.judgement), ["accepted", "accepted", "rejected"]);
  assertEquals(calls.length, 2);
  assertEquals(calls[1].messages[1].content, "no idea");
});

Deno.test("completeStructured gives up after maxRepairs with the last error", async () => {
  let repairs = 0;
  const { send, calls } = scripted([["nope"], ["still no"], ["{}"]]);
  const error = await assertRejects(
    () =>
      completeStructured(Judgement, user, {}, send, {}, {
        ...options,
        responseFormat: "none",
        onRepair: () => repairs++,
      }),
    LlmOutputError,
    "Invalid answer from endpoint after 2 re-asks",
  );
  assertEquals(calls.length, 3);
  assertEquals(repairs, 2);
  assertEquals(calls[0].params.response_format, undefined);
  assertEquals(error.reply, "{}");
  assert(error.reason.includes("$.thought"));
});
