/**
 * `ServeContext`, what the serve logic modules share: the store, the `CommitBatcher`, the
 * `TraceRecords` mirror, the trace catalog, the limits, the clock, the logger, and the
 * `traceChanged` and `storageHealth` hooks into the result writer (`result_writer.ts`).
 * `startServer` (`serve_server.ts`) builds it once, as the `AppDeps` of `createApp`
 * (`serve_app.ts`), which extends it; tests build their own (`testing/test_context.ts`).
 * It is passed down to every call: the serve modules keep no module-level state.
 *
 * @module
 */
import type { Logger } from "../cli/logger.ts";
import type { CommitBatcher } from "./commit_batcher.ts";
import type { StorageHealth } from "./health.ts";
import type { Catalog } from "./trace_catalog.ts";
import type { TraceRecords } from "./trace_records.ts";

/** What the serve logic modules share (see the module doc). */
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
