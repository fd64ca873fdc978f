/**
 * The simulated user's prompts (the gym's `user` role). Each request is one system
 * message and one user message holding a JSON document: the goal, the profile, what the
 * user has seen so far and what to answer. Bump the version whenever the wording changes.
 */
import type { ChatMessage } from "../llm/llm_types.ts";
import type { PromptSet } from "./prompt_set.ts";

export const USER_PROMPT_VERSION = "user-v1";

export const USER_SYSTEM_PROMPT =
  `You play a person working towards a goal in a simulated environment. You receive what happens around you (events, answers from the environment, offers from a proactive assistant) and decide what you do next.

Rules:
- Act like a real person with the profile you are given: not perfectly efficient, not predictable, sometimes distracted or mistaken.
- Information you receive may be incomplete or wrong; judge it critically.
- The environment can change at any time; notice it.
- Answer with one JSON object only, in the shape the request gives.`;

/** What the user knows about the scene from the start. */
export interface UserBrief {
  goal: string;
  theme: string;
  /** The scene's description of the user (the reference leaves it out). */
  description: string;
}

/** A profile, as the user role writes it. */
export interface UserProfileText {
  name: string;
  age: number;
  job: string;
  education: string;
  characteristics: string[];
  identities: string[];
}

/** One thing the user has seen or done, oldest first. */
export interface UserMemoryItem {
  time: string;
  source: string;
  kind: string;
  content: string;
}

export const PROFILE_FORMAT = {
  name: "Full name",
  age: "Age in years (an integer)",
  job: "Job title and workplace",
  education: "Highest education: school and major",
  characteristics: ["Habits, hobbies, working style, one per entry"],
  identities: ["Every identity the person may have (e.g. parent, team lead)"],
};

function message(prompts: PromptSet, content: Record<string, unknown>): ChatMessage[] {
  return [
    { role: "system", content: prompts.text("user", "system") },
    { role: "user", content: JSON.stringify(content) },
  ];
}

/**
 * The profile: built from the scene (`learned` empty, `profile` null) or refined with what
 * the environment has told the user.
 */
export function userProfileMessages(
  prompts: PromptSet,
  brief: UserBrief,
  profile: UserProfileText | null,
  learned: readonly string[],
): ChatMessage[] {
  return message(prompts, {
    goal: brief.goal,
    theme: brief.theme,
    description: brief.description,
    ...(profile === null ? {} : { current_profile: profile }),
    ...(learned.length === 0 ? {} : { what_the_environment_told_you: learned }),
    instructions: profile === null
      ? prompts.text("user", "profile_instruction")
      : prompts.text("user", "refine_instruction"),
    answer_format: prompts.json("user", "profile_format"),
  });
}

/** Adaptation: ask the environment about its entities. */
export function userQuestionMessages(
  prompts: PromptSet,
  brief: UserBrief,
  profile: UserProfileText,
  learned: readonly string[],
): ChatMessage[] {
  return message(prompts, {
    goal: brief.goal,
    profile,
    what_the_environment_told_you: learned,
    instructions: prompts.text("user", "question_instruction"),
    answer_format: prompts.json("user", "question_format"),
  });
}

/** The activity loop: the next action, or that the goal is reached. */
export function userActivityMessages(
  prompts: PromptSet,
  brief: UserBrief,
  profile: UserProfileText,
  memory: readonly UserMemoryItem[],
): ChatMessage[] {
  return message(prompts, {
    goal: brief.goal,
    profile,
    what_happened_so_far: memory,
    instructions: prompts.text("user", "activity_instruction"),
    answer_format: prompts.json("user", "activity_format"),
  });
}

/** A proposal from the proactive assistant: accept it or not. */
export function userJudgeMessages(
  prompts: PromptSet,
  brief: UserBrief,
  profile: UserProfileText,
  memory: readonly UserMemoryItem[],
  task: string,
  assistantMessage: string | null,
): ChatMessage[] {
  return message(prompts, {
    goal: brief.goal,
    profile,
    what_happened_so_far: memory,
    assistant_proposal: task,
    ...(assistantMessage === null ? {} : { assistant_says: assistantMessage }),
    instructions: prompts.text("user", "judge_instruction"),
    answer_format: prompts.json("user", "judge_format"),
  });
}

/** The built-in instructions and answer shapes of the user's requests. */
export const USER_TEXTS = {
  profile_instruction:
    "Create the profile of the person in this scene, detailed and consistent with the description.",
  refine_instruction:
    "Refine your profile with what you have learned about the environment: keep what still holds, make it more specific, add what the environment reveals about you.",
  profile_format: PROFILE_FORMAT,
  question_instruction:
    "Ask the environment for the specific information you still need about its entities (devices, software, documents, people): what they are, their state, what can be done with them. Ask to understand the environment, not to get your goal done. Several questions at once are fine.",
  question_format: { question: "Your questions, numbered." },
  activity_instruction:
    "Describe the one action you take next towards your goal, and why, based on what you observe. Be specific; do not describe later actions. If your goal is reached, set is_finished to true.",
  activity_format: {
    is_finished: "true when the goal is reached, else false",
    act: "Your next action and why you take it",
  },
  judge_instruction:
    "The assistant offers to do this task for you now. Decide as yourself whether you accept it, given what you are doing and what would help you.",
  judge_format: {
    thought: "Your reasoning, in the first person",
    is_accepted: "true or false",
  },
};
