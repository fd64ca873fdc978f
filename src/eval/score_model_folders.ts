/**
 * `proactive eval score`: per split and per model folder of judged traces, the
 * ProactiveBench metrics, computed with the reference's arithmetic (eval/
 * calculate_agent_performance.py of ProactiveAgent) so its numbers reproduce to the last digit.
 */
import { basename, join } from "node:path";
import { describeError, inputError } from "../cli/errors.ts";
import { readOptionalInputText } from "../store/read_input.ts";
import { isFailedTurn } from "./predict_traces.ts";
import { modelIdOfFolder } from "./model_folder.ts";
import { readModelMarker } from "./model_marker.ts";
import type { Split } from "./score_splits.ts";

/** How the strings "null", "None" and "" count: null proposals (default) or tasks (reference). */
export type NullStringRule = "null" | "task";
export const NULL_STRING_RULES = ["null", "task"] as const;
const NULL_STRINGS = new Set(["null", "None", ""]);

/** The reference's epsilon added to every denominator. */
const EPS = 1e-8;

/** The confusion counts of judged proposals ("accepted" is positive, a task is predicted). */
export interface ConfusionCounts {
  /** Task proposed and accepted. */
  tp: number;
  /** Task proposed and rejected. */
  fp: number;
  /** Null proposal accepted. */
  tn: number;
  /** Null proposal rejected. */
  fn: number;
  /** Tasks proposed (judged ones). */
  proposed: number;
  /** Tasks proposed and accepted. */
  accepted: number;
}

/** The reference's CSV columns after "Category", in order. */
export const METRIC_NAMES = [
  "Recall",
  "Precision",
  "Accuracy",
  "False-Alarm",
  "F1-Score",
  "Accept Rate",
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];
export type Metrics = Record<MetricName, number> & { "Total Events": number };

/** What the turns of one split in one model folder add up to. */
export interface TurnTally {
  counts: ConfusionCounts;
  /** Every turn of the files read (the reference's "Total Events"). */
  totalEvents: number;
  /** Turns `eval agent` marked failed (`failure`, or `agent_response: null`): excluded. */
  failedTurns: number;
  /** Turns with a prediction but no judgement (or a `null` judgement): excluded. */
  unjudgedTurns: number;
  /** Turns with fewer judgements than proposals: scored pairwise, as the reference zips. */
  partlyJudgedTurns: number;
}

export interface SplitScore {
  split: string;
  theme?: string;
  /** False when files are missing and --allow-partial was not given: no metrics. */
  complete: boolean;
  /** Files of the split not found in the model folder. */
  missing: string[];
  /** Null when the split is incomplete and not scored. */
  metrics: Metrics | null;
  tally: TurnTally;
}

export interface ModelScore {
  /**
   * The model: the one the folder's marker names (`.model.json`, written by `eval agent`),
   * else the name the folder name stands for (`modelIdOfFolder`: the folder name itself
   * for a plain name, as in the reference's layout).
   */
  model: string;
  /** The folder's name, as the reference names its CSV. */
  folder: string;
  dir: string;
  splits: SplitScore[];
}

export interface ScoreOptions {
  splits: Split[];
  nullStrings?: NullStringRule;
  allowPartial?: boolean;
  /** Score as the reference's calculate_agent_performance.py does (`--as-reference`). */
  asReference?: boolean;
  /** Told of each split skipped for a missing file under `asReference`. */
  onSkippedSplit?: (split: string, file: string) => void;
}

export interface ScoreResult {
  nullStrings: NullStringRule;
  allowPartial: boolean;
  models: ModelScore[];
}

function emptyTally(): TurnTally {
  return {
    counts: { tp: 0, fp: 0, tn: 0, fn: 0, proposed: 0, accepted: 0 },
    totalEvents: 0,
    failedTurns: 0,
    unjudgedTurns: 0,
    partlyJudgedTurns: 0,
  };
}

function isNullProposal(pred: unknown, rule: NullStringRule): boolean {
  if (pred === null || pred === undefined) return true;
  return rule === "null" && typeof pred === "string" && NULL_STRINGS.has(pred.trim());
}

/**
 * A stored judgement: true/false (what both judges write, read as the reference's `if judge:`
 * reads it), or "accepted"/"rejected" spelled out; anything else (`null`, a number, another
 * string) is no judgement.
 */
function judgementValue(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === "accepted") return true;
  if (value === "rejected") return false;
  return undefined;
}

/**
 * Adds the turns of one trace to `tally`, turn by turn as the reference does: each
 * proposal of `agent_response` is paired with the judgement at the same index. Differences
 * from the reference, which never meet a folder the reference's judge wrote: a failed turn
 * (`agent_response: null`) and a turn without judgements are excluded and counted; an empty
 * list judged once is one null proposal (our judge keeps `[]`, the reference's writes
 * `[null]`); a judgement that is not true/false (or "accepted"/"rejected") is unjudged; "null"/"None"/"" are null proposals unless
 * `rule` is "task".
 */
export function tallyTurns(turns: unknown[], rule: NullStringRule, tally: TurnTally): void {
  tally.totalEvents += turns.length;
  for (const turn of turns) {
    if (isFailedTurn(turn)) {
      tally.failedTurns++;
      continue;
    }
    if (typeof turn !== "object" || turn === null) continue;
    if (!("agent_response" in turn)) {
      // Not judged by eval judge (its proposals kept aside): excluded, counted.
      if ("judge_failure" in turn) tally.unjudgedTurns++;
      continue;
    }
    const { agent_response: response, judgement } = turn as {
      agent_response: unknown;
      judgement?: unknown;
    };
    if (!Array.isArray(response)) {
      tally.unjudgedTurns++; // e.g. an unpredicted trace's {candidate_task: [...]}
      continue;
    }
    if (!Array.isArray(judgement) || judgement.length === 0) {
      tally.unjudgedTurns++;
      continue;
    }
    const proposals = response.length === 0 ? [null] : response;
    const pairs = Math.min(proposals.length, judgement.length);
    if (judgement.length < proposals.length) tally.partlyJudgedTurns++;
    let unjudged = false;
    for (let i = 0; i < pairs; i++) {
      const judge = judgementValue(judgement[i]);
      if (judge === undefined) {
        unjudged = true;
        continue;
      }
      const c = tally.counts;
      if (!isNullProposal(proposals[i], rule)) {
        c.proposed++;
        if (judge) {
          c.accepted++;
          c.tp++;
        } else c.fp++;
      } else if (judge) c.tn++;
      else c.fn++;
    }
    if (unjudged) tally.unjudgedTurns++;
  }
}

/** Python's truthiness of a JSON value (`if judge:`). */
function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === "") {
    return false;
  }
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}

/** What Python's iteration gives of a JSON value (a list's items, a dict's keys, a text's letters). */
function pythonItems(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === "string") return [...value];
  if (value !== null && typeof value === "object") return Object.keys(value);
  return [];
}

/**
 * Adds the turns of one trace exactly as calculate_agent_performance.py does: a turn
 * counts when `len(agent_response)` is above 0 (a leftover `{candidate_task: …}` dict too,
 * as its keys), each element zipped with `judgement`; an element that is not null is a
 * proposed task (the string "null" too), accepted when its judgement is truthy. Where the
 * script would stop (`len(None)`, no `judgement`), this names the file and turn.
 */
export function tallyTurnsAsReference(turns: unknown[], file: string, tally: TurnTally): void {
  tally.totalEvents += turns.length;
  turns.forEach((turn, index) => {
    const event = (turn ?? {}) as Record<string, unknown>;
    const response = event.agent_response === undefined ? [] : event.agent_response;
    if (response === null || typeof response === "number" || typeof response === "boolean") {
      throw inputError(
        `"${file}" turn ${index}: agent_response is ${JSON.stringify(response)}; the ` +
          `reference's calculator stops here (len() of it)`,
      );
    }
    const items = pythonItems(response);
    if (items.length === 0) return;
    if (!("judgement" in event)) {
      throw inputError(
        `"${file}" turn ${index} has proposals but no judgement; the reference's calculator ` +
          `stops here (KeyError)`,
      );
    }
    const judgements = pythonItems(event.judgement);
    const c = tally.counts;
    for (let i = 0; i < Math.min(items.length, judgements.length); i++) {
      const judge = truthy(judgements[i]);
      if (items[i] !== null) {
        c.proposed++;
        if (judge) {
          c.accepted++;
          c.tp++;
        } else c.fp++;
      } else if (judge) c.tn++;
      else c.fn++;
    }
  });
}

/** The reference's metrics from confusion counts, in its order of float operations. */
export function metricsOf(counts: ConfusionCounts, totalEvents: number): Metrics {
  const { tp, fp, tn, fn, proposed, accepted } = counts;
  const recall = tp / (tp + fn + EPS);
  const precision = tp / (tp + fp + EPS);
  const accuracy = (tp + tn) / (tp + tn + fp + fn + EPS);
  const falseAlarm = fp / (tp + fp + EPS);
  const accept = accepted / (proposed + EPS);
  return {
    "Recall": recall,
    "Precision": precision,
    "Accuracy": accuracy,
    "False-Alarm": falseAlarm,
    "F1-Score": 2 * (precision * recall) / (precision + recall + 1e-8),
    "Accept Rate": accept,
    "Total Events": totalEvents,
  };
}

/** A judged trace's turns; undefined when the file is missing (a folder in its place fails). */
async function readTrace(path: string): Promise<unknown[] | undefined> {
  const text = await readOptionalInputText(path);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw inputError(`Cannot parse "${path}": ${describeError(error)}`, error);
  }
  if (!Array.isArray(value)) throw inputError(`"${path}" is not a list of turns`);
  return value;
}

/** Scores one model folder on every split. */
export async function scoreModelFolder(dir: string, options: ScoreOptions): Promise<ModelScore> {
  const rule = options.nullStrings ?? "null";
  const cache = new Map<string, unknown[] | undefined>();
  const splits: SplitScore[] = [];
  for (const split of options.splits) {
    const tally = emptyTally();
    const missing: string[] = [];
    for (const file of split.files) {
      if (!cache.has(file)) cache.set(file, await readTrace(join(dir, file)));
      const turns = cache.get(file);
      if (turns === undefined) missing.push(file);
      else if (options.asReference) tallyTurnsAsReference(turns, join(dir, file), tally);
      else tallyTurns(turns, rule, tally);
    }
    const complete = missing.length === 0;
    // The reference skips a split with a file it cannot read (it prints the error).
    if (!complete && options.asReference) options.onSkippedSplit?.(split.name, missing[0]);
    const scored = complete || (options.allowPartial === true && !options.asReference);
    splits.push({
      split: split.name,
      ...(split.theme !== undefined ? { theme: split.theme } : {}),
      complete,
      missing,
      metrics: scored ? metricsOf(tally.counts, tally.totalEvents) : null,
      tally,
    });
  }
  return { model: await modelOfFolder(dir), folder: folderName(dir), dir, splits };
}

/** The folder's base name ("runs/gpt-4o/" → "gpt-4o"), which names its CSV. */
export function folderName(dir: string): string {
  return basename(dir.replace(/[\\/]+$/, "")) || dir;
}

/** The model of a folder: its marker's, else the one its name stands for. */
export async function modelOfFolder(dir: string): Promise<string> {
  return await readModelMarker(dir) ?? modelIdOfFolder(folderName(dir));
}

/**
 * Scores every model folder (`<dir>/<file>.json` with `agent_response` and `judgement` per
 * turn) on every split. Two folders with the same name (their CSVs would clash) or of the
 * same model (their rows would) are refused.
 */
export async function scoreModelFolders(
  dirs: readonly string[],
  options: ScoreOptions,
): Promise<ScoreResult> {
  const names = new Map<string, string>();
  const models = new Map<string, string>();
  for (const dir of dirs) {
    const stat = await Deno.stat(dir).catch((error) => {
      throw inputError(`Cannot read model folder "${dir}": ${describeError(error, dir)}`, error);
    });
    if (!stat.isDirectory) throw inputError(`"${dir}" is not a folder of judged traces`);
    const name = folderName(dir);
    if (names.has(name)) {
      throw inputError(`"${names.get(name)}" and "${dir}" have the same folder name "${name}"`);
    }
    names.set(name, dir);
    const model = await modelOfFolder(dir);
    if (models.has(model)) {
      throw inputError(
        `"${models.get(model)}" and "${dir}" hold the outputs of the same model ` +
          `${JSON.stringify(model)}`,
      );
    }
    models.set(model, dir);
  }
  const scores: ModelScore[] = [];
  for (const dir of dirs) scores.push(await scoreModelFolder(dir, options));
  return {
    nullStrings: options.nullStrings ?? "null",
    allowPartial: options.allowPartial === true,
    models: scores,
  };
}
