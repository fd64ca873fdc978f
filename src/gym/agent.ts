/**
 * The proactive agent (`agent` role) in the gym. It sees the scene as a conversation:
 * after each batch of events one user message with the observations since its previous
 * step (events, the user's judgements of its proposals, first the operations it can run)
 * and its own earlier predictions as its own turns (`prompts/agent_prompts.ts`).
 *
 * With the reward filter, the reward model vets each prediction; a rejected one is asked
 * again with the previous prediction, status "Rejected" and the reward model's reasoning,
 * at most `filterRetries` times. An accepted task is carried out as `{Thoughts, Action}`
 * steps, at most `agentActions` of them.
 */
import type { Observation } from "../formats/trace.ts";
import type { ChatMessage } from "../llm/llm_types.ts";
import {
  type AgentAction,
  agentActionSchema,
  agentActMessage,
  agentMessages,
  type AgentPrediction,
  agentPredictionMessage,
  agentPredictionSchema,
  agentRetryMessage,
  agentStepMessage,
  agentTrainingSample,
  proposedTask,
} from "../prompts/agent_prompts.ts";
import { rewardJudge } from "./judge.ts";
import type { SceneContext } from "./scene_context.ts";

/** Sampling temperature of a prediction asked again after a rejection. */
export const RETRY_TEMPERATURE = 0.8;

export interface PredictOptions {
  rewardFilter: boolean;
  filterRetries: number;
}

export interface Prediction {
  prediction: AgentPrediction;
  /** The request and the answer: a training sample. */
  sample: ChatMessage[];
  /** Predictions the reward filter rejected before this one. */
  rejected: number;
}

export class ProactiveAgentRole {
  readonly #ctx: SceneContext;
  /** Earlier steps: user and assistant messages, alternating. */
  readonly history: ChatMessage[] = [];
  /** Observations since the last prediction that was kept. */
  pending: Observation[] = [];

  constructor(ctx: SceneContext) {
    this.#ctx = ctx;
  }

  observe(observation: Observation): void {
    this.pending.push(observation);
  }

  /**
   * One step's prediction, or null when the reward filter rejected every attempt (the
   * observations then carry over to the next step).
   */
  async predict(step: string, options: PredictOptions): Promise<Prediction | null> {
    const observations = [...this.pending];
    let prediction = await this.#ctx.ask(
      "agent",
      `${step}/agent-predict-0`,
      agentPredictionSchema,
      agentMessages(this.#ctx.prompts, this.history, observations),
    );
    let rejected = 0;
    if (options.rewardFilter) {
      for (let attempt = 0;; attempt++) {
        const verdict = await rewardJudge(
          this.#ctx,
          `${step}/reward-filter-${attempt}`,
          proposedTask(prediction),
        );
        if (verdict.is_accepted) break;
        rejected++;
        if (attempt >= options.filterRetries) {
          this.#ctx.deps.logger.debug(
            `Scene "${this.#ctx.name}", ${step}: every prediction was rejected; no proposal`,
          );
          return null;
        }
        prediction = await this.#ctx.ask(
          "agent",
          `${step}/agent-predict-${attempt + 1}`,
          agentPredictionSchema,
          [
            { role: "system", content: this.#ctx.prompts.text("agent", "system") },
            ...this.history,
            agentRetryMessage(this.#ctx.prompts, observations, prediction, verdict.thought),
          ],
          { temperature: RETRY_TEMPERATURE },
        );
      }
    }
    const prompts = this.#ctx.prompts;
    const sample = agentTrainingSample(prompts, this.history, observations, prediction);
    this.history.push(agentStepMessage(prompts, observations), agentPredictionMessage(prediction));
    this.pending = [];
    return { prediction, sample, rejected };
  }

  /**
   * Carries out an accepted task: asks for the next action until it is null or
   * `maxActions` actions were performed; `perform` turns an action into events and
   * returns them as observations.
   */
  async carryOut(
    step: string,
    task: string,
    operations: readonly unknown[],
    maxActions: number,
    perform: (action: AgentAction, actionStep: string) => Promise<Observation[]>,
  ): Promise<number> {
    const conversation: ChatMessage[] = [
      { role: "system", content: this.#ctx.prompts.text("agent", "system") },
      ...this.history,
      agentActMessage(this.#ctx.prompts, task, operations, []),
    ];
    let performed = 0;
    while (performed < maxActions) {
      const actionStep = `${step}/action-${performed + 1}`;
      const action = await this.#ctx.ask(
        "agent",
        `${actionStep}/agent-act`,
        agentActionSchema,
        conversation,
      );
      if (action.Action === null || action.Action.trim() === "") break;
      performed++;
      const observations = await perform(action, actionStep);
      conversation.push(
        { role: "assistant", content: JSON.stringify(action) },
        agentActMessage(this.#ctx.prompts, task, operations, observations),
      );
    }
    return performed;
  }
}
