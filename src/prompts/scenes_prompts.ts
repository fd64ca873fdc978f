/**
 * The prompts of `proactive scenes`: one conversation per (scene kind, seed task) with the
 * `scenes` model, six instructions in a row, each answer kept in the conversation before
 * the next instruction. Steps 1–5 build the scene up in prose (at temperature 1.0, for
 * variety); step 6 asks for everything as a JSON list of scenes (at 0.3, for a faithful
 * summary). The scene shape is the one of `src/formats/scene.ts`; where structured output
 * is allowed step 6 also carries the schema of `src/scenes/scene_answer.ts`, and its text
 * stays the same.
 *
 * Bump `SCENES_PROMPT_VERSION` whenever a wording changes: the text of every request is
 * part of its cache key, so new wording means new samples, and the version is reported.
 */
import type { ChatMessage } from "../llm/llm_types.ts";
import type { PromptSet } from "./prompt_set.ts";

export const SCENES_PROMPT_VERSION = "scenes-v1";

/** The number of the kind's sample events shown in step 5 (all of them when fewer). */
export const SAMPLE_EVENTS_SHOWN = 15;

/** Temperature of each of the six steps. */
export const STEP_TEMPERATURES: readonly number[] = [1.0, 1.0, 1.0, 1.0, 1.0, 0.3];

export const SCENES_SYSTEM_PROMPT =
  `You design realistic situations in which a person at a computer, or going about their day, could use the help of an AI assistant that watches what they do and offers help on its own.

You build one situation step by step, over several instructions:
- Every answer must agree with everything you wrote before; build on it rather than starting over.
- Be concrete: names, places, times, files, programs, numbers. Vague scenes make useless simulations.
- Vary what you invent: different people, habits and circumstances, not one stereotype.
- The situations will later be simulated event by event, so they must be plausible in detail.`;

/** Step 1: the scene itself. */
export const DESCRIBE_SCENE_INSTRUCTION = `# Step 1: describe the scene

Scene kind: {kind}
Seed task: {task}

Describe a situation of this kind built around the seed task. Cover:
- the user: how experienced they are, what they know well and where they are weak, what they prefer;
- the context: where they are, the time of day, what they are in the middle of doing;
- habits: things they do again and again while working;
- cues: what in their behaviour shows that they could use help (hesitating, searching repeatedly, undoing work, switching back and forth);
- openings for the assistant: tasks an assistant could take off their hands, fitting their skills and preferences.

Write freely and in detail; offer more than one variation where it helps.`;

/** Step 2: the tasks and the people. */
export const TASKS_AND_USERS_INSTRUCTION = `# Step 2: tasks and users

Starting from the seed task below, list the tasks the user will actually carry out in this scene, and invent several user characters who could be doing them: for each a name, an age, a job and their skills.

Do not copy the seed task: vary it (other goals, other tools, other levels of difficulty) while staying in the same kind of scene, and make the characters differ from one another.

Seed task: {task}`;

/** Step 3: the entities. */
export const ENTITIES_INSTRUCTION = `# Step 3: entities

List the entities of the scene, things and people alike, and describe each one. Think about:
1. what the user handles directly (devices, programs, documents, objects);
2. what the user's actions change or use up along the way;
3. what shapes the user's choices without being touched (deadlines, colleagues, notifications, the surroundings).

Give each entity enough detail (state, contents, settings) that it can be simulated.`;

/** Step 4: the assistant's action space. */
export const AGENT_OPS_INSTRUCTION = `# Step 4: what the assistant can do

Define the assistant's operations in this scene. The assistant reads text and screenshots, writes text, and can call tools such as a terminal, the file system and a web browser. Bare signatures like these are too thin:
- terminal_run(command)
- file_open(file_path)
- browser_open(url)

For each operation give a signature, what every parameter means, what it returns and what it is for. Every operation must be something such an assistant can really carry out; nothing that needs hands or eyes outside the screen. Cover the needs of the scene you described.`;

/** Step 5: example events at the granularity of the kind's samples (joined by "\n- "). */
export const EVENTS_INSTRUCTION = `# Step 5: example events

Write at least 10 example events that could happen in this scene; more is better. An event is one thing that happens, done by the user or by the assistant.

Rules:
- Objective: state what happened, not what anyone thinks or feels, and not why.
- One action per event, in one short, specific sentence. Never join two actions.
- Mix events of the user and of the assistant, consistent with the scene, the entities and the operations above.
- Include the untidy parts of real work: aimless browsing, dead ends, errors, failed attempts, interruptions.
- Plain sentences only: no code, no pseudo-code.

Events written the right way:
- The assistant opens the browser and searches for a Java tutorial.
- The assistant opens the file \`example.cpp\` and finds two syntax errors.
- The user scrolls to the bottom of the search results without clicking any.

Match the granularity of these samples from other scenes of this kind (some of them are deliberately pointless actions):
- {sample_events}`;

/** How step 5's `{sample_events}` joins the samples. */
export const SAMPLE_EVENTS_SEPARATOR = "\n- ";

/** The JSON list step 6 asks for, with a description in place of every value. */
const SCENE_TEMPLATE = [{
  environment: {
    theme: "a few words naming the scene",
    description: "the scene in detail: the user, the place, the time, what is going on",
    entities: ["one entity with its description", "…"],
    agent_ops: ["one operation: its signature and what it does", "…"],
    events_example: ["one example event", "… every example event written above"],
  },
  user: {
    goal: "the task this user sets out to do in the scene",
    description: "this user in detail: name, age, job, skills, habits",
  },
}];

/** Step 6: everything as a JSON list of scenes. */
export const STRUCTURE_INSTRUCTION = `# Step 6: the scenes as JSON

Put together what you wrote as a JSON list of scenes, one scene per user character and task you described, each complete on its own. The shape, with a description in place of each value:
${JSON.stringify(SCENE_TEMPLATE, null, 2)}

Requirements:
- Every scene has all of these fields, each filled in; "entities", "agent_ops" and "events_example" are lists of strings.
- Each scene is consistent with what you wrote and detailed; put every example event you wrote in "events_example".
- Answer with the JSON list only: no text before or after it, no placeholder entries.`;

/**
 * Added after step 6's instruction when it is asked with `response_format: json_object`:
 * such an answer must be an object, and no schema says which (with `json_schema` the
 * schema's descriptions say it; free-text answers stay a bare list).
 */
export const SCENE_LIST_OBJECT_NOTE =
  '\n\nYour answer must be one JSON object: give the list as its "scenes" member, ' +
  '{"scenes": [ … ]}.';

/** The six instructions of the conversation about `task` of scene kind `kind`. */
export function sceneStepInstructions(
  prompts: PromptSet,
  kind: string,
  task: string,
  sampleEvents: readonly string[],
): string[] {
  return [
    prompts.fill("scenes", "step1", { kind, task }),
    prompts.fill("scenes", "step2", { task }),
    prompts.fill("scenes", "step3", {}),
    prompts.fill("scenes", "step4", {}),
    prompts.fill("scenes", "step5", {
      sample_events: sampleEvents.join(SAMPLE_EVENTS_SEPARATOR),
    }),
    prompts.fill("scenes", "step6", {}),
  ];
}

/** The conversation's opening: the system prompt alone. */
export function sceneConversationStart(prompts: PromptSet): ChatMessage[] {
  return [{ role: "system", content: prompts.text("scenes", "system") }];
}

/** The built-in re-ask after a step-6 answer that held no usable scene. */
export const SCENE_LIST_REPAIR = "Your list could not be used:\n{error}\n\n" +
  "Answer again with the JSON list of scenes only, every scene with all the fields of the " +
  "shape shown before (environment: theme, description, entities, agent_ops, " +
  "events_example; user: goal, description), each filled in.";

/** The re-ask after a step-6 answer that held no usable scene. */
export function sceneListRepairMessage(prompts: PromptSet, error: string): string {
  return prompts.fill("scenes", "repair", { error });
}
