/**
 * `proactive prompts import DIR --out FILE` end to end, on a checkout this test writes
 * itself: Python files in the reference project's shapes (module constants, dicts, values
 * inside functions and methods, every string form) holding texts made up here — the
 * reference's own text stays out of the repository. Each imported value must equal what
 * Python computes from the same files (tests/testing/python_values.py).
 */
import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { runProactive } from "./run_deno.ts";
import { withTempDir } from "./temp_dir.ts";
import { hasPython3, pythonValues } from "./testing/python_values.ts";
import { loadPromptSet } from "../src/prompts/prompt_set.ts";
import { REFERENCE_SOURCES } from "../src/prompts/reference_import.ts";
import type { FieldName, RoleName } from "../src/prompts/prompt_roles.ts";

const COMMIT = "0123456789abcdef0123456789abcdef01234567";

const FILES: Record<string, string> = {
  "gym/components/activeagent.py": `import json
from copy import deepcopy

SYSTEM = """<Role> An agent that offers help. </Role> 

<Format> Answer as JSON:
{
    "Purpose": "why",
    "Proactive Task": "a task, or \`null\`"
}
</Format>"""

STEP_OBJ = {
    "Instructions": "Look at the events; offer a task if it helps.",
}

EXEC = """{
    "Instructions": "Carry the task out, one action at a time.",
}
<Format>{"Action": "next"}</Format>"""


class ProactiveAgent(object):
    async def step(self):
        step_obj = deepcopy(STEP_OBJ)
        if True:
            step_obj["Instructions"] = f"Rejected! Offer something else."
        return step_obj
`,
  "dataset/build_agent_trainset.py": `import json
from gym.components.activeagent import SYSTEM, STEP_OBJ

async def make_valid_prediction(messages, past_events, max_trials = 15):
    while max_trials > 0:
        res = await ask(messages=messages + [{"role":"user","content":json.dumps({
            "Previous Prediction": pred,
            "Status": "Rejected",
            "Instructions":"That was rejected \\u2014 propose another task."
        })}])
`,
  "eval/script.py": `import json
SYSTEM = """<Role> The agent, in evaluation. </Role>\\n<Rules>\\t- be brief
- say \\"null\\" when unsure
</Rules>"""

STEP = json.dumps({
    "Instructions": "Look at the events; offer a task if it helps — or not.",
    "Observation": "[placeholder]"
    })
`,
  "eval/reward_model_template.py": `import json
SYSTEM = '''<Task>
Judge the proposal as the user would.
</Task>
<Format>{"thought": "…", "judgement": "accepted or rejected"}</Format>'''

def format_reward_instruction(obs:list[dict],pred_task:str) -> list[dict]:
    inst_dict = {
        "Observations (Time Ascending)": obs,
        "Proposed Task": pred_task,
        "Instruction": "Give your judgement, " 'reasoning in the first person.'
    }
    return [{"role":"system","content":SYSTEM},{"role":"user","content":json.dumps(inst_dict,sort_keys=False,ensure_ascii=False,indent=4)}]
`,
  "dataset/build_reward_trainset.py": `import json
SYSTEM = r'''<Task>
Explain the user's judgement. A path: C:\\new\\table
</Task>'''

def format_message(obs, pred_task, user):
    inst_dict = {
        "Observations (Time Ascending)": obs,
        "User Judgement": "accepted" if user else "rejected",
        "Instruction": "You gave the judgement; " + "explain it in the first person."
    }
    return inst_dict

def format_thought_check(thought:str):
    CHECK_SYSTEM = '''<Task>
Read the thought and say which judgement it supports.
</Task>
{"reason": "…", "judgement": "accepted or rejected"}'''
    inst_dict = {
        "Thought To Check": thought,
        "Instruction": "Say what the thought concludes.",
    }
    return [CHECK_SYSTEM, inst_dict]
`,
  "gym/components/environment.py": `import json

SYSTEM = """<Role>
You simulate the environment. Content labelled <From user> is the user's.
</Role>"""

class Environment:
    async def setup(self):
        return json.dumps({"Instructions": "Expand the scene."})
`,
  "gym/components/user.py": `SYSTEM = """<Role>
You simulate a user with the goal {goal}, literally in braces.
</Role>"""  # a comment after the string
`,
  "dataset/build_scenes.py": `import json

SYSTEM = """<Task>
Invent scenes where an assistant could help.
</Task>"""

async def update_inst(inst, messages:list, tempurature=1.0):
    messages.append({"role": "user", "content": inst})
    return messages

async def forward(scene, seed_task, sample_events):
    messages = [{"role": "system", "content": SYSTEM}]

    init_inst = f"""## Scene
Scene: {scene}
Seed Task: {seed_task}
Answer as {{"scene": "..."}}.
"""
    messages = await update_inst(init_inst, messages)

    task_inst = """Now list the tasks and the users.\\n\\nSeed Task: """ + seed_task
    messages = await update_inst(task_inst, messages)

    entity_inst = r"""Now the entities.\\n stays as written."""
    messages = await update_inst(entity_inst, messages)

    agent_inst = ("Now what the assistant can do. "
        "Keep it feasible.")
    messages = await update_inst(agent_inst, messages)

    event_inst = """Now at least 10 events, like:
- The user opens a file.
""" + '\\n- '.join(sample_events)
    messages = await update_inst(event_inst, messages)

    structure_inst = """Now all of it as JSON:\\n"""+json.dumps([
        {
            "environment": {"theme": "a short term", "events_example": ["one", "two"]},
            "user": {"goal": "the goal"},
        },
        "and more ..."
    ])+"\\n\\nKeep it consistent."
    messages = await update_inst(structure_inst, messages, tempurature=0.3)
    return messages
`,
};

async function writeCheckout(dir: string, files: Record<string, string> = FILES): Promise<void> {
  for (const [file, text] of Object.entries(files)) {
    await Deno.mkdir(join(dir, file, ".."), { recursive: true });
    await Deno.writeTextFile(join(dir, file), text);
  }
  await Deno.mkdir(join(dir, ".git/refs/heads"), { recursive: true });
  await Deno.writeTextFile(join(dir, ".git/HEAD"), "ref: refs/heads/main\n");
  await Deno.writeTextFile(join(dir, ".git/refs/heads/main"), `${COMMIT}\n`);
}

const VARIABLES = {
  scene: "coding {x}",
  seed_task: "Fix a bug — quickly",
  sample_events: ["The user runs the tests.", "The user opens {a} file."],
};

Deno.test("prompts import: every value equals what Python computes from the same files", async () => {
  await withTempDir(async (dir) => {
    const checkout = join(dir, "ProactiveAgent");
    await writeCheckout(checkout);
    const out = join(dir, "reference.yaml");
    const run = await runProactive(["prompts", "import", checkout, "--out", out]);
    assertEquals(run.code, 0, run.stderr);
    assertStringIncludes(run.stdout, `Imported 21 of 21 texts`);
    assertStringIncludes(run.stdout, `"reference@${COMMIT.slice(0, 12)}"`);
    assertEquals(run.stderr.includes("Not imported"), false, run.stderr);
    const set = await loadPromptSet(out);
    assertEquals(set.protocol, "reference");
    assertEquals(set.name, `reference@${COMMIT.slice(0, 12)}`);
    const filled = {
      kind: VARIABLES.scene,
      task: VARIABLES.seed_task,
      sample_events: VARIABLES.sample_events.join("\n- "),
    };
    const ours: Record<string, string> = {};
    for (const source of REFERENCE_SOURCES) {
      const role = source.role as RoleName;
      const field = source.field as FieldName<RoleName>;
      assert(set.sets(role, field), `${role}.${field} was imported`);
      ours[`${role}.${field}`] = source.variables
        ? set.fill(role, field, filled)
        : set.text(role, field);
    }
    // Facts that hold whether or not Python is here.
    assertEquals(
      ours["scenes.step2"],
      "Now list the tasks and the users.\n\nSeed Task: Fix a bug — quickly",
    );
    assertEquals(
      ours["user.system"],
      "<Role>\nYou simulate a user with the goal {goal}, literally in braces.\n</Role>",
    );
    assertEquals(
      ours["eval_agent.step"],
      '{"Instructions": "Look at the events; offer a task if it helps \\u2014 or not.", ' +
        '"Observation": "[placeholder]"}',
    );
    assertStringIncludes(
      ours["scenes.step1"],
      'Scene: coding {x}\nSeed Task: Fix a bug — quickly\nAnswer as {"scene": "..."}.',
    );
    assert(
      ours["scenes.step5"].endsWith("file.\nThe user runs the tests.\n- The user opens {a} file."),
    );
    if (!(await hasPython3())) return;
    const lookups = REFERENCE_SOURCES.map((source) => ({
      id: `${source.role}.${source.field}`,
      ...source.from[0],
      values: VARIABLES,
    }));
    const python = await pythonValues(checkout, lookups);
    for (const [id, value] of Object.entries(ours)) assertEquals(value, python[id], id);
    // The retry message falls back on the gym's f-string, which Python gives the same way.
    const retry = await pythonValues(checkout, [{
      id: "retry",
      ...REFERENCE_SOURCES.find((s) => s.field === "retry_instruction")!.from[1],
    }]);
    assertEquals(retry.retry, "Rejected! Offer something else.");
  });
});

Deno.test("prompts import: what it cannot find is named and the rest is written", async () => {
  await withTempDir(async (dir) => {
    const files = { ...FILES };
    delete files["eval/script.py"];
    files["dataset/build_reward_trainset.py"] = files["dataset/build_reward_trainset.py"]
      .replace("CHECK_SYSTEM = '''", "CHECK_SYSTEM = b'''");
    files["dataset/build_agent_trainset.py"] = "import json\n";
    await writeCheckout(dir, files);
    const out = join(dir, "out", "partial.yaml");
    await Deno.mkdir(join(dir, "out"));
    const run = await runProactive(["prompts", "import", dir, "--out", out]);
    assertEquals(run.code, 0, run.stderr);
    assertStringIncludes(run.stdout, "Imported 18 of 21 texts");
    assertStringIncludes(
      run.stdout,
      "not found: eval_agent.system, eval_agent.step, consistency.system",
    );
    assertStringIncludes(
      run.stderr,
      "Not imported: eval_agent.system: eval/script.py does not exist",
    );
    assertStringIncludes(
      run.stderr,
      "consistency.system: dataset/build_reward_trainset.py: line 15: a bytes literal is not text",
    );
    const set = await loadPromptSet(out);
    assertEquals(set.sets("eval_agent", "system"), false);
    // The retry message came from the gym's agent instead of the missing trainset script.
    assertEquals(set.text("agent", "retry_instruction"), "Rejected! Offer something else.");
    // Stages that need what is missing say so before any request.
    const show = await runProactive(["prompts", "show", "--prompts", out, "consistency"]);
    assertEquals(show.code, 0, show.stderr);
    assertStringIncludes(show.stdout, "## consistency.system (built-in)");
  });
});

Deno.test("prompts import: a folder that is not the reference is an error and writes nothing", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "setup.py"), "print('hello')\n");
    const out = join(dir, "set.yaml");
    const run = await runProactive(["prompts", "import", dir, "--out", out]);
    assertEquals(run.code, 1, run.stderr);
    assertStringIncludes(run.stderr, "is not a checkout of the reference project (ProactiveAgent)");
    assertEquals(await Deno.stat(out).then(() => true, () => false), false);
    const usage = await runProactive(["prompts", "import", "--out", out]);
    assertEquals(usage.code, 2);
    assertStringIncludes(usage.stderr, "prompts import needs the checkout's folder DIR");
  });
});
