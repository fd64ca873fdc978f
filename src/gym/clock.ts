/**
 * The gym's simulated clock. Scenes give their start as `M-D H:M:S` (the reference's
 * format; models also write it unpadded, with a year, with `/` or a `T`, or without
 * seconds); the clock keeps a real date-time and prints `MM-DD HH:MM:SS`. Without a year
 * the date falls in a leap year, so `02-29` is valid. Time only moves forward, by whole
 * seconds.
 */
import { z } from "zod";

/** The year of a start time that names none: a leap year, so `02-29` exists. */
export const BASE_YEAR = 2024;

const TIME_PATTERN =
  /^\s*(?:(\d{4})[-/])?(\d{1,2})[-/](\d{1,2})(?:\s+|T)(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?\s*$/;

export type ParsedTime = { ok: true; epochSeconds: number } | { ok: false; error: string };

/** Reads a start time; the error says what is wrong in words a model can act on. */
export function parseSceneTime(text: string): ParsedTime {
  const match = TIME_PATTERN.exec(text);
  if (!match) {
    return {
      ok: false,
      error: `"${text}" is not a date-time in the form M-D H:M:S (e.g. "03-14 09:30:00")`,
    };
  }
  const [, yearText, ...rest] = match;
  const [month, day, hour, minute, second = 0] = rest.map((part) =>
    part === undefined ? undefined : Number(part)
  ) as number[];
  const year = yearText === undefined ? BASE_YEAR : Number(yearText);
  const problems: string[] = [];
  if (month < 1 || month > 12) problems.push(`month ${month} does not exist`);
  else if (day < 1 || day > daysIn(year, month)) {
    problems.push(`day ${day} does not exist in month ${month}`);
  }
  if (hour > 23) problems.push(`hour ${hour} is past 23`);
  if (minute > 59) problems.push(`minute ${minute} is past 59`);
  if (second > 59) problems.push(`second ${second} is past 59`);
  if (problems.length > 0) {
    return { ok: false, error: `"${text}" is not a real date-time: ${problems.join(", ")}` };
  }
  return { ok: true, epochSeconds: Date.UTC(year, month - 1, day, hour, minute, second) / 1000 };
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** `MM-DD HH:MM:SS` of a time in seconds since the epoch (UTC). */
export function formatSceneTime(epochSeconds: number): string {
  const date = new Date(epochSeconds * 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
}

/**
 * A start time in a model's answer: text that must be a real date-time. The check is part
 * of the schema, so an impossible date goes back to the model with the reason.
 */
export const sceneTimeSchema = z.string().superRefine((text, ctx) => {
  const parsed = parseSceneTime(text);
  if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.error });
});

/** The clock of one scene. */
export class SimClock {
  #seconds: number;

  constructor(epochSeconds: number) {
    this.#seconds = epochSeconds;
  }

  /** A clock at `text`; throws (RangeError) when it is not a real date-time. */
  static at(text: string): SimClock {
    const parsed = parseSceneTime(text);
    if (!parsed.ok) throw new RangeError(parsed.error);
    return new SimClock(parsed.epochSeconds);
  }

  get epochSeconds(): number {
    return this.#seconds;
  }

  /** `MM-DD HH:MM:SS`. */
  format(): string {
    return formatSceneTime(this.#seconds);
  }

  /** Moves forward by `seconds`, a whole number ≥ 1. */
  advance(seconds: number): void {
    if (!Number.isSafeInteger(seconds) || seconds < 1) {
      throw new RangeError(`The clock moves forward by whole seconds ≥ 1, not ${seconds}`);
    }
    this.#seconds += seconds;
  }
}
