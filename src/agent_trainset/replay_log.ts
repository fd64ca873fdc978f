/**
 * The training samples of one gym log: its logged samples (`agent.response`) and a replay
 * of its events with the `agent` and `reward` models.
 *
 * Replay: the conversation starts with the agent's system prompt; each event adds a user
 * turn with its observation (the first one preceded, as in the gym, by the operations the
 * agent can run, from `agent.ops`). For each event the agent predicts on the trimmed
 * conversation and the reward model judges the prediction against all events so far
 * (`rewardMessages`, lowercase `{time, event}`, as the gym and `eval` do). A rejection is
 * asked again with the prompt module's retry message (previous prediction, status
 * "Rejected", the reward model's reasoning). Every trial counts — rejection, unreadable
 * answer of either model — up to `maxTrials`: an event whose trials run out gets no
 * sample. An accepted prediction becomes a sample and the assistant turn of its event; a
 * proposal found in the log replaces that turn (or is appended) and is a sample too.
 *
 * Each request has a stable cache tag (`<log>/event-<i>/trial-<k>/agent|reward`) and no
 * repair re-asks (a trial is one request per model), so a re-run replays finished
 * requests from the completion cache.
 */
import type { Observation } from "../formats/trace.ts";
import { rewardAnswerSchema } from "../gym/judge.ts";
import { RETRY_TEMPERATURE } from "../gym/agent.ts";
import type { LlmClient } from "../llm/llm_client.ts";
import type { CallUsage, ChatMessage } from "../llm/llm_types.ts";
import { LlmOutputError } from "../llm/structured_completion.ts";
import { type PromptSet, promptsOf } from "../prompts/prompt_set.ts";
import {
  type AgentPrediction,
  agentPredictionSchema,
  agentRetryMessage,
  agentStepMessage,
  operationsObservation,
  proposedTask,
} from "../prompts/agent_prompts.ts";
import { rewardMessages } from "../prompts/reward_prompts.ts";
import type { GymLog } from "../gym/read_gym_log.ts";
import { replayLogReference } from "./reference_replay.ts";
import { shareGptProblem } from "./sharegpt_check.ts";
import {
  trimConversation,
  type TrimLimits,
  type Turn,
  turnsOf,
  userTurnOf,
} from "./trim_conversation.ts";

export type SampleSource = "logged" | "replay" | "proposal";

export interface Sample {
  source: SampleSource;
  /** 0-based event index (-1: before any event). */
  event: number;
  conversations: ChatMessage[];
}

export interface InvalidSample {
  log: string;
  event: number;
  source: SampleSource;
  problem: string;
}

export interface LogCounts {
  events: number;
  samples: Record<SampleSource, number>;
  eventsWithoutSample: number;
  trials: number;
  rejected: number;
  unreadable: number;
  invalid: number;
}

export interface LogResult {
  samples: Sample[];
  invalid: InvalidSample[];
  counts: LogCounts;
}

export interface ReplayOptions extends TrimLimits {
  maxTrials: number;
  /** Under protocol: reference, the reference's requests (see `reference_replay.ts`). */
  referenceQuirks?: boolean;
}

export interface ReplayDeps {
  agent: LlmClient;
  /** The texts of both models' requests (default: the built-in set). */
  prompts?: PromptSet;
  reward: LlmClient;
  signal: AbortSignal;
  /** Told what each call cost, per role. */
  onUsage?: (role: "agent" | "reward", usage: CallUsage) => void;
  /** Told when an event's replay is done (progress). */
  onEvent?: () => void;
}

/** The keys after the observations of a prompt-module user message. */
function restOf(message: ChatMessage): Record<string, unknown> {
  return userTurnOf(message.content).rest;
}

export async function replayLog(
  log: GymLog,
  options: ReplayOptions,
  deps: ReplayDeps,
): Promise<LogResult> {
  const counts: LogCounts = {
    events: log.events.length,
    samples: { logged: 0, replay: 0, proposal: 0 },
    eventsWithoutSample: 0,
    trials: 0,
    rejected: 0,
    unreadable: 0,
    invalid: 0,
  };
  const samples: Sample[] = [];
  const invalid: InvalidSample[] = [];
  /** Keeps a valid sample (true) or reports an invalid one (false). */
  const record = (source: SampleSource, event: number, conversations: ChatMessage[]) => {
    const problem = shareGptProblem(conversations);
    if (problem !== null) {
      invalid.push({ log: log.path, event, source, problem });
      counts.invalid++;
      return false;
    }
    samples.push({ source, event, conversations });
    counts.samples[source]++;
    return true;
  };

  const prompts = promptsOf(deps);
  if (prompts.protocol === "reference") {
    return replayLogReference(log, options, { ...deps, prompts });
  }
  const agentSystem = prompts.text("agent", "system");
  for (const logged of log.samples) {
    const { system, turns } = turnsOf(logged.messages);
    record("logged", logged.event, trimConversation(system ?? agentSystem, turns, options));
  }

  const stepRest = restOf(agentStepMessage(prompts, []));
  const turns: Turn[] = [];
  const observed: Observation[] = [];
  for (const [index, event] of log.events.entries()) {
    deps.signal.throwIfAborted();
    const observation = { time: event.time, event: event.event };
    observed.push(observation);
    // As in the gym, the agent first learns which operations it can run.
    const first = index === 0 && log.operations
      ? [operationsObservation(prompts, log.operations.time, log.operations.value)]
      : [];
    const previous = turns.at(-1);
    if (previous?.role === "user") {
      // No answer since the last event: one user turn (mergeTurns' result, built in place).
      previous.observations.push(...first, observation);
    } else {
      turns.push({ role: "user", observations: [...first, observation], rest: stepRest });
    }
    const accepted = await predictEvent(log.name, index, turns, observed, options, deps, counts);
    let sampled = false;
    if (accepted !== null) {
      const turn: Turn = { role: "assistant", content: JSON.stringify(accepted) };
      sampled = record(
        "replay",
        index,
        trimConversation(agentSystem, [...turns, turn], options),
      );
      turns.push(turn);
    }
    if (event.proposal !== undefined) {
      // What the agent said with the task, as logged; else the accepted replay's words.
      const content = JSON.stringify(
        event.proposalPrediction ??
          (accepted
            ? { ...accepted, "Proactive Task": event.proposal }
            : { Purpose: "", Thoughts: "", "Proactive Task": event.proposal, Response: null }),
      );
      const last = turns.at(-1);
      // The same text as the accepted prediction: that sample is already recorded.
      if (last?.role !== "assistant" || last.content !== content) {
        if (last?.role === "assistant") turns.pop();
        const turn: Turn = { role: "assistant", content };
        const conversation = trimConversation(agentSystem, [...turns, turn], options);
        sampled = record("proposal", index, conversation) || sampled;
        turns.push(turn);
      }
    }
    if (!sampled) counts.eventsWithoutSample++;
    deps.onEvent?.();
  }
  return { samples, invalid, counts };
}

/** The accepted prediction of one event, or null when its trials ran out. */
async function predictEvent(
  logName: string,
  index: number,
  turns: Turn[],
  observed: readonly Observation[],
  options: ReplayOptions,
  deps: ReplayDeps,
  counts: LogCounts,
): Promise<AgentPrediction | null> {
  const prompts = promptsOf(deps);
  const agentSystem = prompts.text("agent", "system");
  let previous: { prediction: AgentPrediction; feedback: string } | undefined;
  for (let trial = 0; trial < options.maxTrials; trial++) {
    counts.trials++;
    const tag = `agent-trainset/${logName}/event-${index}/trial-${trial}`;
    let request = turns;
    if (previous) {
      const last = turns[turns.length - 1];
      if (last.role === "user") {
        const rest = restOf(agentRetryMessage(prompts, [], previous.prediction, previous.feedback));
        request = [...turns.slice(0, -1), { ...last, rest }];
      }
    }
    let prediction: AgentPrediction;
    try {
      [prediction] = await deps.agent.chatJson(
        agentPredictionSchema,
        trimConversation(agentSystem, request, options),
        trial === 0 ? {} : { temperature: RETRY_TEMPERATURE },
        {
          cacheTag: `${tag}/agent`,
          schemaName: "agent_predict",
          maxRepairs: 0,
          signal: deps.signal,
          onUsage: (usage) => deps.onUsage?.("agent", usage),
        },
      );
    } catch (error) {
      if (!(error instanceof LlmOutputError)) throw error;
      counts.unreadable++;
      continue;
    }
    let verdict;
    try {
      [verdict] = await deps.reward.chatJson(
        rewardAnswerSchema,
        rewardMessages(prompts, observed, proposedTask(prediction)),
        { temperature: 0 },
        {
          cacheTag: `${tag}/reward`,
          schemaName: "reward_filter",
          maxRepairs: 0,
          signal: deps.signal,
          onUsage: (usage) => deps.onUsage?.("reward", usage),
        },
      );
    } catch (error) {
      if (!(error instanceof LlmOutputError)) throw error;
      counts.unreadable++;
      continue;
    }
    if (verdict.judgement === "accepted") return prediction;
    counts.rejected++;
    previous = { prediction, feedback: verdict.thought };
  }
  return null;
}
