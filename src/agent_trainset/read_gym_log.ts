/**
 * One complete gym log as `agent-trainset` reads it: the environment's events, the agent's
 * proposals (`agent.proactive` from ProactiveAgent, attached to the event before them) and
 * the logged training samples (`agent.response`, the message lists the reward filter
 * accepted).
 */
import { basename } from "node:path";
import { describeError, inputError } from "../cli/errors.ts";
import { validateGymRecord } from "../gym/log_writer.ts";
import type { ChatMessage } from "../llm/llm_types.ts";
import { type InputLine, readInputLines } from "../store/input_lines.ts";

export interface LogEvent {
  time: string;
  event: string;
  /** The proposal logged after this event (and before the next), if any. */
  proposal?: string;
  /** The logged prediction (assistant text) whose task is that proposal, if any. */
  proposalPrediction?: string;
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

/** The proposed task of an assistant text, if it is a prediction. */
function taskOf(content: string): string | null {
  try {
    const task = (JSON.parse(content) as Record<string, unknown>)["Proactive Task"];
    return typeof task === "string" && task.trim() !== "" ? task.trim() : null;
  } catch {
    return null;
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
  const events: LogEvent[] = [];
  const samples: LoggedSample[] = [];
  let lastPrediction: string | undefined;
  let seed: number | null = null;
  let theme: string | null = null;
  let setupRead = false;
  let operations: GymLog["operations"] = null;
  for (const { line: number, text: line } of lines) {
    if (line.trim() === "") continue;
    const where = `line ${number} of "${path}"`;
    let record;
    try {
      record = validateGymRecord(JSON.parse(line));
    } catch (error) {
      throw inputError(`Cannot read ${where}: ${describeError(error)}`);
    }
    const tag = record.tags[0];
    if (tag === "setup" && record.source === "system" && !setupRead) {
      setupRead = true;
      try {
        const setup = JSON.parse(record.content ?? "") as { seed?: unknown; theme?: unknown };
        if (typeof setup.seed === "number") seed = setup.seed;
        if (typeof setup.theme === "string" && setup.theme.trim() !== "") {
          theme = setup.theme.trim();
        }
      } catch { /* a setup record without JSON content */ }
    } else if (tag === "agent.ops" && operations === null) {
      try {
        operations = { time: record.time, value: JSON.parse(record.content ?? "") };
      } catch (error) {
        throw inputError(`Cannot parse the agent.ops content of ${where}: ${describeError(error)}`);
      }
    } else if (
      tag === "activity" && record.source === "User" && events.length === 0 && operations
    ) {
      operations.time = record.time;
    } else if (tag === "events") {
      events.push({ time: record.time, event: record.content ?? "" });
      lastPrediction = undefined;
    } else if (tag === "agent.response") {
      const messages = parseMessages(record.content ?? "", where);
      samples.push({ event: events.length - 1, line: number, messages });
      const last = messages.at(-1);
      lastPrediction = last?.role === "assistant" ? last.content : undefined;
    } else if (
      tag === "agent.proactive" && record.source === "ProactiveAgent" &&
      typeof record.content === "string" && record.content.trim() !== "" && events.length > 0
    ) {
      const event = events[events.length - 1];
      event.proposal = record.content.trim();
      if (lastPrediction !== undefined && taskOf(lastPrediction) === event.proposal) {
        event.proposalPrediction = lastPrediction;
      }
    }
  }
  return {
    path,
    name: gymLogName(path),
    events,
    samples,
    seed,
    theme,
    operations,
  };
}

/** Reads a log line by line with the one input reader (`readInputLines`). */
export async function readGymLog(path: string): Promise<GymLog> {
  return parseGymLines(path, await Array.fromAsync(readInputLines(path, { what: "gym log" })));
}
