import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { shareGptProblem } from "./sharegpt_check.ts";
import {
  CUT_MARK,
  mergeTurns,
  trimConversation,
  type Turn,
  turnsOf,
  userTurnOf,
} from "./trim_conversation.ts";

const SYSTEM = "You are a proactive assistant.";
const obs = (i: number, event = `event ${i}`) => ({
  time: `01-01 00:00:${String(i % 60).padStart(2, "0")}`,
  event,
});
const user = (i: number, rest: Record<string, unknown> = { Instructions: "Do it." }): Turn => ({
  role: "user",
  observations: [obs(i)],
  rest,
});
const assistant = (text: string): Turn => ({ role: "assistant", content: text });
const limits = { maxChars: 2_000, maxAssistantChars: 500 };
const size = (messages: { content: string }[]) =>
  messages.reduce((n, m) => n + m.content.length, 0);

Deno.test("consecutive user turns merge; the newest instruction comes last, not nested", () => {
  const messages = trimConversation(SYSTEM, [
    user(1),
    assistant("a1"),
    user(2),
    user(3, { Instructions: "Again.", Status: "Rejected" }),
    assistant("a2"),
  ], limits);
  assertEquals(messages.map((m) => m.role), ["system", "user", "assistant", "user", "assistant"]);
  assertEquals(JSON.parse(messages[1].content), { Observations: [obs(1)] });
  const newest = JSON.parse(messages[3].content);
  assertEquals(newest.Observations, [obs(2), obs(3)]);
  assertEquals(Object.keys(newest), ["Observations", "Instructions", "Status"]);
  assertEquals(newest.Instructions, "Again.");
});

Deno.test("the newest messages that fit are kept and the kept part starts at a user message", () => {
  const turns: Turn[] = [];
  for (let i = 0; i < 100; i++) turns.push(user(i), assistant(`answer ${i} `.repeat(5)));
  const messages = trimConversation(SYSTEM, turns, limits);
  assertEquals(shareGptProblem(messages), null);
  assert(size(messages) <= limits.maxChars, `${size(messages)}`);
  assert(messages.length < 1 + turns.length);
  assertEquals(messages.at(-1)!.content, `answer 99 `.repeat(5));
  // Assistant text stays within its own budget.
  const assistantChars = size(messages.filter((m) => m.role === "assistant"));
  assert(assistantChars <= limits.maxAssistantChars, `${assistantChars}`);
});

Deno.test("a single message larger than the budget is cut, never dropped", () => {
  const huge = "y".repeat(50_000);
  const messages = trimConversation(SYSTEM, [
    { role: "user", observations: [obs(1, huge)], rest: { Instructions: "Do it." } },
    assistant("z".repeat(40_000)),
  ], limits);
  assertEquals(shareGptProblem(messages), null);
  assert(size(messages) <= limits.maxChars, `${size(messages)}`);
  assert(messages[2].content.length <= limits.maxAssistantChars);
  assert(messages[2].content.endsWith(CUT_MARK));
  const cut = JSON.parse(messages[1].content);
  assertStringIncludes(cut.Observations[0].event, "[cut]");
  assertEquals(cut.Instructions, "Do it.");
  // A request (ending with a user message) is cut the same way.
  const request = trimConversation(
    SYSTEM,
    [{ role: "user", observations: [huge], rest: {} }],
    limits,
  );
  assert(size(request) <= limits.maxChars);
});

Deno.test("a merged pile of observations keeps the newest ones that fit", () => {
  const turns: Turn[] = Array.from({ length: 500 }, (_, i) => user(i));
  const messages = trimConversation(SYSTEM, [...turns, assistant("ok")], limits);
  assertEquals(messages.length, 3);
  const kept = JSON.parse(messages[1].content).Observations;
  assert(kept.length > 5 && kept.length < 500, `${kept.length}`);
  assertEquals(kept.at(-1), obs(499));
  assert(size(messages) <= limits.maxChars);
});

Deno.test("2,000 events with irregular answers: every prefix trims to a valid, alternating sample", () => {
  const turns: Turn[] = [];
  let checked = 0;
  for (let i = 0; i < 2_000; i++) {
    turns.push(user(i, { Instructions: "Do it." }));
    if (i % 3 === 0 || i % 11 === 0) {
      turns.push(assistant(`{"Proactive Task": "task ${i}"}`.repeat(1 + (i % 4))));
      const messages = trimConversation(SYSTEM, turns, limits);
      assertEquals(shareGptProblem(messages), null, `event ${i}`);
      assert(size(messages) <= limits.maxChars);
      checked++;
    }
  }
  assert(checked > 700);
});

Deno.test("logged message lists become turns; text that is not JSON is one observation", () => {
  const { system, turns } = turnsOf([
    { role: "system", content: "S" },
    { role: "user", content: JSON.stringify({ Instructions: "I", Observations: [obs(1)] }) },
    { role: "assistant", content: "A" },
  ]);
  assertEquals(system, "S");
  assertEquals(turns[0], { role: "user", observations: [obs(1)], rest: { Instructions: "I" } });
  assertEquals(userTurnOf("plain words"), {
    role: "user",
    observations: ["plain words"],
    rest: {},
  });
  assertEquals(mergeTurns([assistant("a"), assistant("b")]), [assistant("b")]);
});
