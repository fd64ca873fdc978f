/**
 * `agent-trainset` under `protocol: reference`: the samples of one gym log as the
 * reference's `dataset/build_agent_trainset.py` builds them, request for request, with the
 * imported set's texts (`prompts/reference_messages.ts` has the layouts):
 *
 * - logged samples (`agent.response`) are kept as they are;
 * - each event adds the user message `{"Instructions", "Observations": {"Time", "Event"}}`
 *   to the conversation; the agent predicts on the conversation cut by `cut_messages`, at
 *   temperature 0.8 (no seed, no `response_format`), its answer read as `extrat_pred` reads
 *   it; the reward model judges it with the reward template over every event so far
 *   (`{"Time", "Event"}`), at temperature 0 then 0.4, at most 5 attempts, `json.loads`;
 * - an accepted prediction is a sample (the cut conversation and the prediction); the
 *   event's message becomes the plain `{"Time", "Event"}` and the prediction its answer;
 * - a proposal in the log (its prediction text) is a sample of the whole conversation with
 *   the last user message wrapped in the step instruction again, replacing or following
 *   the last answer.
 *
 * The reference asks a rejected prediction again for ever (its trial counter only counts
 * errors). Here every rejection counts as a trial, up to `--max-trials`, so a run always
 * ends; and by default a rejection is asked again with the retry message (previous
 * prediction, status, the reward model's feedback), as the script means to. With
 * `referenceQuirks` the requests are the script's: the retry message only after two failed
 * (erroring) trials, rejections re-asked with the same messages — still bounded.
 *
 * @module
 */
import type { LlmClient } from "../llm/llm_client.ts";
import type { CallUsage, ChatMessage } from "../llm/llm_types.ts";
import { pythonDumps } from "../jsonl/python_json.ts";
import type { PromptSet } from "../prompts/prompt_set.ts";
import {
  referenceAgentStepText,
  referenceCutMessages,
  type ReferenceEvent,
  referenceEventText,
  referenceExtractPrediction,
  type ReferencePrediction,
  referencePredictionText,
  referenceRetryMessage,
  referenceRewardMessages,
} from "../prompts/reference_messages.ts";
import type { GymLog } from "../gym/read_gym_log.ts";
import type { LogCounts, LogResult, Sample, SampleSource } from "./replay_log.ts";
import { shareGptProblem } from "./sharegpt_check.ts";

/** build_agent_trainset.py's prediction temperature. */
export const REFERENCE_PREDICT_TEMPERATURE = 0.8;
/** Its reward attempts per trial (`stop_after_attempt(5)`). */
export const REFERENCE_REWARD_ATTEMPTS = 5;

export interface ReferenceReplayDeps {
  agent: Pick<LlmClient, "chat">;
  reward: Pick<LlmClient, "chat">;
  prompts: PromptSet;
  signal: AbortSignal;
  onUsage?: (role: "agent" | "reward", usage: CallUsage) => void;
  onEvent?: () => void;
}

export interface ReferenceReplayOptions {
  maxTrials: number;
  referenceQuirks?: boolean;
}

interface Replay {
  log: GymLog;
  options: ReferenceReplayOptions;
  deps: ReferenceReplayDeps;
  counts: LogCounts;
}

/** The samples of `log` under the reference protocol (see the module doc). */
export async function replayLogReference(
  log: GymLog,
  options: ReferenceReplayOptions,
  deps: ReferenceReplayDeps,
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
  const result: LogResult = { samples: [], invalid: [], counts };
  const record = (source: SampleSource, event: number, conversations: ChatMessage[]) => {
    const problem = shareGptProblem(conversations);
    if (problem !== null) {
      result.invalid.push({ log: log.path, event, source, problem });
      counts.invalid++;
      return false;
    }
    result.samples.push({ source, event, conversations } satisfies Sample);
    counts.samples[source]++;
    return true;
  };
  for (const logged of log.samples) record("logged", logged.event, logged.messages);

  const replay: Replay = { log, options, deps, counts };
  const messages: ChatMessage[] = [
    { role: "system", content: deps.prompts.text("agent", "system") },
  ];
  const past: ReferenceEvent[] = [];
  for (const [index, event] of log.events.entries()) {
    deps.signal.throwIfAborted();
    const observed = { Time: event.time, Event: event.event };
    past.push(observed);
    messages.push({ role: "user", content: referenceAgentStepText(deps.prompts, observed) });
    const sample = await validPrediction(replay, { messages, past, index });
    let sampled = false;
    messages[messages.length - 1] = { role: "user", content: referenceEventText(observed) };
    if (sample) {
      sampled = record("replay", index, sample);
      messages.push(sample[sample.length - 1]);
    }
    if (event.proposal !== undefined) {
      sampled = record("proposal", index, proposalSample(deps.prompts, messages, event)) ||
        sampled;
    }
    if (!sampled) counts.eventsWithoutSample++;
    deps.onEvent?.();
  }
  return result;
}

/** The logged proposal as the reference's script records it (and as the conversation's answer). */
function proposalSample(
  prompts: PromptSet,
  messages: ChatMessage[],
  event: GymLog["events"][number],
): ChatMessage[] {
  // The script sends the log's content as it is written; a proactive log's prediction
  // in the script's json.dumps form.
  const content = event.proposalText ??
    pythonDumps(
      event.proposalPrediction ??
        { Purpose: "", Thoughts: "", "Proactive Task": event.proposal, Response: null },
    );
  const answer: ChatMessage = { role: "assistant", content };
  if (messages[messages.length - 1].role === "assistant") messages[messages.length - 1] = answer;
  else messages.push(answer);
  const sample = messages.map((m) => ({ ...m }));
  const user = sample[sample.length - 2];
  user.content = pythonDumps({
    Instructions: prompts.text("agent", "step_instruction"),
    Observations: JSON.parse(user.content),
  });
  return sample;
}

/** `make_valid_prediction`: the accepted sample, or null when the trials ran out. */
async function validPrediction(
  replay: Replay,
  at: { messages: readonly ChatMessage[]; past: readonly ReferenceEvent[]; index: number },
): Promise<ChatMessage[] | null> {
  const { options, deps, counts, log } = replay;
  let cut: ChatMessage[];
  try {
    cut = referenceCutMessages(at.messages);
  } catch {
    return null; // the script fails the whole event (its exception ends the coroutine)
  }
  let trials = 0;
  let errors = 0;
  let previous: { prediction: ReferencePrediction; feedback: unknown } | undefined;
  while (trials < options.maxTrials) {
    counts.trials++;
    const tag = `agent-trainset-reference/${log.name}/event-${at.index}/trial-${trials}`;
    const retry = options.referenceQuirks ? errors > 1 && previous : previous;
    const request = retry
      ? [...cut, referenceRetryMessage(deps.prompts, previous!.prediction, previous!.feedback)]
      : cut;
    const outcome = await trial(replay, { request, past: at.past, tag });
    if (outcome.kind === "accepted") {
      return [...cut, { role: "assistant", content: referencePredictionText(outcome.prediction) }];
    }
    trials++;
    if (outcome.kind === "rejected") {
      counts.rejected++;
      previous = { prediction: outcome.prediction, feedback: outcome.feedback };
    } else {
      counts.unreadable++;
      errors++;
    }
  }
  return null;
}

type TrialOutcome =
  | { kind: "accepted"; prediction: ReferencePrediction }
  | { kind: "rejected"; prediction: ReferencePrediction; feedback: unknown }
  | { kind: "error" };

/** One prediction and its judgement. */
async function trial(
  { deps }: Replay,
  { request, past, tag }: { request: ChatMessage[]; past: readonly ReferenceEvent[]; tag: string },
): Promise<TrialOutcome> {
  const reply = await deps.agent.chat(
    request,
    { temperature: REFERENCE_PREDICT_TEMPERATURE, seed: null },
    { cacheTag: `${tag}/agent`, signal: deps.signal, onUsage: (u) => deps.onUsage?.("agent", u) },
  );
  let prediction: ReferencePrediction;
  try {
    prediction = referenceExtractPrediction(reply.choices[0] ?? "");
  } catch {
    return { kind: "error" };
  }
  const messages = referenceRewardMessages(deps.prompts, past, prediction["Proactive Task"]);
  for (let attempt = 0; attempt < REFERENCE_REWARD_ATTEMPTS; attempt++) {
    const judged = await deps.reward.chat(
      messages,
      { temperature: attempt === 0 ? 0 : 0.4, seed: null },
      {
        cacheTag: `${tag}/reward-${attempt}`,
        signal: deps.signal,
        onUsage: (u) => deps.onUsage?.("reward", u),
      },
    );
    let verdict: Record<string, unknown>;
    try {
      verdict = JSON.parse(judged.choices[0] ?? "");
      if (verdict === null || typeof verdict !== "object") continue;
    } catch {
      continue;
    }
    if (verdict.judgement === "accepted") return { kind: "accepted", prediction };
    if (!("judgement" in verdict)) return { kind: "error" }; // KeyError in the script
    return { kind: "rejected", prediction, feedback: verdict.thought };
  }
  return { kind: "error" };
}
