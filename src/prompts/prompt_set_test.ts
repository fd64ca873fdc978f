import { assert, assertEquals, assertNotEquals, assertThrows } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { BUILTIN_PROMPT_SET, parsePromptSet } from "./prompt_set.ts";
import { promptSetYaml } from "./prompt_set_yaml.ts";
import { fillTemplate, placeholdersOf } from "./prompt_template.ts";
import { rewardMessages } from "./reward_prompts.ts";

const obs = [{ time: "1", event: "e" }];

Deno.test("templates: {name} is filled, {{name}} is the text {name}, JSON braces are text", () => {
  const text = 'Say {a} and {{b}}; {"thought": "…"}';
  assertEquals(placeholdersOf(text), ["a"]);
  assertEquals(fillTemplate(text, { a: "x{b}" }), 'Say x{b} and {b}; {"thought": "…"}');
  assertThrows(() => fillTemplate("{a}", {}), Error, "No value for the placeholder {a}");
});

Deno.test("a set replaces only the fields it names; the rest stays built-in", () => {
  const set = parsePromptSet(
    "name: mine\nroles:\n  reward:\n    instruction: Judge it.\n",
    "mine.yaml",
  );
  assertEquals(set.label, {
    name: "mine",
    protocol: "proactive",
    hash: set.hash,
    file: "mine.yaml",
  });
  assertEquals(set.text("reward", "instruction"), "Judge it.");
  assertEquals(set.text("reward", "system"), BUILTIN_PROMPT_SET.text("reward", "system"));
  assert(set.sets("reward", "instruction") && !set.sets("reward", "system"));
  assertNotEquals(set.hash, BUILTIN_PROMPT_SET.hash);
  assert(!set.builtin && BUILTIN_PROMPT_SET.builtin);
  const user = JSON.parse(rewardMessages(set, obs, null)[1].content);
  assertEquals(user.instruction, "Judge it.");
});

Deno.test("fallbacks: eval agent asks the agent's question; a role's own built-in text wins", () => {
  const set = parsePromptSet(
    "roles:\n  agent:\n    system: Agent.\n  reward:\n    system: Judge.\n    instruction: Go.\n",
    "f.yaml",
  );
  assertEquals(set.text("eval_agent", "system"), "Agent.");
  assertEquals(
    set.text("eval_agent", "step_instruction"),
    BUILTIN_PROMPT_SET.text("agent", "step_instruction"),
  );
  assertEquals(set.text("reward_explain", "system"), "Judge.");
  // reward_explain has an instruction of its own: reward's does not leak into it.
  assertEquals(
    set.text("reward_explain", "instruction"),
    BUILTIN_PROMPT_SET.text("reward_explain", "instruction"),
  );
  const own = parsePromptSet("roles:\n  eval_agent:\n    system: Eval.\n", "g.yaml");
  assertEquals(own.text("eval_agent", "system"), "Eval.");
  assertEquals(own.text("agent", "system"), BUILTIN_PROMPT_SET.text("agent", "system"));
});

Deno.test("a bad set is one error naming the file, the role and the field", () => {
  const cases: [string, string][] = [
    ["roles:\n  rewrd:\n    system: x\n", 'The prompt set "p.yaml": unknown role "rewrd"'],
    [
      "roles:\n  reward:\n    sytem: x\n",
      'The prompt set "p.yaml": role reward has no field "sytem"',
    ],
    [
      "roles:\n  reward:\n    system: [a]\n",
      'The prompt set "p.yaml", reward.system: expected text, got a list',
    ],
    [
      "roles:\n  scenes:\n    step2: 'Task: {taks}'\n",
      'The prompt set "p.yaml", scenes.step2: unknown placeholder {taks} (it takes {task}',
    ],
    [
      "roles:\n  scenes:\n    step1: 'Only {kind}'\n",
      'The prompt set "p.yaml", scenes.step1: the placeholder {task} (the seed task) is missing',
    ],
    ["protocol: python\n", 'The prompt set "p.yaml": protocol must be one of proactive, reference'],
    ["roles: [1]\n", 'The prompt set "p.yaml": roles must be a mapping of role names'],
    ["name: x\nextra: 1\n", 'The prompt set "p.yaml" has an unknown key "extra"'],
    ["- a\n", 'The prompt set "p.yaml" is not a mapping'],
    ["roles: {reward: {system: 'a'\n", 'Cannot parse the prompt set "p.yaml"'],
  ];
  for (const [text, message] of cases) {
    const error = assertThrows(() => parsePromptSet(text, "p.yaml"), ProactiveError);
    assert(error.message.startsWith(message), `${error.message}\n  expected: ${message}`);
    assertEquals(error.message.includes("\n"), false, error.message);
  }
});

Deno.test("required placeholders depend on the protocol", () => {
  // The reference's explain instruction says no decision: fine under protocol reference.
  const reference = parsePromptSet(
    "protocol: reference\nroles:\n  reward_explain:\n    instruction: Explain it.\n",
    "r.yaml",
  );
  assertEquals(reference.protocol, "reference");
  assertThrows(
    () => parsePromptSet("roles:\n  reward_explain:\n    instruction: Explain it.\n", "p.yaml"),
    ProactiveError,
    "reward_explain.instruction: the placeholder {judgement}",
  );
});

Deno.test("the exported built-in set reads back to the built-in texts (and is built-in)", () => {
  const text = promptSetYaml({
    name: "builtin",
    protocol: "proactive",
    roles: BUILTIN_PROMPT_SET.values() as Record<string, Record<string, unknown>>,
  });
  const back = parsePromptSet(text, "export.yaml");
  assertEquals(back.values(), BUILTIN_PROMPT_SET.values());
  assertEquals(back.hash, BUILTIN_PROMPT_SET.hash);
  assert(back.builtin, "an unchanged export is the built-in set: same cache keys");
  assert(text.includes("# {kind}: the scene kind of the seed file"), "placeholders documented");
});
