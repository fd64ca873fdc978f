/**
 * The simulated user (`user` role): builds a profile from the scene's goal, theme and
 * description, asks the environment about its entities and refines the profile with the
 * answers, then acts towards the goal step by step and judges the agent's proposals.
 */
import { z } from "zod";
import type { SceneConfig } from "../formats/scene.ts";
import {
  userActivityMessages,
  type UserBrief,
  userJudgeMessages,
  type UserMemoryItem,
  userProfileMessages,
  userQuestionMessages,
} from "../prompts/user_prompts.ts";
import type { GymRecord } from "./gym_types.ts";
import type { SceneContext } from "./scene_context.ts";

export const userProfileSchema = z.object({
  name: z.string(),
  age: z.number().int(),
  job: z.string(),
  education: z.string(),
  characteristics: z.array(z.string()),
  identities: z.array(z.string()),
});
export type UserProfile = z.infer<typeof userProfileSchema>;

export const userQuestionSchema = z.object({ question: z.string().trim().min(1) });

export const userActivitySchema = z.object({
  is_finished: z.boolean(),
  act: z.string(),
});
export type UserActivity = z.infer<typeof userActivitySchema>;

export const judgementSchema = z.object({
  thought: z.string(),
  is_accepted: z.boolean(),
});
export type ProposalJudgement = z.infer<typeof judgementSchema>;

/** Records the user sees in the activity loop (the reference's choice of channels). */
const SEEN_TAGS = new Set(["activity", "env.status", "events", "agent.proactive"]);
/** The most recent of those shown to the user. */
export const USER_MEMORY_SHOWN = 60;

export class SimUser {
  readonly #ctx: SceneContext;
  readonly brief: UserBrief;
  profile: UserProfile | undefined;

  constructor(ctx: SceneContext, scene: SceneConfig) {
    this.#ctx = ctx;
    this.brief = {
      goal: scene.user.goal,
      theme: scene.user.theme ?? scene.environment.theme,
      description: scene.user.description,
    };
  }

  /** Builds (`learned` empty) or refines the profile. */
  async updateProfile(step: string, learned: readonly string[]): Promise<UserProfile> {
    this.profile = await this.#ctx.ask(
      "user",
      `${step}/user-profile`,
      userProfileSchema,
      userProfileMessages(this.#ctx.prompts, this.brief, this.profile ?? null, learned),
    );
    return this.profile;
  }

  async question(step: string, learned: readonly string[]): Promise<string> {
    const { question } = await this.#ctx.ask(
      "user",
      `${step}/user-question`,
      userQuestionSchema,
      userQuestionMessages(this.#ctx.prompts, this.brief, this.#profile(), learned),
    );
    return question;
  }

  async activity(step: string): Promise<UserActivity> {
    return await this.#ctx.ask(
      "user",
      `${step}/user-activity`,
      userActivitySchema,
      userActivityMessages(this.#ctx.prompts, this.brief, this.#profile(), this.memory()),
    );
  }

  /** Judges a proposed task (and what the agent said when proposing it). */
  async judge(step: string, task: string, message: string | null): Promise<ProposalJudgement> {
    return await this.#ctx.ask(
      "user",
      `${step}/user-judge`,
      judgementSchema,
      userJudgeMessages(
        this.#ctx.prompts,
        this.brief,
        this.#profile(),
        this.memory(),
        task,
        message,
      ),
    );
  }

  /** What the user has seen of the scene, oldest first (the most recent ones). */
  memory(): UserMemoryItem[] {
    return this.#ctx.records
      // The agent staying quiet (a null proposal) is nothing the user sees.
      .filter((record) => SEEN_TAGS.has(record.tags[0]) && record.content !== null)
      .slice(-USER_MEMORY_SHOWN)
      .map(memoryItem);
  }

  #profile(): UserProfile {
    if (!this.profile) throw new Error("The user has no profile yet");
    return this.profile;
  }
}

function memoryItem(record: GymRecord): UserMemoryItem {
  return {
    time: record.time,
    source: record.source,
    kind: record.tags[0],
    content: record.content ?? "null",
  };
}
