import { assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { shareGptProblem } from "./sharegpt_check.ts";

const sys = { role: "system", content: "S" };
const user = (content = "u") => ({ role: "user", content });
const assistant = (content = "a") => ({ role: "assistant", content });

Deno.test("sharegpt: system first, then user/assistant pairs, is accepted", () => {
  assertEquals(shareGptProblem([sys, user(), assistant()]), null);
  assertEquals(shareGptProblem([sys, user(), assistant(), user(), assistant()]), null);
});

Deno.test("sharegpt: every rule LLaMA-Factory applies rejects its case", () => {
  const cases: [unknown, string][] = [
    ["x", "not a list"],
    [[], "empty"],
    [[user(), assistant()], "first message is not the system"],
    [[sys], "no user/assistant turn"],
    [[sys, assistant(), user()], "message 1 is assistant, expected user"],
    [[sys, user(), user(), assistant()], "message 2 is user, expected assistant"],
    [[sys, user(), assistant(), user()], "last message is not the assistant's"],
    [[sys, user(""), assistant()], "message 1 (user) is empty"],
    [[sys, user(), assistant("  ")], "message 2 (assistant) is empty"],
    [[{ role: "system", content: "" }, user(), assistant()], "message 0 (system) is empty"],
    [[sys, { role: "user", content: 3 }, assistant()], "no text content"],
    [[sys, user(), null], "not an object"],
    [[sys, { role: "tool", content: "t" }, assistant()], "expected user"],
  ];
  for (const [conversation, problem] of cases) {
    assertStringIncludes(shareGptProblem(conversation) ?? "accepted", problem);
  }
});
