/**
 * Group commit for Deno KV. Each KV commit waits for the disk (fsync), and Deno KV commits
 * one atomic operation at a time, so a busy server would be bound by the disk's sync rate.
 * The batcher merges the operations that arrive while a commit is running into one atomic
 * commit. Every caller still gets its answer only after its own writes are durable, and
 * the semantics of each operation are kept:
 *
 * - a batch never holds two operations touching the same key (later ones wait, in order);
 * - an operation whose check is already known to fail (its key was written by an earlier
 *   batch, after the version it read) fails at once without a commit;
 * - if a merged commit fails anyway (a write from outside, an unexpected limit), each of
 *   its operations is committed on its own, so only the failing one fails.
 *
 * `startServer` (`serve_server.ts`) creates one `CommitBatcher` over the store and passes it
 * to `createApp` as `ServeContext.commits`. The hot-path writes go through it: labels,
 * reservations (`assignment.ts`), and logins with their sessions (`annotators.ts`,
 * `sessions.ts`, which take any `Committer`; `directCommitter` commits without batching).
 * One commit may thus carry the labels and reservations of many traces, but never two
 * writes of one trace record. The load shedder (`load_shedder.ts`) reads `queued`.
 * Releases, the start-up import, the login throttle and the username migration commit
 * with `kv.atomic()` directly.
 *
 * A label's way through: `POST /api/label` (`annotation_routes.ts`) checks the
 * session (`c.var.annotator`), the body's shape (`labelBody`) and the trace name;
 * `submitLabel` (`labels.ts`) checks the label against the question (`labelProblem`) and
 * the annotator's progress, and hands this batcher one operation: check `["trace", T]`, set
 * `["trace", T]`, `["label", T, A, turn]` and, on a change, `["history", T, at, id]`
 * (`kv_schema.ts`). Once it is durable, `traceChanged(T)` schedules the result writer
 * (`result_writer.ts`), which about 2 s later rebuilds `<out>/<trace>.json` from KV
 * (`readTraceLabels`, `buildResultFile`) and replaces it with `writeFileAtomic` (temporary
 * file, fsync, rename).
 *
 * @module
 */

/** One atomic operation to commit: its checks and its mutations (as `Deno.AtomicOperation`). */
export interface BatchedOp {
  checks: Deno.AtomicCheck[];
  mutations: Deno.KvMutation[];
}

export type CommitOutcome = Deno.KvCommitResult | Deno.KvCommitError;

interface Pending extends BatchedOp {
  /** Ids of every key the op checks or writes. */
  keys: string[];
  /** Ids of the checked keys and of the written keys, in the op's order. */
  checkIds: string[];
  mutationIds: string[];
  resolve: (result: CommitOutcome) => void;
  reject: (error: unknown) => void;
}

/** Anything that commits a `BatchedOp`: a `CommitBatcher`, or `directCommitter(kv)`. */
export interface Committer {
  commit(op: BatchedOp): Promise<CommitOutcome>;
}

/** Commits each operation on its own (no batching). */
export function directCommitter(kv: Deno.Kv): Committer {
  return {
    commit: (op) => kv.atomic().check(...op.checks).mutate(...op.mutations).commit(),
  };
}

export interface BatchLimits {
  maxOps: number;
  maxChecks: number;
  maxMutations: number;
}

/**
 * Below Deno KV's limits of 100 checks and 1000 mutations per atomic operation. Its size
 * limit (800 KiB) is far above 64 small operations; a batch that exceeds it anyway is
 * committed operation by operation.
 */
const DEFAULT_LIMITS: BatchLimits = { maxOps: 64, maxChecks: 100, maxMutations: 1000 };

/** A string identifying a KV key (parts are typed, so "1" and 1 differ). */
function keyId(key: Deno.KvKey): string {
  let id = "";
  for (const part of key) {
    id += typeof part === "string" ? `s${part.length}:${part}` : `${typeof part}:${String(part)}`;
  }
  return id;
}

export class CommitBatcher implements Committer {
  readonly #kv: Deno.Kv;
  readonly #limits: BatchLimits;
  readonly #queue: Pending[] = [];
  /** Versionstamp of the last batch write of each key that operations check and set. */
  readonly #written = new Map<string, string>();
  #running = false;
  /** Atomic commits sent to KV (for tests and diagnostics). */
  commits = 0;

  constructor(kv: Deno.Kv, limits: Partial<BatchLimits> = {}) {
    this.#kv = kv;
    this.#limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Operations waiting for a commit (not counting the batch being committed). */
  get queued(): number {
    return this.#queue.length;
  }

  /** Commits `op` atomically (possibly together with others); resolves once it is durable. */
  commit(op: BatchedOp): Promise<CommitOutcome> {
    return new Promise((resolve, reject) => {
      const checkIds = op.checks.map((c) => keyId(c.key));
      const mutationIds = op.mutations.map((m) => keyId(m.key));
      const keys = [...new Set([...checkIds, ...mutationIds])];
      this.#queue.push({ ...op, keys, checkIds, mutationIds, resolve, reject });
      if (!this.#running) this.#run();
    });
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#take();
        if (batch.length > 0) await this.#commitBatch(batch);
      }
    } finally {
      this.#running = false;
    }
  }

  /** True when one of the op's checks cannot pass given what earlier batches wrote. */
  #knownToFail(op: Pending): boolean {
    return op.checks.some((check, i) => {
      const written = this.#written.get(op.checkIds[i]);
      return written !== undefined &&
        (check.versionstamp === null || check.versionstamp < written);
    });
  }

  #take(): Pending[] {
    const { maxOps, maxChecks, maxMutations } = this.#limits;
    const batch: Pending[] = [];
    const blocked = new Set<string>();
    let checks = 0;
    let mutations = 0;
    for (let i = 0; i < this.#queue.length && batch.length < maxOps;) {
      const op = this.#queue[i];
      const clashes = op.keys.some((k) => blocked.has(k));
      if (!clashes && this.#knownToFail(op)) {
        this.#queue.splice(i, 1);
        op.resolve({ ok: false });
        continue;
      }
      const fits = batch.length === 0 || (
        checks + op.checks.length <= maxChecks &&
        mutations + op.mutations.length <= maxMutations
      );
      for (const k of op.keys) blocked.add(k); // keeps per-key order even when skipped
      if (clashes || !fits) {
        i++;
        continue;
      }
      this.#queue.splice(i, 1);
      batch.push(op);
      checks += op.checks.length;
      mutations += op.mutations.length;
    }
    return batch;
  }

  async #commitOne(ops: Pending[]): Promise<CommitOutcome> {
    const atomic = this.#kv.atomic();
    for (const op of ops) atomic.check(...op.checks).mutate(...op.mutations);
    this.commits++;
    const result = await atomic.commit();
    if (result.ok) {
      for (const op of ops) {
        op.mutations.forEach((m, i) => {
          const id = op.mutationIds[i];
          if (m.type === "delete") this.#written.delete(id);
          else if (op.checkIds.includes(id)) this.#written.set(id, result.versionstamp);
        });
      }
    }
    return result;
  }

  async #commitBatch(batch: Pending[]): Promise<void> {
    if (batch.length > 1) {
      try {
        const result = await this.#commitOne(batch);
        if (result.ok) {
          for (const op of batch) op.resolve(result);
          return;
        }
      } catch {
        // Fall through: commit the operations one by one.
      }
    }
    for (const op of batch) {
      try {
        op.resolve(await this.#commitOne([op]));
      } catch (error) {
        op.reject(error);
      }
    }
  }
}
