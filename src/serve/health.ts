/**
 * The health of the result files, as `GET /api/health` and the status page report it:
 * `storageHealth` turns the result writer's stale list (`ResultWriter.stale`,
 * `result_writer.ts`) into the JSON body, `healthStatus` is 200 when every file is current
 * and 503 otherwise, and `shutdownLine` is the last log line of `proactive serve`
 * (`serve_server.ts`). The store holds every label either way: a stale file only lags
 * behind it until a write succeeds.
 *
 * @module
 */
import { basename } from "node:path";
import type { StaleFile } from "./result_writer.ts";

/** The body of `GET /api/health` and the `storage` part of the status. */
export interface StorageHealth {
  /** True when every result file is current. */
  ok: boolean;
  /** Files whose last write failed, oldest failure first. */
  staleFiles: {
    trace: string;
    file: string;
    error: string;
    /** ISO time of the first failed write of this streak. */
    since: string;
    attempts: number;
  }[];
  /** One line per problem (empty when ok). */
  reasons: string[];
}

/** The health of the result files, from the writer's stale list. */
export function storageHealth(stale: readonly StaleFile[]): StorageHealth {
  const staleFiles = stale.map((s) => ({
    trace: s.trace,
    file: basename(s.path),
    error: s.error,
    since: new Date(s.since).toISOString(),
    attempts: s.attempts,
  }));
  return {
    ok: staleFiles.length === 0,
    staleFiles,
    reasons: staleFiles.map((s) =>
      `The result file ${s.file} is stale: ${s.error} (failing since ${s.since}, ${s.attempts} attempts; retrying)`
    ),
  };
}

/** The healthy state (contexts without a result writer, such as unit tests). */
export const HEALTHY: StorageHealth = { ok: true, staleFiles: [], reasons: [] };

/** The HTTP status of `GET /api/health`: 200 when every file is current, else 503. */
export function healthStatus(health: StorageHealth): 200 | 503 {
  return health.ok ? 200 : 503;
}

/**
 * The shutdown line: "Server stopped; result files are up to date", or
 * `Server stopped; 2 result files are stale: "a.json" (why); "b.json" (why)`.
 */
export function shutdownLine(stale: readonly StaleFile[]): string {
  if (stale.length === 0) return "Server stopped; result files are up to date";
  const list = stale.map((s) => `"${s.path}" (${s.error})`).join("; ");
  return `Server stopped; ${stale.length} result ${
    stale.length === 1 ? "file is" : "files are"
  } stale: ${list}. The store holds every label: restart the server once the folder is writable to rewrite them`;
}
