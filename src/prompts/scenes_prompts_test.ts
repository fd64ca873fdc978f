import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { parseSceneList } from "../formats/scene.ts";
import { parseLenientJson } from "../llm/lenient_json.ts";
import {
  SAMPLE_EVENTS_SHOWN,
  sceneConversationStart,
  sceneListRepairMessage,
  SCENES_PROMPT_VERSION,
  SCENES_SYSTEM_PROMPT,
  sceneStepInstructions,
  STEP_TEMPERATURES,
  STRUCTURE_INSTRUCTION,
} from "./scenes_prompts.ts";
import { BUILTIN_PROMPT_SET } from "./prompt_set.ts";

Deno.test("scene prompts: a version, six steps, their temperatures", () => {
  assert(/^scenes-v\d+$/.test(SCENES_PROMPT_VERSION), SCENES_PROMPT_VERSION);
  const steps = sceneStepInstructions(
    BUILTIN_PROMPT_SET,
    "codingassistant",
    "Write a Go log parser.",
    ["A", "B"],
  );
  assertEquals(steps.length, 6);
  assertEquals(STEP_TEMPERATURES, [1, 1, 1, 1, 1, 0.3]);
  steps.forEach((step, i) => assert(step.startsWith(`# Step ${i + 1}:`), step.slice(0, 20)));
  assertEquals(SAMPLE_EVENTS_SHOWN, 15);
  assertEquals(sceneConversationStart(BUILTIN_PROMPT_SET), [{
    role: "system",
    content: SCENES_SYSTEM_PROMPT,
  }]);
});

Deno.test("scene prompts: the kind, the seed task and the sample events are where they belong", () => {
  const steps = sceneStepInstructions(
    BUILTIN_PROMPT_SET,
    "writingassistant",
    "Draft a cover letter.",
    [
      "The user opens a blank document.",
      "The user deletes the title.",
    ],
  );
  assertStringIncludes(steps[0], "Scene kind: writingassistant\nSeed task: Draft a cover letter.");
  assertStringIncludes(steps[1], "Seed task: Draft a cover letter.");
  assertStringIncludes(
    steps[4],
    "- The user opens a blank document.\n- The user deletes the title.",
  );
  assertStringIncludes(steps[4], "at least 10 example events");
  for (const step of [steps[2], steps[3], steps[5]]) {
    assert(!step.includes("Draft a cover letter"), "later steps rely on the conversation");
  }
});

Deno.test("scene prompts: step 6 shows a template that our own scene schema accepts", () => {
  const template = parseLenientJson(STRUCTURE_INSTRUCTION);
  assert(template.ok);
  const list = parseSceneList(template.value, "the template");
  assertEquals(list.dropped, []);
  assertEquals(list.scenes.length, 1);
  assert(!STRUCTURE_INSTRUCTION.includes("and more"), "no placeholder entry is invited");
});

Deno.test("scene prompts: the re-ask carries the validation error", () => {
  const message = sceneListRepairMessage(
    BUILTIN_PROMPT_SET,
    "no valid scene in the list:\n$[0].user.goal: missing",
  );
  assertStringIncludes(message, "$[0].user.goal: missing");
  assertStringIncludes(message, "JSON list of scenes only");
});
