/**
 * `eval judge`'s work: in every prediction file of a model folder (`<out-dir>/<model>/*.json`,
 * as `eval agent` or the reference's script writes them), the reward model judges each
 * proposal of every turn whose `agent_response` is a list, seeing the observations of turns
 * 0..i (`{time, event}`). An empty list is one null proposal; the strings "null", "None"
 * and "" are null proposals too unless `nullStrings` is "task" (the reference's rule, which
 * sent them as tasks). The turn gets `judgement: [true | false, …]` (accepted or not),
 * one per proposal.
 *
 * Turns already judged are skipped (resume); turns whose `agent_response` is not a list
 * (a failed prediction) are not judged. A turn whose judgement cannot be had gets
 * `judge_failure: "<reason>"` (and `judge_attempts`, so that the next run asks for fresh
 * samples instead of replaying the cached ones) and the rest of the file is still judged
 * and written.
 */
import { type PromptSet, promptsOf } from "../prompts/prompt_set.ts";
import { join } from "node:path";
import { describeError, inputError } from "../cli/errors.ts";
import type { Observation } from "../formats/trace.ts";
import type { LlmClient } from "../llm/llm_client.ts";
import { runWorkerPool } from "../stage/worker_pool.ts";
import { writeJsonAtomic } from "../store/atomic_write.ts";
import { listInputFolder } from "../store/input_folder.ts";
import { readInputText } from "../store/read_input.ts";
import { askVerdict } from "./judge_askers.ts";

export const NULL_STRING_RULES = ["null", "task"] as const;
export type NullStringRule = (typeof NULL_STRING_RULES)[number];

/** Strings that stand for "no proposal" under the default rule. */
export const NULL_STRINGS: readonly string[] = ["null", "None", ""];

export { JUDGE_ATTEMPTS } from "./judge_askers.ts";

export interface JudgeOptions {
  nullStrings: NullStringRule;
  /** Under protocol: reference, judge a leftover `{candidate_task}` dict as the reference does. */
  referenceQuirks?: boolean;
  /** The reward model's texts (default: the built-in set). */
  prompts?: PromptSet;
  workers: number;
  /** Priority of the judge's requests at the endpoint (see `CallOptions.priority`). */
  priority?: number;
  signal?: AbortSignal;
  progress?: { tick(n?: number, options?: { failed?: boolean }): void };
  logger?: { warn(message: string): void };
}

export interface JudgeFileOutcome {
  file: string;
  turns: number;
  judged: number;
  /** Judged on an earlier run. */
  alreadyJudged: number;
  /** Turns without a prediction (failed in `eval agent`). */
  unpredicted: number;
  failed: number;
}

/** The proposals of an `agent_response` list, as the reward model is asked them. */
export function proposalsOf(response: readonly unknown[], rule: NullStringRule): (string | null)[] {
  if (response.length === 0) return [null];
  return response.map((task) => {
    if (task === null || task === undefined) return null;
    const text = typeof task === "string" ? task : JSON.stringify(task);
    return rule === "null" && NULL_STRINGS.includes(text.trim()) ? null : text;
  });
}

function observationOf(turn: unknown, file: string, index: number): Observation {
  const observation = (turn as { observation?: unknown })?.observation as
    | Record<string, unknown>
    | undefined;
  if (
    !observation || typeof observation !== "object" ||
    observation.time === undefined || typeof observation.event !== "string"
  ) {
    throw inputError(`"${file}" turn ${index} has no observation {time, event}`);
  }
  return { time: String(observation.time), event: observation.event };
}

/**
 * The `.json` prediction files of a model folder, in name order (hidden files aside: the
 * folder's `.model.json` marker is not one), with the entries so named that are not files
 * (a folder `x.json`): reading those fails and names them.
 */
export function predictionFiles(dir: string): string[] {
  const folder = listInputFolder(
    dir,
    (name) => name.endsWith(".json") && !name.startsWith("."),
    { what: "prediction folder" },
  );
  return [...folder.files.map((name) => join(dir, name)), ...folder.notFiles.map((e) => e.path)]
    .sort();
}

type Turn = Record<string, unknown>;

/** The outcome of a file of `turns` turns before any is counted. */
export function emptyOutcome(file: string, turns: number): JudgeFileOutcome {
  return { file, turns, judged: 0, alreadyJudged: 0, unpredicted: 0, failed: 0 };
}

/** A prediction file read for judging: its turns and the ones still to judge. */
export interface JudgeWork {
  path: string;
  turns: Turn[];
  observations: Observation[];
  /** Indexes of the turns to judge, in order. */
  todo: number[];
  outcome: JudgeFileOutcome;
}

/**
 * Reads a prediction file and finds the turns to judge; throws an input error naming the
 * file when it cannot be read or is not a list of turns.
 */
export async function readJudgeWork(
  path: string,
  rule: NullStringRule,
  { dictKeys = false }: { dictKeys?: boolean } = {},
): Promise<JudgeWork> {
  const text = await readInputText(path, { what: "prediction file", noFollow: true });
  let turns: Turn[];
  try {
    turns = JSON.parse(text);
  } catch (error) {
    throw inputError(`Cannot parse the prediction file "${path}": ${describeError(error)}`);
  }
  if (!Array.isArray(turns)) throw inputError(`"${path}" is not a JSON array of turns`);
  const observations = turns.map((turn, i) => observationOf(turn, path, i));
  const outcome = emptyOutcome(path, turns.length);
  const todo: number[] = [];
  turns.forEach((turn, i) => {
    // A turn an earlier run could not judge keeps its proposals aside: judge them again.
    if (turn.agent_response === undefined && Array.isArray(turn.unjudged_agent_response)) {
      const { unjudged_agent_response: kept, ...rest } = turn;
      turns[i] = turn = { ...rest, agent_response: kept };
    }
    const response = dictKeys ? responseList(turn.agent_response) : turn.agent_response;
    if (!Array.isArray(response)) {
      outcome.unpredicted++;
      return;
    }
    const judgement = turn.judgement;
    if (Array.isArray(judgement) && judgement.length === proposalsOf(response, rule).length) {
      outcome.alreadyJudged++;
      return;
    }
    todo.push(i);
  });
  return { path, turns, observations, todo, outcome };
}

/** Judges turn `i` of `work` (every proposal), recording the judgement or the failure. */
export async function judgeTurn(
  work: JudgeWork,
  i: number,
  client: Pick<LlmClient, "chat">,
  options: Omit<JudgeOptions, "workers">,
  signal: AbortSignal,
): Promise<void> {
  const { turns, outcome, path } = work;
  const turn = turns[i];
  const leftover = isLeftoverDict(turn.agent_response);
  const proposals = proposalsOf(
    responseList(turn.agent_response) as unknown[],
    options.nullStrings,
  );
  const seen = work.observations.slice(0, i + 1);
  const judgement: boolean[] = [];
  let failure: string | undefined;
  // A turn that failed before starts after its earlier attempts: fresh samples, not the
  // cached unreadable answers.
  const first = typeof turn.judge_attempts === "number" ? turn.judge_attempts : 0;
  let attempts = first;
  const sight = { observations: seen, raw: turns.slice(0, i + 1).map((t) => t.observation) };
  try {
    for (const task of proposals) {
      const verdict = await askVerdict(client, sight, task, {
        prompts: promptsOf(options),
        first,
        signal,
        priority: options.priority,
      });
      attempts = Math.max(attempts, verdict.attempts);
      if (!verdict.ok) {
        failure = verdict.reason;
        break;
      }
      judgement.push(verdict.accepted);
    }
  } catch (error) {
    if (signal.aborted) throw error;
    failure = (error as Error).message.split("\n")[0];
  }
  const { judgement: _old, judge_failure: _f, judge_attempts: _a, ...rest } = turn;
  if (failure === undefined) {
    // The proposals as judged: a null proposal is written null ([] becomes [null]), as the
    // reference's judge writes it, so its calculator counts what was judged.
    turns[i] = { ...rest, agent_response: leftover ? turn.agent_response : proposals, judgement };
    outcome.judged++;
  } else {
    // Kept aside, not as agent_response: the reference's calculator would stop at a list
    // without its judgement (and zip a shorter one silently).
    const { agent_response: response, ...others } = rest;
    turns[i] = {
      ...others,
      unjudged_agent_response: response,
      judge_failure: failure,
      judge_attempts: attempts,
    };
    outcome.failed++;
    options.logger?.warn(`${path} turn ${i}: not judged (${failure})`);
  }
  options.progress?.tick(1, { failed: failure !== undefined });
}

/**
 * Judges the turns of every file in one pool of `options.workers`, file after file (so
 * that only as many requests are being prepared as can be sent); each file is written
 * atomically once its last turn is judged, and on an abort every file with judged turns is
 * written with what it has. Files without turns to judge are not touched.
 */
export async function judgeFiles(
  files: readonly JudgeWork[],
  client: Pick<LlmClient, "chat">,
  options: JudgeOptions,
): Promise<JudgeFileOutcome[]> {
  const jobs: [file: number, turn: number][] = [];
  files.forEach((work, f) => work.todo.forEach((i) => jobs.push([f, i])));
  const left = files.map((work) => work.todo.length);
  const started = new Set<number>();
  const writes = new Map<number, Promise<void>>();
  const write = (f: number) => {
    const writing = writeJsonAtomic(files[f].path, files[f].turns);
    writing.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
    writes.set(f, writing);
  };
  try {
    await runWorkerPool(jobs.length, options.workers, async (k, signal) => {
      const [f, i] = jobs[k];
      started.add(f);
      await judgeTurn(files[f], i, client, options, signal);
      if (--left[f] === 0) write(f);
    }, options.signal);
  } finally {
    for (const f of started) if (!writes.has(f)) write(f);
    await Promise.all(writes.values());
  }
  return files.map((work) => work.outcome);
}

/** A trace's own `{candidate_task: …}` left in place (the reference leaves it on a failed turn). */
function isLeftoverDict(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * The proposals of `agent_response` as a list: a list as it is; a leftover dict as its keys,
 * the way the reference's judge iterates it (`--reference-quirks` only reads such turns).
 */
function responseList(value: unknown): unknown {
  return isLeftoverDict(value) ? Object.keys(value) : value;
}
