import type { FlagDecls } from "./flags.ts";
import type { Logger } from "./logger.ts";

/** What every subcommand receives from `main.ts`: no globals, everything injectable. */
export interface CommandContext {
  /** Environment lookup (tests pass a plain map). */
  env: (name: string) => string | undefined;
  /** Human-facing output (results, summaries, help). */
  stdout: (text: string) => void;
  /** Diagnostics: progress, warnings, log lines. */
  logger: Logger;
  /** Raw stderr, for a progress bar redrawn in place (absent: use `logger`). */
  stderr?: (text: string) => void;
  /** True when stderr is a terminal (progress bars) rather than a log file (cron). */
  isTerminal: boolean;
  /** Aborted on SIGINT/SIGTERM so long work can stop cleanly. */
  signal: AbortSignal;
  /** The wall clock (tests substitute a fake). */
  now: () => number;
}

/** A subcommand: `src/<name>/command.ts` exports one of these. */
export interface Command {
  name: string;
  /** One line for `proactive --help`. */
  summary: string;
  /** The full `proactive <name> --help` text. */
  help: string;
  /**
   * Its flags, as declared (`cli/flags.ts`); a command with targets (`eval reward`,
   * `prompts import`) lists each target's under its name.
   */
  flags: FlagDecls | Readonly<Record<string, FlagDecls>>;
  /** Runs the command; throws `ProactiveError` for expected failures. Resolves to an exit code. */
  run(args: string[], ctx: CommandContext): Promise<number>;
}
