import type { Logger } from "../cli/logger.ts";
import type { CommitBatcher } from "./commit_batcher.ts";
import type { StorageHealth } from "./health.ts";
import type { Catalog } from "./trace_catalog.ts";
import type { TraceRecords } from "./trace_records.ts";

/**
 * What the serve logic modules share. Built once by `startServer` (or by a test) and
 * passed down: no module-level state.
 */
export interface ServeContext {
  kv: Deno.Kv;
  /** Group commit for the hot-path writes (labels, reservations, sessions). */
  commits: CommitBatcher;
  /** Mirror of the trace records (see `TraceRecords`); loaded before serving. */
  records: TraceRecords;
  catalog: Catalog;
  /** N: the most annotators a trace may have (done + in progress). */
  annotatorsPerTrace: number;
  /** An unfinished reservation idle this long is released; 0 never releases. */
  reclaimAfterMs: number;
  now: () => number;
  logger: Logger;
  /** Called after a trace's annotators or labels changed (regenerates its result file). */
  traceChanged: (trace: string) => void;
  /** Health of the result files (`GET /api/health`, status page); healthy when absent. */
  storageHealth?: () => StorageHealth;
}
