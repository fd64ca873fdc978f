/**
 * A `CommandContext` for tests and benchmarks that run a command in-process: no
 * environment, stdout collected in `out`, a memory logger, not a terminal.
 */
import type { CommandContext } from "../command.ts";
import { createMemoryLogger } from "./memory_logger.ts";

export function createTestCommandContext(signal: AbortSignal = new AbortController().signal): {
  ctx: CommandContext;
  out: string[];
  logger: ReturnType<typeof createMemoryLogger>;
} {
  const out: string[] = [];
  const logger = createMemoryLogger();
  const ctx: CommandContext = {
    env: () => undefined,
    stdout: (text) => out.push(text),
    logger,
    isTerminal: false,
    signal,
    now: Date.now,
  };
  return { ctx, out, logger };
}
