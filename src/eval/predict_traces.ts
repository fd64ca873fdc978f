/**
 * `eval agent`'s work: every test trace, turn by turn, asked of the agent model with the
 * request of `traceTurnMessages` (the gym's agent prompt). Turns of one trace run in order —
 * each request holds the earlier predictions — and traces run side by side.
 *
 * A turn's output keeps the trace's fields and sets `agent_response` (`[]` when the agent
 * proposes nothing, `[task]` otherwise) and `other_infomation` (the reference's spelling)
 * `{Purpose, Thoughts, Response}`. A turn whose answer stays invalid after the LLM layer's
 * re-asks and our own attempts gets `agent_response: null` and `failure: "<reason>"`; the
 * later turns go on without a prediction for it in their history.
 *
 * Each trace is written atomically to `<outDir>/<file>` once all its turns are done; an
 * existing output with as many turns as the trace is skipped, so re-running resumes.
 */
import { type PromptSet, promptsOf } from "../prompts/prompt_set.ts";
import { join } from "node:path";
import { LlmOutputError } from "../llm/structured_completion.ts";
import type { LlmClient } from "../llm/llm_client.ts";
import { runWorkerPool } from "../llm/worker_pool.ts";
import {
  type AgentPrediction,
  agentPredictionSchema,
  proposedTask,
} from "../prompts/agent_prompts.ts";
import { traceTurnMessages } from "../prompts/agent_trace_messages.ts";
import { writeJsonAtomic } from "../store/atomic_write.ts";
import { readInputText } from "../store/read_input.ts";
import type { NamedTrace } from "./eval_traces.ts";

/** Attempts per turn at our level (each one with the LLM layer's own re-asks). */
export const AGENT_ATTEMPTS = 3;

export interface PredictOptions {
  outDir: string;
  /** The agent's texts (default: the built-in set). */
  prompts?: PromptSet;
  /** Temperature of every attempt; default 0 for the first, 0.5 for retries. */
  temperature?: number;
  workers: number;
  signal?: AbortSignal;
  progress?: { tick(n?: number, options?: { failed?: boolean }): void };
  logger?: { warn(message: string): void };
  /** Priority of the agent's requests at the endpoint (see `CallOptions.priority`). */
  priority?: number;
  /** Told of each turn's output as soon as it exists (`output[turn]`; a pipeline's judge). */
  onTurn?: (
    index: number,
    turn: number,
    output: Record<string, unknown>[],
    signal: AbortSignal,
  ) => void;
  /** Awaited before trace `index` is written (a pipeline's judgements of its turns). */
  beforeWrite?: (index: number) => Promise<void>;
}

export interface TraceOutcome {
  file: string;
  /** "skipped": already complete on disk. "error": the trace could not be finished. */
  status: "done" | "skipped" | "error";
  turns: number;
  failedTurns: number;
  error?: string;
}

export interface PredictSummary {
  traces: TraceOutcome[];
  turns: number;
  failedTurns: number;
  failedTraces: number;
  skippedTraces: number;
}

/** Temperature of attempt `k` (0-based). */
export function attemptTemperature(k: number, override?: number): number {
  return override ?? (k === 0 ? 0 : 0.5);
}

/** The fields a prediction sets on a turn. */
export function predictionFields(prediction: AgentPrediction): Record<string, unknown> {
  const task = proposedTask(prediction);
  return {
    agent_response: task === null ? [] : [task],
    other_infomation: {
      Purpose: prediction.Purpose,
      Thoughts: prediction.Thoughts,
      Response: prediction.Response,
    },
  };
}

/**
 * The `{Purpose, Thoughts, Response}` of a predicted turn: `other_infomation` (the
 * reference's spelling, what `eval agent` writes) or `other_information`.
 */
export function otherInformationOf(turn: Record<string, unknown>): unknown {
  return turn.other_infomation ?? turn.other_information;
}

/**
 * The failed turns of a finished output of a trace of `turns` turns at `path`; null when
 * there is none (missing, unreadable, or another length).
 */
async function finishedFailures(path: string, turns: number): Promise<number | null> {
  let value: unknown;
  try {
    value = JSON.parse(await readInputText(path, { noFollow: true }));
  } catch {
    return null;
  }
  if (
    !Array.isArray(value) || value.length !== turns ||
    !value.every((turn) => turn !== null && typeof turn === "object" && "agent_response" in turn)
  ) return null;
  return value.filter((turn) => turn.agent_response === null).length;
}

export async function predictTraces(
  traces: readonly NamedTrace[],
  client: Pick<LlmClient, "chatJson">,
  options: PredictOptions,
): Promise<PredictSummary> {
  await Deno.mkdir(options.outDir, { recursive: true });
  const outcomes: TraceOutcome[] = new Array(traces.length);

  const predictOne = async (index: number, signal: AbortSignal) => {
    const { file, trace } = traces[index];
    const path = join(options.outDir, file);
    const done = await finishedFailures(path, trace.length);
    if (done !== null) {
      outcomes[index] = { file, status: "skipped", turns: trace.length, failedTurns: done };
      options.progress?.tick(trace.length);
      return;
    }
    const observations = trace.map((turn) => turn.observation);
    const predictions: (AgentPrediction | undefined)[] = [];
    const output: Record<string, unknown>[] = [];
    let failedTurns = 0;
    try {
      for (let turn = 0; turn < trace.length; turn++) {
        const messages = traceTurnMessages(promptsOf(options), observations, turn, predictions);
        let prediction: AgentPrediction | undefined;
        let reason = "";
        for (let k = 0; k < AGENT_ATTEMPTS && prediction === undefined; k++) {
          try {
            [prediction] = await client.chatJson(
              agentPredictionSchema,
              messages,
              { temperature: attemptTemperature(k, options.temperature) },
              { cacheTag: `eval-agent-attempt-${k}`, signal, priority: options.priority },
            );
          } catch (error) {
            if (!(error instanceof LlmOutputError)) throw error;
            reason = error.message.split("\n")[0];
          }
        }
        predictions.push(prediction);
        const { agent_response: _original, ...rest } = trace[turn];
        if (prediction === undefined) {
          failedTurns++;
          output.push({ ...rest, agent_response: null, failure: reason });
          options.logger?.warn(`${file} turn ${turn}: no valid prediction (${reason})`);
        } else {
          output.push({ ...rest, ...predictionFields(prediction) });
        }
        options.progress?.tick(1, { failed: prediction === undefined });
        options.onTurn?.(index, turn, output, signal);
      }
    } catch (error) {
      if (signal.aborted) throw error;
      const message = (error as Error).message;
      options.logger?.warn(`${file}: stopped at turn ${output.length}: ${message}`);
      options.progress?.tick(trace.length - output.length, { failed: true });
      outcomes[index] = {
        file,
        status: "error",
        turns: trace.length,
        failedTurns,
        error: message,
      };
      return;
    }
    await options.beforeWrite?.(index);
    await writeJsonAtomic(path, output);
    outcomes[index] = { file, status: "done", turns: trace.length, failedTurns };
  };

  // Longest traces first: the run lasts as long as its longest chain of turns, and a trace
  // started early is also ahead in each round of answers the event loop works through.
  const order = traces.map((_, i) => i).sort((a, b) =>
    traces[b].trace.length - traces[a].trace.length
  );
  await runWorkerPool(
    traces.length,
    options.workers,
    (k, signal) => predictOne(order[k], signal),
    options.signal,
  );
  return {
    traces: outcomes,
    turns: outcomes.reduce((n, o) => n + o.turns, 0),
    failedTurns: outcomes.reduce((n, o) => n + o.failedTurns, 0),
    failedTraces: outcomes.filter((o) => o.status === "error").length,
    skippedTraces: outcomes.filter((o) => o.status === "skipped").length,
  };
}
