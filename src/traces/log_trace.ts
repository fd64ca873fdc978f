/**
 * One complete gym log as a ProactiveBench trace for the annotators: every `events` record
 * is a turn `{observation: {time, event}, agent_response: {candidate_task}, task_status:
 * false}`, where the candidate tasks are the distinct proposals of several samples of the
 * agent at that turn.
 *
 * The request at turn i is `traceTurnMessages(observations, i, [])`: the agent's system
 * prompt and one step message holding every observation up to turn i — no earlier
 * predictions. The agent's own samples at earlier turns are several answers, not one
 * history, and leaving them out keeps every turn's request independent of the others, so
 * all turns of a log are asked at once (within the endpoint's concurrency limit) and a
 * re-run asks exactly the same requests (answered from the completion cache).
 */
import { type PromptSet, promptsOf } from "../prompts/prompt_set.ts";
import { parseSceneTime } from "../gym/clock.ts";
import type { GymLog } from "../gym/read_gym_log.ts";
import type { Observation, Trace } from "../formats/trace.ts";
import type { LlmClient } from "../llm/llm_client.ts";
import type { CallUsage } from "../llm/llm_types.ts";
import { type AgentPrediction, agentPredictionSchema } from "../prompts/agent_prompts.ts";
import { traceTurnMessages } from "../prompts/agent_trace_messages.ts";
import { inputError } from "../cli/errors.ts";

/** Sampling temperature of the candidates (several different answers are wanted). */
export const CANDIDATE_TEMPERATURE = 1;

/** Proposals that mean "no help needed" (case-insensitive, after trimming). */
const NULL_STRINGS = new Set(["", "null", "none"]);

/**
 * A log time (`MM-DD HH:MM:SS`, UTC) in `year` as the reference writes trace times: unix
 * seconds as a string with one decimal, e.g. `"1709197500.0"`.
 */
export function logTimeToUnix(time: string, year: number): string {
  const parsed = parseSceneTime(`${year}-${time}`);
  if (!parsed.ok) throw inputError(`Cannot convert the log time "${time}": ${parsed.error}`);
  return `${parsed.epochSeconds}.0`;
}

/** The proposal of a sample, or null when it says no help is needed. */
export function candidateOf(prediction: AgentPrediction): string | null {
  const task = prediction["Proactive Task"];
  if (task === null) return null;
  const trimmed = task.trim();
  return NULL_STRINGS.has(trimmed.toLowerCase()) ? null : trimmed;
}

/** The distinct non-null proposals of `samples`, in sample order, at most `max`. */
export function candidateTasks(samples: readonly AgentPrediction[], max: number): string[] {
  const tasks: string[] = [];
  for (const sample of samples) {
    const task = candidateOf(sample);
    if (task !== null && !tasks.includes(task) && tasks.length < max) tasks.push(task);
  }
  return tasks;
}

export interface LogTraceDeps {
  agent: LlmClient;
  /** The agent's texts at a trace turn (default: the built-in set). */
  prompts?: PromptSet;
  candidates: number;
  year: number;
  signal?: AbortSignal;
  onUsage?: (usage: CallUsage) => void;
  onTurn?: () => void;
}

/**
 * Samples the agent `deps.candidates` times at one turn: one request with `n`; when the
 * endpoint returns fewer choices, further requests (each with its own cache tag, so its
 * own seed) until there are enough, at most `candidates` requests in all.
 */
async function sampleTurn(
  log: GymLog,
  observations: readonly Observation[],
  index: number,
  deps: LogTraceDeps,
): Promise<AgentPrediction[]> {
  const messages = traceTurnMessages(promptsOf(deps), observations, index, []);
  const samples: AgentPrediction[] = [];
  for (let request = 0; request < deps.candidates && samples.length < deps.candidates; request++) {
    const answers = await deps.agent.chatJson(
      agentPredictionSchema,
      messages,
      { n: deps.candidates - samples.length, temperature: CANDIDATE_TEMPERATURE },
      {
        cacheTag: `traces/${log.name}/turn-${index}/request-${request}`,
        schemaName: "agent_predict",
        signal: deps.signal,
        onUsage: deps.onUsage,
      },
    );
    samples.push(...answers);
    if (answers.length === 0) break;
  }
  return samples.slice(0, deps.candidates);
}

/** The trace of `log`: its turns are sampled at once (see the module comment). */
export async function buildLogTrace(log: GymLog, deps: LogTraceDeps): Promise<Trace> {
  const observations: Observation[] = log.events.map(({ time, event }) => ({
    time: logTimeToUnix(time, deps.year),
    event,
  }));
  // The agent sees the log's own clock, as in the gym.
  const asked: Observation[] = log.events.map(({ time, event }) => ({ time, event }));
  return await Promise.all(observations.map(async (observation, index) => {
    const samples = await sampleTurn(log, asked, index, deps);
    deps.onTurn?.();
    return {
      observation,
      agent_response: { candidate_task: candidateTasks(samples, deps.candidates) },
      task_status: false,
    };
  }));
}
