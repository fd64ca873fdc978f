/**
 * The judge step of `eval agent --judge-model`, run alongside the predictions. A turn's
 * judgement needs only the observations up to it and its own prediction, so each predicted
 * turn is judged as soon as it exists, while the agent goes on with the trace. The judge's
 * requests have a lower priority at the endpoint than the agent's: the agent's chain of
 * turns (the run's critical path) never waits behind a judgement, and the slots it leaves
 * free are filled with judgements instead of standing idle. A trace is written once its
 * predictions and their judgements are all done.
 *
 * Traces this run does not predict (complete on disk from an earlier run) are left to the
 * `eval judge` pass that follows, which also reports for them.
 */
import { join } from "node:path";
import type { LlmClient } from "../llm/llm_client.ts";
import type { NamedTrace } from "./eval_traces.ts";
import {
  emptyOutcome,
  type JudgeFileOutcome,
  type JudgeOptions,
  judgeTurn,
  type JudgeWork,
} from "./judge_predictions.ts";

/** Priorities at the endpoint: the agent's requests before the judge's. */
export const AGENT_PRIORITY = 1;
export const JUDGE_PRIORITY = 0;

export interface PipelinedJudge {
  /** `predictTraces`' `onTurn`: starts judging `output[turn]` if it has a prediction. */
  onTurn(index: number, turn: number, output: Record<string, unknown>[], signal: AbortSignal): void;
  /** `predictTraces`' `beforeWrite`: resolves when every judgement of the trace is done. */
  beforeWrite(index: number): Promise<void>;
  /** The judged traces' outcomes, in trace order. */
  outcomes(): JudgeFileOutcome[];
}

export function createPipelinedJudge(
  traces: readonly NamedTrace[],
  outDir: string,
  client: Pick<LlmClient, "chat">,
  options: Omit<JudgeOptions, "workers">,
): PipelinedJudge {
  const judgeOptions = { ...options, priority: JUDGE_PRIORITY };
  const works = new Map<number, JudgeWork>();
  const pending = new Map<number, Promise<void>[]>();
  const workOf = (index: number, output: Record<string, unknown>[]): JudgeWork => {
    let work = works.get(index);
    if (!work) {
      const { file, trace } = traces[index];
      const path = join(outDir, file);
      work = {
        path,
        turns: output,
        observations: trace.map(({ observation }) => ({
          time: observation.time,
          event: observation.event,
        })),
        todo: [],
        outcome: emptyOutcome(path, trace.length),
      };
      works.set(index, work);
    }
    return work;
  };
  return {
    onTurn(index, turn, output, signal) {
      const work = workOf(index, output);
      if (!Array.isArray(output[turn].agent_response)) {
        work.outcome.unpredicted++;
        options.progress?.tick(1, { failed: true });
        return;
      }
      const judging = judgeTurn(work, turn, client, judgeOptions, signal);
      judging.catch(() => {}); // awaited in beforeWrite; an abort must not go unhandled meanwhile
      let list = pending.get(index);
      if (!list) pending.set(index, list = []);
      list.push(judging);
    },
    async beforeWrite(index) {
      await Promise.all(pending.get(index) ?? []);
    },
    outcomes() {
      return [...works.entries()].sort(([a], [b]) => a - b).map(([, work]) => work.outcome);
    },
  };
}
