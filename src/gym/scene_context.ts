/**
 * What every role of one scene shares: the scene's log (records kept in memory too, so
 * roles can look back), its clock, its per-scene LLM accounting and seeded sampling, and
 * `ask` — a structured request with a stable cache tag whose failure names the scene, the
 * step and the role.
 */
import type { PromptSet } from "../prompts/prompt_set.ts";
import type { z } from "zod";
import { ProactiveError, runtimeError } from "../cli/errors.ts";
import type { LlmRole } from "../llm/llm_config.ts";
import type { CallUsage, ChatMessage, ChatParams } from "../llm/llm_types.ts";
import { PythonRandom } from "../random/python_random.ts";
import type { SimClock } from "./clock.ts";
import type {
  GymRecord,
  GymSource,
  GymTag,
  SceneJob,
  SceneRunDeps,
  SceneSummary,
} from "./gym_types.ts";
import { PrefixReuse } from "./prefix_reuse.ts";

export class SceneContext {
  readonly job: SceneJob;
  readonly deps: SceneRunDeps;
  readonly seed: number;
  /** Every record written so far, in order. */
  readonly records: GymRecord[] = [];
  /** Set once the environment has a start time; nothing is written before. */
  clock: SimClock | undefined;
  /**
   * Answers the scene needed and their tokens, whether they came from the model now or from
   * the completion cache: the `end` record must replay byte-identically from the cache
   * (the requests actually sent are in the stage's LLM accounting).
   */
  requests = 0;
  promptTokens = 0;
  completionTokens = 0;
  /** What of this scene's prompts repeats an earlier request's start, per role. */
  readonly prefix = new PrefixReuse();

  constructor(job: SceneJob, deps: SceneRunDeps, seed: number) {
    this.job = job;
    this.deps = deps;
    this.seed = seed;
  }

  /** The stage's prompt set. */
  get prompts(): PromptSet {
    return this.deps.llm.prompts;
  }

  get name(): string {
    return this.job.name;
  }

  /** The simulated time, `MM-DD HH:MM:SS`. */
  now(): string {
    if (!this.clock) throw new Error(`Scene "${this.name}": the start time is not known yet`);
    return this.clock.format();
  }

  /** Appends a record at the current simulated time and waits until it is flushed. */
  async write(
    source: GymSource,
    tag: GymTag,
    content: string | null,
    prediction?: Record<string, unknown>,
  ): Promise<GymRecord> {
    const record: GymRecord = {
      source,
      time: this.now(),
      tags: [tag],
      content,
      ...(prediction ? { prediction } : {}),
    };
    this.records.push(record);
    await this.deps.log.write(record);
    return record;
  }

  /**
   * A structured answer from `role`. `step` names where in the scene it is asked
   * (`step-3/env-events`): it is the cache tag (with the scene's name) and it is named in
   * the error when the answer stays invalid after the LLM layer's re-asks.
   */
  async ask<T>(
    role: LlmRole,
    step: string,
    schema: z.ZodType<T>,
    messages: ChatMessage[],
    params: ChatParams = {},
  ): Promise<T> {
    this.prefix.record(role, messages);
    try {
      const [value] = await this.deps.llm.client(role).chatJson(schema, messages, params, {
        cacheTag: `${this.name}/${step}`,
        schemaName: schemaNameOf(step),
        signal: this.deps.signal,
        onUsage: (usage) => this.#count(usage),
      });
      return value;
    } catch (error) {
      if (this.deps.signal.aborted) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw runtimeError(
        `Scene "${this.name}" failed at ${step} (${role} model): ${message}`,
        error instanceof ProactiveError || error instanceof Error ? error : undefined,
      );
    }
  }

  /**
   * A text answer from `role` (no `response_format`): for the reference's layouts, read
   * by the caller as the reference's scripts read them. Cache tag and errors as `ask`.
   */
  async askText(
    role: LlmRole,
    step: string,
    messages: ChatMessage[],
    params: ChatParams = {},
  ): Promise<string> {
    this.prefix.record(role, messages);
    try {
      const reply = await this.deps.llm.client(role).chat(messages, params, {
        cacheTag: `${this.name}/${step}`,
        signal: this.deps.signal,
        onUsage: (usage) => this.#count(usage),
      });
      return reply.choices[0] ?? "";
    } catch (error) {
      if (this.deps.signal.aborted) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw runtimeError(
        `Scene "${this.name}" failed at ${step} (${role} model): ${message}`,
        error instanceof ProactiveError || error instanceof Error ? error : undefined,
      );
    }
  }

  #count({ answer }: CallUsage): void {
    if (!answer) return;
    this.requests += 1;
    this.promptTokens += answer.promptTokens;
    this.completionTokens += answer.completionTokens;
  }

  /** Tokens of the answers so far, prompt and completion. */
  get tokens(): number {
    return this.promptTokens + this.completionTokens;
  }

  /** The scene's token and prefix counts so far, for its summary. */
  costs(): Pick<SceneSummary, "prompt_tokens" | "completion_tokens" | "prefix_reuse"> {
    return {
      prompt_tokens: this.promptTokens,
      completion_tokens: this.completionTokens,
      prefix_reuse: this.prefix.byRole(),
    };
  }

  /**
   * A generator for one sampling step, seeded from `--seed`, the scene's name and `step`
   * alone: the same step draws the same sample however the scene got there.
   */
  async random(step: string): Promise<PythonRandom> {
    const text = new TextEncoder().encode(`${this.seed}\u0000${this.name}\u0000${step}`);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", text));
    let seed = 0n;
    for (const byte of digest.subarray(0, 8)) seed = (seed << 8n) | BigInt(byte);
    return new PythonRandom(seed);
  }
}

/**
 * The `json_schema.name` of a request: its kind, the step's last part without numbers
 * (`step-3/action-2/env-events` → `env_events`), so a server (or the scripted fake) can
 * tell what is asked.
 */
export function schemaNameOf(step: string): string {
  const last = step.split("/").at(-1) ?? "answer";
  return last.replace(/-\d+$/, "").replace(/[^A-Za-z0-9_]+/g, "_").slice(0, 64) || "answer";
}

/** Up to `k` distinct items of `items`, in the drawn order. */
export function sampleUpTo<T>(random: PythonRandom, items: readonly T[], k: number): T[] {
  const pool = [...items];
  const count = Math.min(k, pool.length);
  for (let i = 0; i < count; i++) {
    const j = i + random.randbelow(pool.length - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, count);
}
