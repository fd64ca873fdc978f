import { assertEquals } from "../../tests/assert.ts";
import { toSubject } from "./environment.ts";

Deno.test("example events are rewritten to the activity's subject, whole words only", () => {
  assertEquals(
    toSubject("The agent saves the file the user opened; Agent logs it.", "user"),
    "The user saves the file the user opened; User logs it.",
  );
  assertEquals(
    toSubject("The user clicks; USER waits; the user-agent string shows.", "agent"),
    "The agent clicks; AGENT waits; the agent-agent string shows.",
  );
  assertEquals(toSubject("A travel agency's users wait.", "user"), "A travel agency's users wait.");
});
