/**
 * The simulated environment (`env` role): expands the scene into a setting with a start
 * time, introduces itself and answers the user's questions during adaptation, and turns
 * each activity into events that advance the clock and update entities.
 */
import { z } from "zod";
import type { SceneConfig } from "../formats/scene.ts";
import {
  environmentAnswerMessages,
  environmentEventsMessages,
  environmentSetupMessages,
  type EnvironmentState,
} from "../prompts/environment_prompts.ts";
import { sceneTimeSchema, SimClock } from "./clock.ts";
import { sampleUpTo, type SceneContext } from "./scene_context.ts";

export const operationSchema = z.object({
  name: z.string(),
  arguments: z.array(z.string()),
  doc: z.string(),
});

export const entitySchema = z.object({
  name: z.string().trim().min(1),
  description: z.string(),
  status: z.string(),
  properties: z.array(z.string()),
  available_ops: z.array(operationSchema),
  past_actions: z.array(z.string()),
});
export type Entity = z.infer<typeof entitySchema>;

export const environmentSettingSchema = z.object({
  overview: z.string(),
  time: sceneTimeSchema,
  agent_ops: z.array(operationSchema),
  entities: z.array(entitySchema),
});

export const environmentAnswerSchema = z.object({
  response: z.string(),
  updated_entities: z.array(entitySchema),
});

export const entityUpdateSchema = z.object({
  name: z.string().trim().min(1),
  description: z.string(),
  status: z.string(),
  properties: z.array(z.string()),
  new_action: z.string(),
});
export type EntityUpdate = z.infer<typeof entityUpdateSchema>;

export const eventsSchema = z.object({
  thoughts: z.string(),
  events: z.array(z.object({
    event: z.string().trim().min(1),
    deltatime: z.number().int("deltatime must be a whole number of seconds").min(
      1,
      "deltatime must be at least 1 second",
    ),
    updated_entities: z.array(entityUpdateSchema),
  })).min(1, "expected at least one event"),
});

/** Example events sampled for one request. */
export const EXAMPLE_EVENTS_PER_REQUEST = 5;
/** Events the environment sees when it makes new ones (the most recent). */
export const RECENT_EVENTS_SHOWN = 40;

/** Who acted: the subject of the events the environment makes. */
export type ActivitySubject = "user" | "agent";

export class Environment {
  readonly #ctx: SceneContext;
  readonly #scene: SceneConfig;
  overview = "";
  agentOps: z.infer<typeof operationSchema>[] = [];
  entities: Entity[] = [];
  /** The adaptation dialogue so far. */
  readonly dialogue: { question: string; response: string }[] = [];

  constructor(ctx: SceneContext, scene: SceneConfig) {
    this.#ctx = ctx;
    this.#scene = scene;
  }

  /** The setting as the roles see it, at the current time. */
  state(): EnvironmentState {
    return {
      overview: this.overview,
      time: this.#ctx.now(),
      agent_ops: this.agentOps,
      entities: this.entities,
    };
  }

  /** Expands the scene; starts the clock. Writes nothing (the caller logs the setting). */
  async setup(): Promise<void> {
    const env = this.#scene.environment;
    const setting = await this.#ctx.ask(
      "env",
      "setup/env-setting",
      environmentSettingSchema,
      environmentSetupMessages(this.#ctx.prompts, {
        theme: env.theme,
        description: env.description,
        entities: env.entities,
        agentOps: env.agent_ops,
      }),
    );
    this.overview = setting.overview;
    this.agentOps = setting.agent_ops;
    this.entities = [];
    for (const entity of setting.entities) this.#replaceEntity(entity);
    this.#ctx.clock = SimClock.at(setting.time);
  }

  /** Introduces itself (`question` null) or answers; returns the response and updates. */
  async answer(
    step: string,
    question: string | null,
  ): Promise<{ response: string; updated: Entity[] }> {
    const answer = await this.#ctx.ask(
      "env",
      `${step}/env-answer`,
      environmentAnswerSchema,
      environmentAnswerMessages(this.#ctx.prompts, this.state(), this.dialogue, question),
    );
    const updated = answer.updated_entities.map((entity) => this.#replaceEntity(entity));
    this.dialogue.push({ question: question ?? "", response: answer.response });
    return { response: answer.response, updated };
  }

  /**
   * Turns an activity into events. For each event in order: the clock advances by its
   * duration, then `onEvent` gets the entities it changed (after the change) and its text.
   */
  async events(
    step: string,
    activity: { subject: ActivitySubject; text: string },
    recentEvents: readonly { time: string; event: string }[],
    onEvent: (event: string, updated: Entity[]) => Promise<void>,
  ): Promise<number> {
    const random = await this.#ctx.random(`${step}/example-events`);
    const samples = sampleUpTo(
      random,
      this.#scene.environment.events_example,
      EXAMPLE_EVENTS_PER_REQUEST,
    ).map((sample) => toSubject(sample, activity.subject));
    const answer = await this.#ctx.ask(
      "env",
      `${step}/env-events`,
      eventsSchema,
      environmentEventsMessages(
        this.#ctx.prompts,
        this.state(),
        recentEvents.slice(-RECENT_EVENTS_SHOWN),
        activity,
        samples,
      ),
    );
    for (const event of answer.events) {
      this.#ctx.clock!.advance(event.deltatime);
      const updated = event.updated_entities.map((update) => this.#applyUpdate(update));
      await onEvent(event.event, updated);
    }
    return answer.events.length;
  }

  #replaceEntity(entity: Entity): Entity {
    const copy = structuredClone(entity);
    const index = this.entities.findIndex((e) => e.name === copy.name);
    if (index === -1) this.entities.push(copy);
    else this.entities[index] = copy;
    return copy;
  }

  #applyUpdate(update: EntityUpdate): Entity {
    const existing = this.entities.find((e) => e.name === update.name);
    if (!existing) {
      const entity: Entity = {
        name: update.name,
        description: update.description,
        status: update.status,
        properties: update.properties,
        available_ops: [],
        past_actions: [update.new_action],
      };
      this.entities.push(entity);
      return structuredClone(entity);
    }
    existing.description = update.description;
    existing.status = update.status;
    existing.properties = update.properties;
    existing.past_actions.push(update.new_action);
    return structuredClone(existing);
  }
}

/**
 * An example event rewritten for `subject`: the reference swaps "user"/"agent" (either
 * case) so the examples show the subject the events must have. Whole words only.
 */
export function toSubject(event: string, subject: ActivitySubject): string {
  const [from, to] = subject === "user" ? ["agent", "user"] : ["user", "agent"];
  return event.replace(new RegExp(`\\b${from}\\b`, "gi"), (word) => {
    if (word === word.toUpperCase()) return to.toUpperCase();
    if (word[0] === word[0].toUpperCase()) return to[0].toUpperCase() + to.slice(1);
    return to;
  });
}
