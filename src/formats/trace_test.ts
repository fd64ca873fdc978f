import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { isHelpModeTrace, isValidTraceName, parseTraceText } from "./trace.ts";

const turn = {
  observation: { time: "1717338232.283", event: "The user opens VS Code." },
  agent_response: { candidate_task: [] },
  task_status: false,
};

Deno.test("parseTraceText accepts a ProactiveBench trace", () => {
  const trace = parseTraceText(JSON.stringify([turn]), "t.json");
  assertEquals(trace[0].observation.event, "The user opens VS Code.");
});

Deno.test("parseTraceText names the file and JSON path of a wrong field", () => {
  const bad = [turn, { ...turn, agent_response: { candidate_task: "nope" } }];
  assertThrows(
    () => parseTraceText(JSON.stringify(bad), "bad.json"),
    ProactiveError,
    'Invalid trace "bad.json" at $[1].agent_response.candidate_task',
  );
  assertThrows(
    () => parseTraceText("{", "broken.json"),
    ProactiveError,
    'Cannot parse "broken.json"',
  );
});

Deno.test("trace names refuse paths and help mode is recognised", () => {
  assertEquals(isValidTraceName("code_11"), true);
  assertEquals(isValidTraceName("../etc/passwd"), false);
  assertEquals(isValidTraceName("a/b"), false);
  assertEquals(isValidTraceName(".hidden"), false);
  assertEquals(isHelpModeTrace("empty_code_11"), true);
  assertEquals(isHelpModeTrace("code_11"), false);
});
