/**
 * The contract between the gym's scene loop (`scene_loop.ts`: environment, user, agent and
 * judge playing one scene) and `proactive datagen` (which finds scenes, leases them, opens
 * their logs and runs several at once).
 *
 * Log format — the reference project's, so tools written for its logs keep working: one
 * JSON object a line, `{"source", "time", "tags": [<one tag>], "content"}` (see README).
 */
import type { Logger } from "../cli/logger.ts";
import type { SceneConfig } from "../formats/scene.ts";
import type { PrefixCounts } from "./prefix_reuse.ts";
import type { LlmRuntime } from "../llm/llm_runtime.ts";

export const GYM_TAGS = [
  "setup",
  "activity",
  "events",
  "env.intro",
  "env.response",
  "env.status",
  "agent.ops",
  "agent.proactive",
  "agent.response",
  "end",
] as const;
export type GymTag = typeof GYM_TAGS[number];

export const GYM_SOURCES = ["EnvManager", "User", "ProactiveAgent", "system"] as const;
export type GymSource = typeof GYM_SOURCES[number];

/** One line of a gym log. */
export interface GymRecord {
  source: GymSource;
  /** The simulated clock, `MM-DD HH:MM:SS` zero-padded. */
  time: string;
  tags: [GymTag];
  /**
   * A string: the event text on `events`, the proposed task on `agent.proactive` from
   * ProactiveAgent (`null` when it proposed nothing), JSON text wherever it is structured.
   */
  content: string | null;
  /**
   * On ProactiveAgent's `agent.proactive` only: the whole prediction (`Purpose`, `Thoughts`,
   * `Proactive Task`, `Response`), so `agent-trainset` keeps what the agent said with the
   * task. Readers of the four keys above are not disturbed by it.
   */
  prediction?: Record<string, unknown>;
}

/** Where one scene's records go, in order. */
export interface GymLogSink {
  /** Resolves once the record is appended and flushed to the log file. */
  write(record: GymRecord): Promise<void>;
}

/** One scene to play. */
export interface SceneJob {
  /** Stable, descriptive name (`scene_codingassistant-007-2`); also the lease key. */
  name: string;
  config: SceneConfig;
  /** The complete log's path (`<name>.jsonl`; written as `<path>.partial` until done). */
  logPath: string;
}

/** How a scene is played (`proactive datagen` flags). */
export interface SceneRunOptions {
  /** `--adapt-rounds` (2): rounds of the user asking about the environment. */
  adaptRounds: number;
  /** `--user-steps` (7): user activity steps, counting only steps that happened. */
  userSteps: number;
  /**
   * Which of the two were given on the command line; the others come from the scene's
   * `user.adapt_times` / `user.action_times` when it has them (`sceneRunOptionsFor`).
   */
  given?: { adaptRounds: boolean; userSteps: boolean };
  /** Off with `--no-agent`. */
  agent: boolean;
  /** `--reward-filter`: the reward model vets each prediction before it is used. */
  rewardFilter: boolean;
  /** `--filter-retries` (3): re-asks of a rejected prediction. */
  filterRetries: number;
  /** `--reward-judge`: the reward model, not the simulated user, judges proposals. */
  rewardJudge: boolean;
  /** `--agent-actions` (5): most action steps when carrying out an accepted task. */
  agentActions: number;
  /** `--seed`: with the scene's name, seeds every sampling step of the scene. */
  seed: number;
}

export interface SceneRunDeps {
  llm: LlmRuntime;
  log: GymLogSink;
  logger: Logger;
  signal: AbortSignal;
}

/** What a played scene reports (also the content of its `end` record). */
export interface SceneSummary {
  /** User activity steps that happened. */
  steps: number;
  events: number;
  proposals: number;
  accepted: number;
  /**
   * Model answers the scene needed (re-asks included; from the model or from the completion
   * cache alike, so a replay gives the same record) and their tokens as reported when made.
   */
  requests: number;
  tokens: number;
  /** The two parts of `tokens`. */
  prompt_tokens?: number;
  completion_tokens?: number;
  /**
   * Per role: prompt characters sent and those repeating the start of an earlier request
   * of this scene (what a server's prefix cache can reuse; `prefix_reuse.ts`).
   */
  prefix_reuse?: Record<string, PrefixCounts>;
  /** True when the user said it was finished, false when the step budget ran out. */
  finished: boolean;
}

/**
 * Plays one scene to the end, writing every record (the last one `end`, source `system`,
 * whose content is the summary as JSON) to `deps.log`. Rejects when the scene cannot be
 * completed (the error names the scene and why); nothing is retried at this level beyond
 * the LLM layer's own bounds.
 */
export type SceneRunner = (
  job: SceneJob,
  options: SceneRunOptions,
  deps: SceneRunDeps,
) => Promise<SceneSummary>;

/**
 * A runner's failure with what the scene did before it failed (its `summary`: steps,
 * events, proposals, requests and tokens so far; `finished` false), so the run's accounting
 * names the cost of failed scenes too. Its message is the cause's.
 */
export class SceneFailure extends Error {
  readonly summary: SceneSummary;

  constructor(cause: unknown, summary: SceneSummary) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = "SceneFailure";
    this.summary = summary;
  }
}

/**
 * The options of one scene: `--adapt-rounds` / `--user-steps` when given, else the
 * configuration's `user.adapt_times` / `user.action_times`, else the defaults in
 * `options`. Under protocol: reference a configuration's (or the default) count of
 * activities is `action_times + 1`: the reference's user takes a first step and then
 * `action_times` more, each triggered by events. An explicit `--user-steps` is the count.
 */
export function sceneRunOptionsFor(
  config: SceneConfig,
  options: SceneRunOptions,
  protocol: "proactive" | "reference",
): SceneRunOptions {
  const { adapt_times: adaptTimes, action_times: actionTimes } = config.user;
  const adaptRounds = options.given?.adaptRounds
    ? options.adaptRounds
    : adaptTimes ?? options.adaptRounds;
  const base = options.given?.userSteps ? options.userSteps : actionTimes ?? options.userSteps;
  const extra = !options.given?.userSteps && protocol === "reference" ? 1 : 0;
  return { ...options, adaptRounds, userSteps: Math.max(1, base + extra) };
}
