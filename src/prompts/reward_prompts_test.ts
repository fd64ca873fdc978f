import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import {
  consistencyMessages,
  explainMessages,
  judgementOf,
  REWARD_SYSTEM_PROMPT,
  rewardMessages,
} from "./reward_prompts.ts";

const obs = [{ time: "1717338232.283", event: "The user types 'import pandas' in VS Code." }];

Deno.test("rewardMessages never reveals the label", () => {
  const messages = rewardMessages(obs, "Explain pandas");
  assertEquals(messages.map((m) => m.role), ["system", "user"]);
  assertEquals(messages[0].content, REWARD_SYSTEM_PROMPT);
  const user = JSON.parse(messages[1].content);
  assertEquals(user.activity_oldest_first, obs);
  assertEquals(user.proposed_task, "Explain pandas");
  assert(!messages[1].content.includes("accepted"));
  assert(!messages[1].content.includes("rejected"));
});

Deno.test("explainMessages carries the real judgement; null tasks stay null", () => {
  const messages = explainMessages(obs, null, judgementOf(false));
  const user = JSON.parse(messages[1].content);
  assertEquals(user.proposed_task, null);
  assertEquals(user.your_actual_judgement, "rejected");
  assertEquals(messages[0].content, REWARD_SYSTEM_PROMPT);
});

Deno.test("consistencyMessages shows only the thought", () => {
  const messages = consistencyMessages("I am busy; this would distract me.");
  assertStringIncludes(messages[1].content, "I am busy; this would distract me.");
  assert(!messages[1].content.includes("VS Code"));
});
