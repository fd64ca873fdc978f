/**
 * Runs the reward items through `explainItem`: `workers` items at a time (each has at
 * most one request in flight; the endpoint's limiter bounds the total), each item at most
 * `maxAttempts` attempts, every attempt with its own cache tag. Successes are handed to
 * `onDone` as they come, with a checkpoint asked for every `checkpointEvery` of them;
 * failures are returned with the reason of every attempt.
 *
 * A failure that is not about one item (the endpoint is down, the key is refused, the
 * run is interrupted) stops the run: no new item starts, the items in flight are
 * abandoned, and the error is thrown once every worker has stopped.
 */
import { runWorkerPool } from "../stage/worker_pool.ts";
import type { Category, RewardItem } from "../formats/reward_item.ts";
import type { LlmClient } from "../llm/llm_client.ts";
import { type Judgement, judgementOf } from "../prompts/reward_prompts.ts";
import { type AttemptResult, explainItem, type ExplainSettings } from "./explain_item.ts";

export interface RewardJob {
  /** Position in the balanced list. */
  index: number;
  item: RewardItem;
  /** Line of the item in the input file. */
  line: number;
  /** How many earlier entries of the balanced list ask for the same conversation. */
  copy: number;
}

export interface RewardFailure {
  index: number;
  line: number;
  category: Category;
  label: Judgement;
  pred_task: string | null;
  attempts: number;
  reasons: string[];
}

export interface BuildSettings extends ExplainSettings {
  maxAttempts: number;
  /** Items worked on at once. */
  workers: number;
  /** Successes between two checkpoints. */
  checkpointEvery: number;
}

export interface BuildDeps {
  client: Pick<LlmClient, "chatJson">;
  signal?: AbortSignal;
  /** One tick per finished item. */
  progress?: { tick(n?: number, options?: { failed?: boolean }): void };
  /** Receives each success (the assistant reply to save), in completion order. */
  onDone(job: RewardJob, reply: string): void;
  /** Asks for a checkpoint (must not block). */
  requestCheckpoint(): void;
  /** The attempt function (tests substitute one); default `explainItem`. */
  attempt?: typeof explainItem;
}

export interface BuildResult {
  succeeded: number;
  failures: RewardFailure[];
  /** Attempts made in all. */
  attempts: number;
}

/** The cache tag of attempt `attempt` (1-based) of copy `copy` of an item. */
export function attemptTag(copy: number, attempt: number): string {
  return `copy:${copy}/attempt:${attempt}`;
}

export async function buildRewardSet(
  jobs: readonly RewardJob[],
  settings: BuildSettings,
  deps: BuildDeps,
): Promise<BuildResult> {
  const attempt = deps.attempt ?? explainItem;
  const failures: RewardFailure[] = [];
  let succeeded = 0;
  let attempts = 0;

  const runJob = async (index: number, signal: AbortSignal) => {
    const job = jobs[index];
    const reasons: string[] = [];
    for (let k = 1; k <= settings.maxAttempts; k++) {
      attempts++;
      const result: AttemptResult = await attempt(
        deps.client,
        job.item,
        settings,
        attemptTag(job.copy, k),
        signal,
      );
      if (result.ok) {
        succeeded++;
        deps.onDone(job, result.reply);
        deps.progress?.tick(1);
        if (succeeded % settings.checkpointEvery === 0) deps.requestCheckpoint();
        return;
      }
      reasons.push(`attempt ${k}: ${result.reason}`);
      if (result.final) break;
    }
    failures.push({
      index: job.index,
      line: job.line,
      category: job.item.category,
      label: judgementOf(job.item.valid),
      pred_task: job.item.pred_task,
      attempts: reasons.length,
      reasons,
    });
    deps.progress?.tick(1, { failed: true });
  };

  await runWorkerPool(jobs.length, settings.workers, runJob, deps.signal);
  failures.sort((a, b) => a.index - b.index);
  return { succeeded, failures, attempts };
}
