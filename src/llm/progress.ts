/**
 * Progress of a stage over N items. On a terminal: one bar redrawn in place with rate and
 * ETA. Elsewhere (cron, CI, a log file): one plain line every few seconds and one at the
 * end. Driven by `tick()`; the clock and the writer are injected, so nothing runs in the
 * background.
 */
import type { CommandContext } from "../cli/command.ts";
import type { Logger } from "../cli/logger.ts";

export interface ProgressOptions {
  /** Items to process. */
  total: number;
  /** Shown first, e.g. "reward". */
  label: string;
  isTerminal: boolean;
  /** Raw text output (stderr): the bar uses `\r`, plain lines end with `\n`. */
  write: (text: string) => void;
  now: () => number;
  /** Non-terminal: the least time between two lines (default 5 s). */
  intervalMs?: number;
  /** Terminal: the least time between two redraws (default 100 ms). */
  redrawMs?: number;
  /** Terminal: width of the bar in characters (default 30). */
  barWidth?: number;
}

export interface Progress {
  /** `n` more items done (default 1); `failed: true` counts them as failures too. */
  tick(n?: number, options?: { failed?: boolean }): void;
  /** Clears the bar so a log line can be printed; the next tick redraws it. */
  clear(): void;
  /** Prints the final state (and ends the bar's line). */
  done(): void;
  readonly completed: number;
  readonly failed: number;
}

export function createProgress(options: ProgressOptions): Progress {
  const { total, label, isTerminal, write, now } = options;
  const intervalMs = options.intervalMs ?? 5_000;
  const redrawMs = options.redrawMs ?? 100;
  const barWidth = options.barWidth ?? 30;
  const started = now();
  let completed = 0;
  let failed = 0;
  let lastWrite = -Infinity;
  let barShown = false;
  let finished = false;

  const status = (): string => {
    const elapsed = now() - started;
    const rate = elapsed > 0 ? completed / (elapsed / 1000) : 0;
    const remaining = Math.max(0, total - completed);
    const eta = completed > 0 ? formatDuration((elapsed / completed) * remaining) : "?";
    const percent = total > 0 ? Math.floor((completed / total) * 100) : 100;
    const failures = failed > 0 ? `, ${failed} failed` : "";
    return `${completed}/${total} (${percent}%${failures}), ${rate.toFixed(1)}/s, ` +
      `elapsed ${formatDuration(elapsed)}, ETA ${eta}`;
  };

  const render = (final: boolean) => {
    const time = now();
    if (isTerminal) {
      if (!final && time - lastWrite < redrawMs) return;
      const filled = total > 0 ? Math.round((Math.min(completed, total) / total) * barWidth) : 0;
      const bar = "█".repeat(filled) + "░".repeat(barWidth - filled);
      write(`\r\x1b[2K${label} ${bar} ${status()}${final ? "\n" : ""}`);
      barShown = !final;
    } else {
      if (!final && time - lastWrite < intervalMs) return;
      write(`${label}: ${status()}${final ? ", done" : ""}\n`);
    }
    lastWrite = time;
  };

  return {
    tick(n = 1, { failed: isFailure = false } = {}) {
      completed += n;
      if (isFailure) failed += n;
      if (!finished) render(false);
    },
    clear() {
      if (isTerminal && barShown) {
        write("\r\x1b[2K");
        barShown = false;
        lastWrite = -Infinity;
      }
    },
    done() {
      if (finished) return;
      finished = true;
      render(true);
    },
    get completed() {
      return completed;
    },
    get failed() {
      return failed;
    },
  };
}

/** A logger whose lines clear the bar first, so log lines and the bar do not mix. */
export function loggerAboveProgress(logger: Logger, progress: Progress): Logger {
  const wrap = (log: (message: string) => void) => (message: string) => {
    progress.clear();
    log(message);
  };
  return {
    info: wrap(logger.info),
    warn: wrap(logger.warn),
    error: wrap(logger.error),
    debug: wrap(logger.debug),
  };
}

/** `950ms`, `42s`, `3m05s`, `2h07m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

/**
 * The progress of a command: a bar on raw stderr when it is a terminal, else plain lines
 * through the logger (which timestamps them for cron logs).
 */
export function createCommandProgress(
  ctx: Pick<CommandContext, "stderr" | "logger" | "isTerminal" | "now">,
  total: number,
  label: string,
): Progress {
  const bar = ctx.isTerminal && ctx.stderr !== undefined;
  return createProgress({
    total,
    label,
    isTerminal: bar,
    write: bar ? ctx.stderr! : (text) => ctx.logger.info(text.trimEnd()),
    now: ctx.now,
  });
}
