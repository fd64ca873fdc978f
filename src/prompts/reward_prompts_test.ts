import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import {
  CONSISTENCY_PROMPT_VERSION,
  consistencyMessages,
  EXPLAIN_PROMPT_VERSION,
  explainMessages,
  judgementOf,
  REWARD_SYSTEM_PROMPT,
  rewardMessages,
} from "./reward_prompts.ts";
import { BUILTIN_PROMPT_SET } from "./prompt_set.ts";

const obs = [{ time: "1717338232.283", event: "The user types 'import pandas' in VS Code." }];

Deno.test("rewardMessages never reveals the label", () => {
  const messages = rewardMessages(BUILTIN_PROMPT_SET, obs, "Explain pandas");
  assertEquals(messages.map((m) => m.role), ["system", "user"]);
  assertEquals(messages[0].content, REWARD_SYSTEM_PROMPT);
  const user = JSON.parse(messages[1].content);
  assertEquals(user.activity_oldest_first, obs);
  assertEquals(user.proposed_task, "Explain pandas");
  assert(!messages[1].content.includes("accepted"));
  assert(!messages[1].content.includes("rejected"));
});

Deno.test("explainMessages carries the real judgement; null tasks stay null", () => {
  const messages = explainMessages(BUILTIN_PROMPT_SET, obs, null, judgementOf(false));
  const user = JSON.parse(messages[1].content);
  assertEquals(user.proposed_task, null);
  assertEquals(user.your_judgement, "rejected");
  assertEquals(messages[0].content, REWARD_SYSTEM_PROMPT);
  assertStringIncludes(user.instruction, "you wanted help the assistant did not offer");
  const silentRight = JSON.parse(
    explainMessages(BUILTIN_PROMPT_SET, obs, null, "accepted")[1].content,
  );
  assertStringIncludes(silentRight.instruction, "the assistant was right to stay silent");
  const task = JSON.parse(
    explainMessages(BUILTIN_PROMPT_SET, obs, "Explain pandas", "accepted")[1].content,
  );
  assertStringIncludes(task.instruction, "to accept the proposed task");
});

Deno.test("the explain prompt asks for reasoning as if deciding now, without the given label", () => {
  const { instruction } = JSON.parse(
    explainMessages(BUILTIN_PROMPT_SET, obs, "Explain pandas", "rejected")[1].content,
  );
  assertStringIncludes(instruction, "as if you were making it right now");
  assertStringIncludes(instruction, "Do not mention that the judgement was given to you");
  assert(!/\balready\b/.test(instruction));
});

Deno.test("the consistency prompt defines the null proposal as the reward prompt does", () => {
  assertStringIncludes(REWARD_SYSTEM_PROMPT, "The proposed task may be null");
  const system = consistencyMessages(BUILTIN_PROMPT_SET, "t")[0].content;
  assertStringIncludes(system, "The offer may be null: the assistant offered nothing");
  assertStringIncludes(system, '"accepted" means staying silent was right');
});

Deno.test("explain and consistency prompt versions are bumped", () => {
  assertEquals([EXPLAIN_PROMPT_VERSION, CONSISTENCY_PROMPT_VERSION], [
    "explain-v2",
    "consistency-v2",
  ]);
});

Deno.test("consistencyMessages shows only the thought", () => {
  const messages = consistencyMessages(BUILTIN_PROMPT_SET, "I am busy; this would distract me.");
  assertStringIncludes(messages[1].content, "I am busy; this would distract me.");
  assert(!messages[1].content.includes("VS Code"));
});
