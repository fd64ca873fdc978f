/**
 * `eval agent`'s work: every test trace, turn by turn, asked of the agent model with the
 * request of `traceTurnMessages` (the gym's agent prompt). Turns of one trace run in order —
 * each request holds the earlier predictions — and traces run side by side.
 *
 * A turn's output keeps the trace's fields and sets `agent_response` (`[]` when the agent
 * proposes nothing, `[task]` otherwise) and `other_infomation` (the reference's spelling)
 * `{Purpose, Thoughts, Response}`. A turn whose answer stays invalid after the LLM layer's
 * re-asks and our own attempts has no `agent_response` and gets `failure: "<reason>"` (so the
 * reference's judge and calculator skip it rather than crash on a null or count the
 * trace's own `{candidate_task}`; older files with `agent_response: null` read the same); the
 * later turns go on without a prediction for it in their history.
 *
 * Each trace is written atomically to `<outDir>/<file>` once all its turns are done; an
 * existing output with as many turns as the trace is skipped, so re-running resumes.
 */
import { type PromptSet, promptsOf } from "../prompts/prompt_set.ts";
import { join } from "node:path";
import { runWorkerPool } from "../stage/worker_pool.ts";
import { type PredictorClient, tracePredictor } from "./trace_predictors.ts";
import { writeJsonAtomic } from "../store/atomic_write.ts";
import { readInputText } from "../store/read_input.ts";
import type { NamedTrace } from "./eval_traces.ts";

/** A turn where this run's files differ from what the reference's script writes. */
export interface ReferenceDifference {
  file: string;
  turn: number;
  what: string;
}

const FIXED_FAILED_TURN =
  "failed turn written as failed (the reference leaves the trace's agent_response, which its judge and calculator count as a task)";
const QUIRK_FAILED_TURN =
  "failed turn left with the trace's agent_response, as the reference does (--reference-quirks)";

export interface PredictOptions {
  outDir: string;
  /** Reproduce the reference's defects under `protocol: reference` (`--reference-quirks`). */
  referenceQuirks?: boolean;
  /** Told of each turn that differs from the reference's output (`protocol: reference`). */
  onDifference?: (difference: ReferenceDifference) => void;
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
    !value.every((turn) =>
      turn !== null && typeof turn === "object" && ("agent_response" in turn || "failure" in turn)
    )
  ) return null;
  return value.filter(isFailedTurn).length;
}

export async function predictTraces(
  traces: readonly NamedTrace[],
  client: PredictorClient,
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
    const predictor = tracePredictor(observations, client, {
      prompts: promptsOf(options),
      temperature: options.temperature,
      priority: options.priority,
      referenceQuirks: options.referenceQuirks,
    });
    const output: Record<string, unknown>[] = [];
    let failedTurns = 0;
    try {
      for (let turn = 0; turn < trace.length; turn++) {
        const result = await predictor.predict(turn, signal);
        const { agent_response: _original, ...rest } = trace[turn];
        if ("failure" in result) {
          failedTurns++;
          if (options.referenceQuirks && promptsOf(options).protocol === "reference") {
            // As the reference's script leaves it: the trace's own agent_response.
            output.push({ ...trace[turn] });
            options.onDifference?.({ file, turn, what: QUIRK_FAILED_TURN });
          } else {
            output.push({ ...rest, failure: result.failure });
            if (promptsOf(options).protocol === "reference") {
              options.onDifference?.({ file, turn, what: FIXED_FAILED_TURN });
            }
          }
          options.logger?.warn(`${file} turn ${turn}: no valid prediction (${result.failure})`);
        } else {
          output.push({ ...rest, ...result.fields });
        }
        options.progress?.tick(1, { failed: "failure" in result });
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

export { AGENT_ATTEMPTS, attemptTemperature, predictionFields } from "./trace_predictors.ts";

/**
 * A turn `eval agent` could not predict: no `agent_response` and a `failure` (what it
 * writes), or `agent_response: null` (what earlier versions wrote).
 */
export function isFailedTurn(turn: unknown): boolean {
  if (turn === null || typeof turn !== "object") return false;
  const record = turn as Record<string, unknown>;
  return record.agent_response === null ||
    (!("agent_response" in record) && "failure" in record);
}
