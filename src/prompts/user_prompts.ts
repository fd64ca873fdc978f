/**
 * The simulated user's prompts (the gym's `user` role). Each request is one system
 * message and one user message holding a JSON document: the goal, the profile, what the
 * user has seen so far and what to answer. Bump the version whenever the wording changes.
 */
import type { ChatMessage } from "../llm/llm_types.ts";

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

const PROFILE_FORMAT = {
  name: "Full name",
  age: "Age in years (an integer)",
  job: "Job title and workplace",
  education: "Highest education: school and major",
  characteristics: ["Habits, hobbies, working style, one per entry"],
  identities: ["Every identity the person may have (e.g. parent, team lead)"],
};

function message(content: Record<string, unknown>): ChatMessage[] {
  return [
    { role: "system", content: USER_SYSTEM_PROMPT },
    { role: "user", content: JSON.stringify(content) },
  ];
}

/**
 * The profile: built from the scene (`learned` empty, `profile` null) or refined with what
 * the environment has told the user.
 */
export function userProfileMessages(
  brief: UserBrief,
  profile: UserProfileText | null,
  learned: readonly string[],
): ChatMessage[] {
  return message({
    goal: brief.goal,
    theme: brief.theme,
    description: brief.description,
    ...(profile === null ? {} : { current_profile: profile }),
    ...(learned.length === 0 ? {} : { what_the_environment_told_you: learned }),
    instructions: profile === null
      ? "Create the profile of the person in this scene, detailed and consistent with the description."
      : "Refine your profile with what you have learned about the environment: keep what still holds, make it more specific, add what the environment reveals about you.",
    answer_format: PROFILE_FORMAT,
  });
}

/** Adaptation: ask the environment about its entities. */
export function userQuestionMessages(
  brief: UserBrief,
  profile: UserProfileText,
  learned: readonly string[],
): ChatMessage[] {
  return message({
    goal: brief.goal,
    profile,
    what_the_environment_told_you: learned,
    instructions:
      "Ask the environment for the specific information you still need about its entities (devices, software, documents, people): what they are, their state, what can be done with them. Ask to understand the environment, not to get your goal done. Several questions at once are fine.",
    answer_format: { question: "Your questions, numbered." },
  });
}

/** The activity loop: the next action, or that the goal is reached. */
export function userActivityMessages(
  brief: UserBrief,
  profile: UserProfileText,
  memory: readonly UserMemoryItem[],
): ChatMessage[] {
  return message({
    goal: brief.goal,
    profile,
    what_happened_so_far: memory,
    instructions:
      "Describe the one action you take next towards your goal, and why, based on what you observe. Be specific; do not describe later actions. If your goal is reached, set is_finished to true.",
    answer_format: {
      is_finished: "true when the goal is reached, else false",
      act: "Your next action and why you take it",
    },
  });
}

/** A proposal from the proactive assistant: accept it or not. */
export function userJudgeMessages(
  brief: UserBrief,
  profile: UserProfileText,
  memory: readonly UserMemoryItem[],
  task: string,
  assistantMessage: string | null,
): ChatMessage[] {
  return message({
    goal: brief.goal,
    profile,
    what_happened_so_far: memory,
    assistant_proposal: task,
    ...(assistantMessage === null ? {} : { assistant_says: assistantMessage }),
    instructions:
      "The assistant offers to do this task for you now. Decide as yourself whether you accept it, given what you are doing and what would help you.",
    answer_format: {
      thought: "Your reasoning, in the first person",
      is_accepted: "true or false",
    },
  });
}
