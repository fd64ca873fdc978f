/**
 * One complete gym log as `agent-trainset` and `traces` read it: the environment's events,
 * the agent's proposals (`agent.proactive` from ProactiveAgent, attached to the event
 * before them, with the prediction they came from) and the logged training samples
 * (`agent.response`, the message lists the reward filter accepted). A log in either
 * encoding is read: proactive's own, or the reference project's (`reference_gym_log.ts`),
 * told apart by their records.
 */
import { basename } from "node:path";
import { describeError, inputError } from "../cli/errors.ts";
import { validateGymRecord } from "./log_writer.ts";
import type { ChatMessage } from "../llm/llm_types.ts";
import { type InputLine, readInputLines } from "../store/input_lines.ts";
import {
  isReferenceEncoding,
  operationsOf,
  predictionOf,
  type ReferenceLogRecord,
  referenceRecordOf,
  taskOfPrediction,
} from "./reference_gym_log.ts";

export interface LogEvent {
  time: string;
  event: string;
  /** The proposal logged after this event (and before the next), if any. */
  proposal?: string;
  /**
   * The prediction whose task is that proposal, when the log has it (the record's
   * `prediction`, the reference's `agent.proactive` content, or the logged sample).
   */
  proposalPrediction?: Record<string, unknown>;
  /** The reference's `agent.proactive` content as written (its `json.dumps` text). */
  proposalText?: string;
}

export interface LoggedSample {
  /** 0-based index of the latest event before the record; -1 before any event. */
  event: number;
  /** 1-based line of the record. */
  line: number;
  messages: ChatMessage[];
}

export interface GymLog {
  path: string;
  /** The encoding the log is in. */
  format: "proactive" | "reference";
  /** The file name without `.jsonl`: the log's name in cache tags and reports. */
  name: string;
  events: LogEvent[];
  samples: LoggedSample[];
  /** The `--seed` the gym played the scene with (its `setup` record), if logged. */
  seed: number | null;
  /** The scene's theme (its `setup` record), if logged. */
  theme: string | null;
  /**
   * The agent's operations (`agent.ops`) and the time the gym showed them to the agent
   * (its first activity), if logged.
   */
  operations: { time: string; value: unknown } | null;
}

function parseMessages(content: string, where: string): ChatMessage[] {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch (error) {
    throw inputError(
      `Cannot parse the agent.response content of ${where}: ${describeError(error)}`,
    );
  }
  if (
    !Array.isArray(value) ||
    !value.every((m) =>
      m !== null && typeof m === "object" &&
      ["system", "user", "assistant"].includes((m as ChatMessage).role) &&
      typeof (m as ChatMessage).content === "string"
    )
  ) {
    throw inputError(`The agent.response content of ${where} is not a list of chat messages`);
  }
  return value as ChatMessage[];
}

/** The prediction of an assistant text whose task is `task`, if it is one. */
function predictionWithTask(content: string, task: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(content) as Record<string, unknown>;
    const own = value?.["Proactive Task"];
    return typeof own === "string" && own.trim() === task ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A log's name: its file name without `.jsonl` (in any case). */
export function gymLogName(path: string): string {
  return basename(path).replace(/\.jsonl$/i, "");
}

/** Parses the text of a log; errors name the file and line. */
export function parseGymLog(path: string, text: string): GymLog {
  return parseGymLines(path, text.split("\n").map((line, i) => ({ line: i + 1, text: line })));
}

/** Parses the numbered lines of a log; errors name the file and line. */
export function parseGymLines(path: string, lines: Iterable<InputLine>): GymLog {
  const parsed: { number: number; value: unknown }[] = [];
  for (const { line: number, text } of lines) {
    if (text.trim() === "") continue;
    try {
      parsed.push({ number, value: JSON.parse(text) });
    } catch (error) {
      throw inputError(`Cannot read line ${number} of "${path}": ${describeError(error)}`);
    }
  }
  const reference = isReferenceEncoding(parsed.map((p) => p.value));
  const log: GymLog = {
    path,
    format: reference ? "reference" : "proactive",
    name: gymLogName(path),
    events: [],
    samples: [],
    seed: null,
    theme: null,
    operations: null,
  };
  const reader = new LogReader(log);
  for (const { number, value } of parsed) {
    const where = `line ${number} of "${path}"`;
    let record: LogRecord;
    try {
      record = reference ? fromReference(referenceRecordOf(value)) : validateGymRecord(value);
    } catch (error) {
      throw inputError(`Cannot read ${where}: ${describeError(error)}`);
    }
    reader.read(record, number, where);
  }
  // Operations shown before the clock started are seen at the first event.
  if (log.operations && log.operations.time === FROZEN) {
    if (log.events.length > 0) log.operations.time = log.events[0].time;
    else log.operations = null;
  }
  return log;
}

/** Stands for a time before the clock started, until the first event gives one. */
const FROZEN = "";

/** A record as both encodings give it to the reader. */
interface LogRecord {
  source: string;
  /** Null before the clock starts (reference logs only). */
  time: string | null;
  tags: string[];
  content: string | null;
  prediction?: Record<string, unknown>;
  /** The reference's agent.ops, already read. */
  operations?: unknown;
  /** The reference's agent.proactive content as written. */
  raw?: string;
}

function fromReference(record: ReferenceLogRecord): LogRecord {
  const out: LogRecord = { ...record };
  if (record.source === "ProactiveAgent" && record.tags.includes("agent.proactive")) {
    const prediction = predictionOf(record.content);
    out.content = prediction ? taskOfPrediction(prediction) : null;
    if (prediction) {
      out.prediction = prediction;
      out.raw = record.content;
    }
  }
  if (record.tags.includes("agent.ops")) out.operations = operationsOf(record.content);
  return out;
}

/** Reads records in order into `log`. */
class LogReader {
  #lastPrediction: string | undefined;
  #setupRead = false;
  constructor(readonly log: GymLog) {}

  read(record: LogRecord, number: number, where: string): void {
    const { log } = this;
    const tags = record.tags;
    if (tags.includes("setup") && record.source === "system" && !this.#setupRead) {
      this.#readSetup(record.content);
    } else if (tags.includes("agent.ops") && log.operations === null) {
      log.operations = { time: record.time ?? FROZEN, value: this.#operations(record, where) };
    } else if (
      tags.includes("activity") && record.source === "User" && log.events.length === 0 &&
      log.operations
    ) {
      if (record.time !== null) log.operations.time = record.time;
    } else if (tags.includes("events")) {
      if (record.time === null) {
        throw inputError(`Cannot read ${where}: an event before the clock started`);
      }
      log.events.push({ time: record.time, event: record.content ?? "" });
      this.#lastPrediction = undefined;
    } else if (tags.includes("agent.response")) {
      const messages = parseMessages(record.content ?? "", where);
      log.samples.push({ event: log.events.length - 1, line: number, messages });
      const last = messages.at(-1);
      this.#lastPrediction = last?.role === "assistant" ? last.content : undefined;
    } else if (
      tags.includes("agent.proactive") && record.source === "ProactiveAgent" &&
      typeof record.content === "string" && record.content.trim() !== "" && log.events.length > 0
    ) {
      this.#readProposal(record, record.content.trim());
    }
  }

  #readSetup(content: string | null): void {
    try {
      const setup = JSON.parse(content ?? "") as { seed?: unknown; theme?: unknown };
      this.#setupRead = true;
      if (typeof setup.seed === "number") this.log.seed = setup.seed;
      if (typeof setup.theme === "string" && setup.theme.trim() !== "") {
        this.log.theme = setup.theme.trim();
      }
    } catch {
      // A setup record without JSON content (the reference's "Setup Components..."):
      // proactive's own setup record may follow.
      if (this.log.format === "proactive") this.#setupRead = true;
    }
  }

  #operations(record: LogRecord, where: string): unknown {
    if (record.operations !== undefined) return record.operations;
    try {
      return JSON.parse(record.content ?? "");
    } catch (error) {
      throw inputError(`Cannot parse the agent.ops content of ${where}: ${describeError(error)}`);
    }
  }

  #readProposal(record: LogRecord, task: string): void {
    const event = this.log.events[this.log.events.length - 1];
    event.proposal = task;
    const prediction = record.prediction ??
      (this.#lastPrediction === undefined
        ? undefined
        : predictionWithTask(this.#lastPrediction, task));
    if (prediction) event.proposalPrediction = { ...prediction, "Proactive Task": task };
    if (record.raw !== undefined) event.proposalText = record.raw;
  }
}

/** Reads a log line by line with the one input reader (`readInputLines`). */
export async function readGymLog(path: string): Promise<GymLog> {
  return parseGymLines(path, await Array.fromAsync(readInputLines(path, { what: "gym log" })));
}
