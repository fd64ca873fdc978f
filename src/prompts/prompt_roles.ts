/**
 * Every text proactive sends to a model, by role and field: what each one is for, which
 * stages send it, and its placeholders. This is the schema of a prompt set file
 * (`prompt_set.ts`); the built-in values are in `builtin_prompts.ts`.
 *
 * A field is `text` (a template, see `prompt_template.ts`) or `json` (a value sent inside
 * a JSON message, e.g. the shape of the answer asked for). A placeholder is `required`
 * under the protocols listed (a text without it could not say what it must), otherwise
 * optional. Fields marked `reference` are only sent under `protocol: reference`, where the
 * stages send the reference's own message layouts; `fallback` names the role whose field
 * is used when a set leaves one out (eval agent asks the agent's question).
 *
 * @module
 */

export type Protocol = "proactive" | "reference";
export const PROTOCOLS: readonly Protocol[] = ["proactive", "reference"];

export interface PlaceholderSpec {
  name: string;
  doc: string;
  /** The protocols under which a text must use it. */
  required: readonly Protocol[];
}

export interface PromptFieldSpec {
  kind: "text" | "json";
  doc: string;
  placeholders?: readonly PlaceholderSpec[];
  /** Sent only under this protocol (the reference's own layout). */
  only?: Protocol;
}

export interface PromptRoleSpec {
  doc: string;
  /** The stages that send this role's texts. */
  stages: readonly string[];
  /** The role whose field is used when a set leaves one of this role's out. */
  fallback?: string;
  fields: Readonly<Record<string, PromptFieldSpec>>;
}

const both: readonly Protocol[] = ["proactive", "reference"];
const proactiveOnly: readonly Protocol[] = ["proactive"];

const text = (doc: string, placeholders: PlaceholderSpec[] = []): PromptFieldSpec => ({
  kind: "text",
  doc,
  ...(placeholders.length > 0 ? { placeholders } : {}),
});
const json = (doc: string): PromptFieldSpec => ({ kind: "json", doc });
const referenceText = (doc: string): PromptFieldSpec => ({ kind: "text", doc, only: "reference" });

export const PROMPT_ROLES = {
  scenes: {
    doc: "proactive scenes: one conversation per seed task, six instructions in a row",
    stages: ["scenes"],
    fields: {
      system: text("The system message of the conversation."),
      step1: text("Step 1: describe the scene.", [
        { name: "kind", doc: "the scene kind of the seed file", required: both },
        { name: "task", doc: "the seed task", required: both },
      ]),
      step2: text("Step 2: the tasks and the users.", [
        { name: "task", doc: "the seed task", required: both },
      ]),
      step3: text("Step 3: the entities."),
      step4: text("Step 4: what the assistant can do."),
      step5: text("Step 5: example events.", [{
        name: "sample_events",
        doc: 'the kind\'s sample events, joined by "\\n- "',
        required: both,
      }]),
      step6: text("Step 6: everything as a JSON list of scenes."),
      repair: text("The re-ask after a step-6 answer that held no usable scene.", [
        { name: "error", doc: "what was wrong with the answer", required: proactiveOnly },
      ]),
    },
  },
  environment: {
    doc: "the gym's simulated environment (role env)",
    stages: ["datagen"],
    fields: {
      system: text("The system message of every environment request."),
      setup_instruction: text("Setup: expand the scene into a detailed setting."),
      setup_format: json("The shape of the setup answer."),
      intro_instruction: text("Adaptation: introduce the environment to the user."),
      answer_instruction: text("Adaptation: answer the user's question."),
      answer_format: json("The shape of an adaptation answer."),
      events_instruction: text("The activity loop: turn the latest activity into events.", [
        { name: "subject", doc: '"user" or "agent"', required: [] },
      ]),
      events_format: json("The shape of an events answer."),
    },
  },
  user: {
    doc: "the gym's simulated user",
    stages: ["datagen"],
    fields: {
      system: text("The system message of every user request."),
      profile_instruction: text("Create the user's profile from the scene."),
      refine_instruction: text("Refine the profile with what the environment told the user."),
      profile_format: json("The shape of a profile."),
      question_instruction: text("Adaptation: ask the environment about its entities."),
      question_format: json("The shape of the questions."),
      activity_instruction: text("The activity loop: the next action, or that the goal is met."),
      activity_format: json("The shape of an activity answer."),
      judge_instruction: text("Accept or reject the assistant's proposal."),
      judge_format: json("The shape of a judgement."),
    },
  },
  agent: {
    doc: "the proactive agent: predict (gym, agent-trainset), carry out a task (gym)",
    stages: ["datagen", "agent-trainset"],
    fields: {
      system: text("The agent's system message."),
      step_instruction: text("The instruction of each prediction step."),
      retry_instruction: text("Asking again after the prediction was rejected."),
      operations_event: text("The first observation: the operations the agent can run.", [
        { name: "operations", doc: "the scene's agent_ops, as JSON", required: proactiveOnly },
      ]),
      act_instruction: text("Carrying out an accepted task, one action at a time."),
      act_format: json("The shape of an action."),
      exec: referenceText("The reference's execution prompt (EXEC)."),
    },
  },
  eval_agent: {
    doc: "the agent at a turn of a recorded trace: eval agent, and traces' candidate sampling",
    stages: ["eval agent", "traces"],
    fallback: "agent",
    fields: {
      system: text("The system message (default: the agent's)."),
      step_instruction: text("The instruction of each turn (default: the agent's)."),
      step: referenceText(
        "The reference's turn message: JSON text whose \"[placeholder]\" is replaced by the turn's event.",
      ),
    },
  },
  reward: {
    doc: "the reward model judging one proposal: eval judge, eval reward, the gym's " +
      "--reward-filter / --reward-judge, agent-trainset, and the training set reward writes",
    stages: ["reward", "eval judge", "eval reward", "datagen", "agent-trainset"],
    fields: {
      system: text("The reward model's system message."),
      instruction: text("The instruction after the situation and the proposal."),
    },
  },
  reward_explain: {
    doc: "proactive reward: the user's reasoning behind a known judgement",
    stages: ["reward"],
    fallback: "reward",
    fields: {
      system: text("The system message (default: the reward model's)."),
      instruction: text("The instruction; under the proactive protocol it says the decision.", [
        { name: "judgement", doc: '"accepted" or "rejected"', required: proactiveOnly },
        { name: "decision", doc: "one of the four decision_* texts", required: proactiveOnly },
      ]),
      decision_accept: text("The decision: accept the proposed task."),
      decision_reject: text("The decision: reject the proposed task."),
      decision_silent_right: text("The decision: no task was proposed, rightly."),
      decision_missed_need: text("The decision: no task was proposed, but help was wanted."),
    },
  },
  consistency: {
    doc: "proactive reward: which judgement a reasoning supports on its own",
    stages: ["reward"],
    fields: {
      system: text("The system message of the check."),
      instruction: text("The instruction after the reasoning."),
    },
  },
} as const satisfies Record<string, PromptRoleSpec>;

export type RoleName = keyof typeof PROMPT_ROLES;
export type FieldName<R extends RoleName> = keyof (typeof PROMPT_ROLES)[R]["fields"] & string;

export const ROLE_NAMES = Object.keys(PROMPT_ROLES) as RoleName[];

/** The spec of `role.field`, or undefined for an unknown one. */
export function fieldSpec(role: string, field: string): PromptFieldSpec | undefined {
  if (!Object.hasOwn(PROMPT_ROLES, role)) return undefined;
  const fields: Readonly<Record<string, PromptFieldSpec>> = PROMPT_ROLES[role as RoleName].fields;
  return Object.hasOwn(fields, field) ? fields[field] : undefined;
}
