/**
 * Test support: a logger that keeps its lines in memory (never imported by product code).
 *
 * @module
 */
import { createLogger, type Logger } from "../logger.ts";

/** A logger that keeps its lines in memory, for tests. */
export function createMemoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({
    verbose: true,
    timestamps: false,
    write: (line) => lines.push(line.trimEnd()),
  });
  return Object.assign(logger, { lines });
}
