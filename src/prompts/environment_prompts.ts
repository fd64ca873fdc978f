/**
 * The simulated environment's prompts (the gym's `env` role). Every request is one
 * system message and one user message holding a JSON document of the current state, so
 * a request is a pure function of the scene and the answers before it. Bump the version
 * whenever the wording changes (it is in every gym summary; the wording itself is in
 * every cache key).
 */
import type { AgentOperation } from "../formats/scene.ts";
import type { ChatMessage } from "../llm/llm_types.ts";
import type { PromptSet } from "./prompt_set.ts";

export const ENVIRONMENT_PROMPT_VERSION = "environment-v2";

export const ENVIRONMENT_SYSTEM_PROMPT =
  `You simulate the environment around a person working at a task: their devices, software, documents, the people and things nearby. You never act for the person or for their assistant; you report what happens.

Rules:
- Describe objective changes only: no opinions, no feelings, no guesses about intent.
- Stay consistent with the setting, the entities and the events so far; do not invent things that do not exist in the scene.
- Each event is one short action or change, with the subject the request names (the user or the agent).
- Now and then let something fail or surprise, as in real life (an error, a slow page, a typo).
- If an operation is impossible in this environment, say so in the event and leave the entities unchanged.
- Answer with one JSON object only, in the shape the request gives.`;

/** The scene as the environment receives it for its setup. */
export interface SceneBrief {
  theme: string;
  description: string;
  entities: string[];
  /** Texts, or objects shown as they are (JSON), as the reference shows them. */
  agentOps: AgentOperation[];
}

export const SETUP_FORMAT = {
  overview: "A few sentences describing the environment in detail.",
  time: "The date-time the scene starts, M-D H:M:S (e.g. 3-14 9:30:00); a real date.",
  agent_ops: [{
    name: "operation_name",
    arguments: ["argument_name"],
    doc: "What the operation does, its arguments and its result.",
  }],
  entities: [{
    name: "Entity name with model or version, e.g. VS Code 1.92.0",
    description: "What it is, briefly.",
    status: "Its current state worth noticing.",
    properties: ["One property per entry"],
    available_ops: [{ name: "operation_name", arguments: ["argument_name"], doc: "…" }],
    past_actions: ["What happened to it before the scene starts (may be empty)"],
  }],
};

/** Setup: expand the scene into a detailed setting with a start time. */
export function environmentSetupMessages(prompts: PromptSet, scene: SceneBrief): ChatMessage[] {
  return [
    { role: "system", content: prompts.text("environment", "system") },
    {
      role: "user",
      content: JSON.stringify(
        {
          theme: scene.theme,
          description: scene.description,
          possible_entities: scene.entities,
          sample_agent_operations: scene.agentOps,
          instructions: prompts.text("environment", "setup_instruction"),
          answer_format: prompts.json("environment", "setup_format"),
        },
      ),
    },
  ];
}

/**
 * The setting in the order that keeps a scene's requests sharing their start (what a
 * server's prefix cache reuses): what never changes first, the entities (changed by
 * events) and the clock (moved by every event) last.
 */
function settingOf(state: EnvironmentState) {
  return {
    overview: state.overview,
    agent_ops: state.agent_ops,
    entities: state.entities,
    time: state.time,
  };
}

/** What the environment knows when it talks to the user or makes events. */
export interface EnvironmentState {
  overview: string;
  time: string;
  agent_ops: unknown[];
  entities: unknown[];
}

export const ANSWER_FORMAT = {
  response: "Your answer to the user, specific and detailed.",
  updated_entities: [{
    name: "Same name to update an entity, a new name to add one",
    description: "…",
    status: "…",
    properties: ["…"],
    available_ops: [{ name: "…", arguments: ["…"], doc: "…" }],
    past_actions: ["…"],
  }],
};

/**
 * Adaptation: describe the environment to the user (`question` null, the first turn), or
 * answer the user's question, updating the entities the answer makes more precise.
 */
export function environmentAnswerMessages(
  prompts: PromptSet,
  state: EnvironmentState,
  dialogue: readonly { question: string; response: string }[],
  question: string | null,
): ChatMessage[] {
  return [
    { role: "system", content: prompts.text("environment", "system") },
    {
      role: "user",
      // The fixed parts first, then what grows, then what is new: see `settingOf`.
      content: JSON.stringify(
        {
          instructions: question === null
            ? prompts.text("environment", "intro_instruction")
            : prompts.text("environment", "answer_instruction"),
          answer_format: prompts.json("environment", "answer_format"),
          setting: settingOf(state),
          earlier_questions_and_answers: dialogue,
          question,
        },
      ),
    },
  ];
}

export const EVENTS_FORMAT = {
  thoughts: "Briefly, what the activity leads to.",
  events: [{
    event: "One short objective sentence with the given subject.",
    deltatime: "Whole seconds the event takes (an integer, at least 1).",
    updated_entities: [{
      name: "An entity the event changes",
      description: "Its description after the event",
      status: "Its status after the event",
      properties: ["Its properties after the event"],
      new_action: "What was done to it and how it changed",
    }],
  }],
};

/** The activity loop: turn the latest activity into events. */
export function environmentEventsMessages(
  prompts: PromptSet,
  state: EnvironmentState,
  recentEvents: readonly { time: string; event: string }[],
  activity: { subject: "user" | "agent"; text: string },
  samples: readonly string[],
): ChatMessage[] {
  return [
    { role: "system", content: prompts.text("environment", "system") },
    {
      role: "user",
      // The fixed parts first, then what grows, then what is new: see `settingOf`.
      content: JSON.stringify(
        {
          answer_format: prompts.json("environment", "events_format"),
          setting: settingOf(state),
          recent_events: recentEvents,
          instructions: prompts.fill("environment", "events_instruction", {
            subject: activity.subject,
          }),
          latest_activity: { subject: activity.subject, activity: activity.text },
          example_events: samples,
        },
      ),
    },
  ];
}

/** The built-in instructions of the environment's requests. */
export const ENVIRONMENT_INSTRUCTIONS = {
  setup_instruction:
    "Expand this scene into a detailed environment setting. Add the objects the user will interact with and that matter for the theme. List the operations an assistant can run: simple, clear and feasible in the real world, always including basic ones. Pick a realistic start date-time.",
  intro_instruction:
    "Introduce this environment to the user who is about to work in it: what is there, its state, what can be done with it. Update entities whose description becomes more precise.",
  answer_instruction:
    "Answer the user's question point by point, consistently with the setting. Update the entities your answer makes more precise, or add ones it introduces.",
  events_instruction:
    "Turn the latest activity into several events, in order, each with the {subject} as its subject. Match the granularity of the example events: one action or change per event. Include the occasional aimless or failed action. Give each event its duration in whole seconds and the entities it changes.",
};
