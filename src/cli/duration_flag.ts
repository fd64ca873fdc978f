import ms from "ms";
import { usageError } from "./errors.ts";

/** A duration such as `90s`, `30m`, `2h`, `1d` or plain milliseconds, in milliseconds. */
export function durationFlag(name: string, raw: string | undefined, fallbackMs: number): number {
  if (raw === undefined) return fallbackMs;
  const trimmed = raw.trim();
  const value = /^\d+$/.test(trimmed) ? Number(trimmed) : ms(trimmed as ms.StringValue);
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw usageError(`--${name} must be a duration such as 90s, 30m or 2h, got "${raw}"`);
  }
  return value;
}
