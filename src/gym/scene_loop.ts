/**
 * One scene of the gym, played sequentially: setup, adaptation, the activity loop with the
 * proactive agent after each batch of events, and a final `end` record. Every request is
 * a pure function of the scene, `--seed` and the answers before it, under a stable cache
 * tag (`<scene>/step-3/env-events`), so a re-run replays from the completion cache and
 * writes the same log. See README "The gym's log format".
 */
import {
  AGENT_PROMPT_VERSION,
  operationsObservation,
  proposedTask,
} from "../prompts/agent_prompts.ts";
import { ENVIRONMENT_PROMPT_VERSION } from "../prompts/environment_prompts.ts";
import { REWARD_PROMPT_VERSION } from "../prompts/reward_prompts.ts";
import { USER_PROMPT_VERSION } from "../prompts/user_prompts.ts";
import type { Observation } from "../formats/trace.ts";
import { ProactiveAgentRole } from "./agent.ts";
import { type ActivitySubject, Environment } from "./environment.ts";
import {
  SceneFailure,
  type SceneRunDeps,
  type SceneRunner,
  type SceneRunOptions,
  type SceneSummary,
} from "./gym_types.ts";
import { eventObservations, rewardJudge } from "./judge.ts";
import { SceneContext } from "./scene_context.ts";
import { SimUser } from "./user.ts";

/**
 * Plays one scene (see `SceneRunner`). A failure is a `SceneFailure` carrying the counts so
 * far (an abort is rethrown as it is).
 */
export const runScene: SceneRunner = async (job, options, deps) => {
  const play = new ScenePlay(new SceneContext(job, deps, options.seed), options, deps);
  try {
    return await play.run();
  } catch (error) {
    if (deps.signal.aborted) throw error;
    throw new SceneFailure(error, play.summary(false));
  }
};

/** One scene being played: its roles, its counts, and the phases in order. */
class ScenePlay {
  readonly #counts = { steps: 0, events: 0, proposals: 0, accepted: 0 };
  readonly #env: Environment;
  readonly #user: SimUser;
  readonly #agent: ProactiveAgentRole | undefined;

  constructor(
    readonly ctx: SceneContext,
    readonly options: SceneRunOptions,
    readonly deps: SceneRunDeps,
  ) {
    this.#env = new Environment(ctx, ctx.job.config);
    this.#user = new SimUser(ctx, ctx.job.config);
    this.#agent = options.agent ? new ProactiveAgentRole(ctx) : undefined;
  }

  async run(): Promise<SceneSummary> {
    await this.#setup();
    await this.#adapt();
    const finished = await this.#activityLoop();
    const summary = this.summary(finished);
    await this.ctx.write("system", "end", JSON.stringify(summary));
    this.deps.logger.debug(
      `Scene "${this.ctx.job.name}": ${summary.steps} steps, ${summary.events} events, ` +
        `${summary.proposals} proposals (${summary.accepted} accepted)`,
    );
    return summary;
  }

  /** The scene's counts so far (also the content of its `end` record). */
  summary(finished: boolean): SceneSummary {
    const { ctx } = this;
    return {
      ...this.#counts,
      requests: ctx.requests,
      tokens: ctx.tokens,
      ...ctx.costs(),
      finished,
    };
  }

  /** 1. Setup: nothing is written before the environment has a start time. */
  async #setup(): Promise<void> {
    const { ctx, options } = this;
    const { job } = ctx;
    await this.#env.setup();
    await ctx.write(
      "system",
      "setup",
      JSON.stringify({
        scene: job.name,
        theme: job.config.environment.theme,
        goal: job.config.user.goal,
        seed: options.seed,
        agent: options.agent,
        adapt_rounds: options.adaptRounds,
        user_steps: options.userSteps,
        prompts: {
          environment: ENVIRONMENT_PROMPT_VERSION,
          user: USER_PROMPT_VERSION,
          agent: AGENT_PROMPT_VERSION,
          reward: REWARD_PROMPT_VERSION,
        },
        prompt_set: ctx.prompts.id,
      }),
    );
    const env = this.#env;
    await ctx.write("EnvManager", "agent.ops", JSON.stringify(env.agentOps));
    await ctx.write(
      "EnvManager",
      "env.status",
      JSON.stringify({ overview: env.overview, time: ctx.now(), entities: env.entities }),
    );
    await ctx.write("User", "setup", JSON.stringify(await this.#user.updateProfile("setup", [])));
  }

  /** 2. Adaptation: the environment introduces itself, then the user asks and learns. */
  async #adapt(): Promise<void> {
    const { ctx } = this;
    const learned: string[] = [];
    const answer = async (step: string, question: string | null) => {
      const { response, updated } = await this.#env.answer(step, question);
      for (const entity of updated) {
        await ctx.write("EnvManager", "env.status", JSON.stringify(entity));
      }
      await ctx.write("EnvManager", "env.response", response);
      learned.push(response);
    };
    await answer("adapt-0", null);
    for (let round = 1; round <= this.options.adaptRounds; round++) {
      this.deps.signal.throwIfAborted();
      const step = `adapt-${round}`;
      const question = await this.#user.question(step, learned);
      await ctx.write("User", "env.intro", question);
      await answer(step, question);
      await ctx.write(
        "User",
        "setup",
        JSON.stringify(await this.#user.updateProfile(step, learned)),
      );
    }
  }

  /** 3.–4. The activity loop, the agent after each batch of events; true when finished. */
  async #activityLoop(): Promise<boolean> {
    const { ctx } = this;
    this.#agent?.observe(operationsObservation(ctx.prompts, ctx.now(), this.#env.agentOps));
    for (let k = 1; k <= this.options.userSteps; k++) {
      this.deps.signal.throwIfAborted();
      const step = `step-${k}`;
      const activity = await this.#user.activity(step);
      await ctx.write("User", "activity", JSON.stringify(activity));
      if (activity.is_finished) return true;
      this.#counts.steps++;
      await this.#playEvents(step, "user", activity.act);
      if (this.#agent) await this.#agentTurn(step, this.#agent);
    }
    return false;
  }

  /** The agent's prediction after a step, its judgement, and an accepted task carried out. */
  async #agentTurn(step: string, agent: ProactiveAgentRole): Promise<void> {
    const { ctx, options } = this;
    const result = await agent.predict(step, options);
    if (result === null) return;
    if (options.rewardFilter) {
      await ctx.write("ProactiveAgent", "agent.response", JSON.stringify(result.sample));
    }
    const task = proposedTask(result.prediction);
    await ctx.write("ProactiveAgent", "agent.proactive", task, { ...result.prediction });
    if (task === null) return;
    this.#counts.proposals++;
    const judgement = options.rewardJudge
      ? await rewardJudge(ctx, `${step}/reward-judge`, task)
      : await this.#user.judge(step, task, result.prediction.Response);
    const verdict = await ctx.write("User", "agent.proactive", JSON.stringify(judgement));
    agent.observe({
      time: verdict.time,
      event: `The user ${judgement.is_accepted ? "accepted" : "rejected"} your proposal ` +
        `${JSON.stringify(task)}: ${judgement.thought}`,
    });
    if (!judgement.is_accepted) return;
    this.#counts.accepted++;
    await agent.carryOut(
      step,
      task,
      this.#env.agentOps,
      options.agentActions,
      async (action, at) => {
        await ctx.write("ProactiveAgent", "activity", JSON.stringify(action));
        return await this.#playEvents(at, "agent", action.Action ?? "");
      },
    );
  }

  /** An activity becomes events: entity updates on `env.status`, each event on `events`. */
  async #playEvents(step: string, subject: ActivitySubject, text: string): Promise<Observation[]> {
    const { ctx } = this;
    const seen: Observation[] = [];
    await this.#env.events(
      step,
      { subject, text },
      eventObservations(ctx),
      async (event, updated) => {
        for (const entity of updated) {
          await ctx.write("EnvManager", "env.status", JSON.stringify(entity));
        }
        const record = await ctx.write("EnvManager", "events", event);
        this.#counts.events++;
        const observation = { time: record.time, event };
        seen.push(observation);
        this.#agent?.observe(observation);
      },
    );
    return seen;
  }
}
