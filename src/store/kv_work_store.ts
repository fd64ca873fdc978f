/**
 * `WorkStore` on Deno KV (`work_store.ts`): the zero-setup engine for workers on one
 * machine sharing one KV file (SQLite underneath). All keys live under one prefix
 * (default `["work"]`):
 *
 * - `[…, "scene", key]` → the scene's record (`SceneRecord`: payload as UTF-8 bytes,
 *   status, attempts, the lease's owner, token and expiry, last reason, when done);
 * - `[…, "pending", key]` → true, and `[…, "leased", key]` → expiresAt: the indexes `claim`
 *   reads, changed with the record in one atomic operation checked against the record's
 *   versionstamp, so of workers racing each change goes to exactly one;
 * - `[…, "log", key, token, i]` → the done scene's log as UTF-8 chunks (KV values are
 *   limited to 64 KiB), written before the fenced commit that marks the scene done and
 *   names them (`logToken`, `logChunks`), deleted again when that commit is not ours;
 * - `[…, "completion", key]` → `{chunks, id}` and `[…, "completion_chunk", key, id, i]` →
 *   the JSON of the completion in chunks; the head is committed only where none is, so
 *   the first answer stored for a key is kept.
 *
 * Operations SQLite refuses because another process holds the file are retried (bounded),
 * like those of `kv_lease_store.ts` (`kv_chunks.ts`); the completion cache is
 * `kv_completion_cache.ts`.
 *
 * @module
 */
import { inputError, runtimeError } from "../cli/errors.ts";
import {
  chunksOf,
  commit,
  deleteUnder,
  get,
  type KvContext,
  listAll,
  listPages,
  readChunks,
  whenFree,
  writeChunks,
} from "./kv_chunks.ts";
import { createKvCompletionCache } from "./kv_completion_cache.ts";
import { createKvStoredFiles } from "./kv_stored_files.ts";
import { openKvFile } from "./kv_lease_store.ts";
import {
  expiredReason,
  type RunAccount,
  type SceneClaim,
  type SceneQueue,
  type SceneRow,
  type SceneStatus,
  type SceneToEnqueue,
  type WorkStore,
} from "./work_store.ts";

export interface KvWorkStoreOptions {
  now?: () => number;
  /** Where the store is, for messages (default `":memory:"`). */
  where?: string;
  /** Closes the KV store with the work store (default true). */
  ownsKv?: boolean;
  /** Key prefix of every entry (default `["work"]`). */
  prefix?: Deno.KvKey;
}

/** The largest payload, in bytes of UTF-8, a scene may have (a KV value holds 64 KiB). */
export const MAX_PAYLOAD_BYTES = 60_000;
/** Scenes enqueued per commit (`getMany` reads at most 10 keys). */
const SCENES_PER_COMMIT = 10;
/** Pending scenes `claim` looks at per round. */
const PENDING_PER_ROUND = 8;
/** Characters of a failure's reason kept in the record (the payload needs the room). */
const MAX_REASON_CHARS = 1_000;
/** Commits lost to a concurrent writer before giving up on one call. */
const MAX_CONFLICTS = 20;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A scene as stored. Absent fields are left out, never stored as undefined. */
interface SceneRecord {
  payload: Uint8Array;
  status: SceneStatus;
  attempts: number;
  owner?: string;
  token?: string;
  expiresAt?: number;
  reason?: string;
  doneAt?: number;
  enqueuedAt: number;
  logToken?: string;
  logChunks?: number;
}

/** The outcome of looking at a record: the record to write (if any) and what to return. */
interface Decision<T> {
  next?: SceneRecord;
  result: T;
}

/** Wraps a KV store (`ownsKv`: closed with the work store) as a work store. */
export function createKvWorkStore(kv: Deno.Kv, options: KvWorkStoreOptions = {}): WorkStore {
  const ctx: KvContext = { kv, prefix: options.prefix ?? ["work"], now: options.now ?? Date.now };
  const ownsKv = options.ownsKv ?? true;
  return {
    engine: "kv",
    where: options.where ?? ":memory:",
    scenes: createSceneQueue(ctx),
    completions: createKvCompletionCache(ctx),
    files: createKvStoredFiles(ctx),
    runs: {
      async record(account) {
        await commit(ctx, (op) => op.set([...ctx.prefix, "run", account.owner], account));
      },
      async list() {
        return (await listAll<RunAccount>(ctx, [...ctx.prefix, "run"])).map((e) => e.value);
      },
    },
    close() {
      if (ownsKv) kv.close();
      return Promise.resolve();
    },
  };
}

/** Opens (creating its folder) the KV file at `path` as a work store. */
export async function openKvWorkStore(
  path: string,
  options: { now?: () => number } = {},
): Promise<WorkStore> {
  const kv = await openKvFile(path, "work store");
  return createKvWorkStore(kv, { ...options, where: path, ownsKv: true });
}

// ---------------------------------------------------------------------------------------
// Scene records

const sceneKey = (ctx: KvContext, key: string): Deno.KvKey => [...ctx.prefix, "scene", key];
const pendingKey = (ctx: KvContext, key: string): Deno.KvKey => [...ctx.prefix, "pending", key];
const leasedKey = (ctx: KvContext, key: string): Deno.KvKey => [...ctx.prefix, "leased", key];
const logBase = (ctx: KvContext, key: string, token: string): Deno.KvKey => [
  ...ctx.prefix,
  "log",
  key,
  token,
];

/** `fields` without the ones that are undefined. */
function record(fields: SceneRecord): SceneRecord {
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== undefined),
  ) as unknown as SceneRecord;
}

/** The fields a scene keeps whatever its status. */
function kept(r: SceneRecord) {
  return { payload: r.payload, attempts: r.attempts, enqueuedAt: r.enqueuedAt };
}

function pendingRecord(r: SceneRecord, attempts: number, reason = r.reason): SceneRecord {
  return record({ ...kept(r), status: "pending", attempts, reason });
}

function failedRecord(r: SceneRecord, reason: string): SceneRecord {
  return record({ ...kept(r), status: "failed", reason });
}

function clipReason(reason: string): string {
  return reason.length <= MAX_REASON_CHARS ? reason : `${reason.slice(0, MAX_REASON_CHARS)}…`;
}

/** Sets the record of `key` and its index entries to match its status. */
function writeScene(ctx: KvContext, op: Deno.AtomicOperation, key: string, next: SceneRecord) {
  op.set(sceneKey(ctx, key), next);
  if (next.status === "pending") op.set(pendingKey(ctx, key), true);
  else op.delete(pendingKey(ctx, key));
  if (next.status === "leased") op.set(leasedKey(ctx, key), next.expiresAt);
  else op.delete(leasedKey(ctx, key));
}

/**
 * Reads the record of `key`, lets `decide` say what to write, and commits that checked
 * against the record's versionstamp; a lost race reads and decides again (bounded).
 */
async function updateScene<T>(
  ctx: KvContext,
  key: string,
  action: string,
  decide: (current: SceneRecord | null) => Decision<T>,
): Promise<T> {
  for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
    const entry = await get<SceneRecord>(ctx, sceneKey(ctx, key));
    const { next, result } = decide(entry.value);
    if (next === undefined) return result;
    const written = await commit(ctx, (op) => writeScene(ctx, op.check(entry), key, next));
    if (written.ok) return result;
  }
  throw conflictError(action, `the scene "${key}"`);
}

/** The record while `claim` holds it, or undefined when the claim is no longer its lease. */
function heldBy(current: SceneRecord | null, claim: SceneClaim): SceneRecord | undefined {
  return current?.status === "leased" && current.token === claim.token ? current : undefined;
}

function conflictError(action: string, what: string): Error {
  return runtimeError(
    `Cannot ${action} ${what}: the work store kept changing under ${MAX_CONFLICTS} attempts`,
  );
}

// ---------------------------------------------------------------------------------------
// The scene queue

function createSceneQueue(ctx: KvContext): SceneQueue {
  return {
    enqueue: (scenes) => enqueue(ctx, scenes),
    claim: (owner, { ttlMs, maxAttempts }) => claim(ctx, owner, ttlMs, maxAttempts),
    renew: (claim, ttlMs) => renew(ctx, claim, ttlMs),
    complete: (claim, log) => complete(ctx, claim, log),
    fail: (claim, reason, maxAttempts) => fail(ctx, claim, reason, maxAttempts),
    release: (claim) => release(ctx, claim),
    retryFailed: () => retryFailed(ctx),
    hasOpenWork: () => hasOpenWork(ctx),
    list: () => list(ctx),
    logs: () => logs(ctx),
  };
}

interface EncodedScene {
  key: string;
  payload: Uint8Array;
}

/** The scenes with their payloads as UTF-8, each key once; a payload too large is refused. */
function encodeScenes(scenes: readonly SceneToEnqueue[]): EncodedScene[] {
  const seen = new Set<string>();
  const encoded: EncodedScene[] = [];
  for (const { key, payload } of scenes) {
    const bytes = encoder.encode(payload);
    if (bytes.length > MAX_PAYLOAD_BYTES) {
      throw inputError(
        `Cannot enqueue the scene "${key}": its configuration is ${bytes.length} bytes, ` +
          `more than the ${MAX_PAYLOAD_BYTES} the work store holds`,
      );
    }
    if (!seen.has(key)) encoded.push({ key, payload: bytes });
    seen.add(key);
  }
  return encoded;
}

async function enqueue(ctx: KvContext, scenes: readonly SceneToEnqueue[]) {
  const encoded = encodeScenes(scenes);
  let added = 0;
  for (let first = 0; first < encoded.length; first += SCENES_PER_COMMIT) {
    added += await enqueueBatch(ctx, encoded.slice(first, first + SCENES_PER_COMMIT));
  }
  return { added, known: scenes.length - added };
}

/** Adds the scenes of `batch` not known yet in one commit; resolves to how many. */
async function enqueueBatch(ctx: KvContext, batch: EncodedScene[]): Promise<number> {
  for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
    const keys = batch.map((scene) => sceneKey(ctx, scene.key));
    const entries = await whenFree(() => ctx.kv.getMany<SceneRecord[]>(keys));
    const fresh = batch.filter((_, i) => entries[i].versionstamp === null);
    if (fresh.length === 0) return 0;
    const enqueuedAt = ctx.now();
    const written = await commit(ctx, (op) => {
      for (const entry of entries) op.check(entry);
      for (const { key, payload } of fresh) {
        writeScene(ctx, op, key, { payload, status: "pending", attempts: 0, enqueuedAt });
      }
    });
    if (written.ok) return fresh.length;
  }
  throw conflictError("enqueue", `the scenes from "${batch[0].key}"`);
}

async function claim(ctx: KvContext, owner: string, ttlMs: number, maxAttempts: number) {
  for (let round = 0; round < MAX_CONFLICTS; round++) {
    const expired = await sweepExpired(ctx, maxAttempts);
    const pending = await listAll<boolean>(ctx, [...ctx.prefix, "pending"], PENDING_PER_ROUND);
    const candidates = [...expired, ...pending.map((entry) => entry.key.at(-1) as string)]
      .toSorted((a, b) => a < b ? -1 : a > b ? 1 : 0);
    if (candidates.length === 0) return undefined;
    for (const key of candidates) {
      const claimed = await claimScene(ctx, key, owner, ttlMs, maxAttempts);
      if (claimed) return claimed;
    }
    // Every candidate went to other workers meanwhile: look again.
  }
  throw conflictError("claim", "a scene");
}

/**
 * Fails the scenes whose lease ran out on their last attempt; resolves to the keys of
 * those whose lease ran out with attempts left, in key order.
 */
async function sweepExpired(ctx: KvContext, maxAttempts: number): Promise<string[]> {
  const expired: string[] = [];
  for (const entry of await listAll<number>(ctx, [...ctx.prefix, "leased"])) {
    if (entry.value > ctx.now()) continue;
    const key = entry.key.at(-1) as string;
    const left = await updateScene(ctx, key, "fail", (current) => {
      const isExpired = current?.status === "leased" && current.expiresAt! <= ctx.now();
      if (!isExpired) return { result: false };
      if (current.attempts < maxAttempts) return { result: true };
      return { next: failedRecord(current, expiredReason(current.attempts)), result: false };
    });
    if (left) expired.push(key);
  }
  return expired;
}

/** Claims `key` if it is pending or its lease ran out with attempts left. */
function claimScene(
  ctx: KvContext,
  key: string,
  owner: string,
  ttlMs: number,
  maxAttempts: number,
): Promise<SceneClaim | undefined> {
  return updateScene(ctx, key, "claim", (current) => {
    const now = ctx.now();
    const isExpired = current?.status === "leased" && current.expiresAt! <= now;
    if (!current || !(current.status === "pending" || isExpired)) return { result: undefined };
    if (isExpired && current.attempts >= maxAttempts) {
      return { next: failedRecord(current, expiredReason(current.attempts)), result: undefined };
    }
    const attempts = current.attempts + 1;
    const token = crypto.randomUUID();
    const expiresAt = now + ttlMs;
    const next = record({ ...current, status: "leased", attempts, owner, token, expiresAt });
    const payload = decoder.decode(current.payload);
    return { next, result: { key, payload, owner, token, attempt: attempts, expiresAt } };
  });
}

function renew(ctx: KvContext, claim: SceneClaim, ttlMs: number) {
  return updateScene(ctx, claim.key, "renew", (current) => {
    const held = heldBy(current, claim);
    if (!held) return { result: undefined };
    const expiresAt = ctx.now() + ttlMs;
    return { next: { ...held, expiresAt }, result: { ...claim, expiresAt } };
  });
}

async function complete(ctx: KvContext, claim: SceneClaim, log: string): Promise<boolean> {
  if (!heldBy((await get<SceneRecord>(ctx, sceneKey(ctx, claim.key))).value, claim)) return false;
  const base = logBase(ctx, claim.key, claim.token);
  const chunks = chunksOf(encoder.encode(log));
  await writeChunks(ctx, base, chunks);
  const done = await updateScene(ctx, claim.key, "complete", (current) => {
    const held = heldBy(current, claim);
    if (!held) return { result: false };
    const next = record({
      ...kept(held),
      status: "done",
      owner: held.owner,
      doneAt: ctx.now(),
      logToken: claim.token,
      logChunks: chunks.length,
    });
    return { next, result: true };
  });
  if (!done) await deleteUnder(ctx, base);
  return done;
}

function fail(ctx: KvContext, claim: SceneClaim, reason: string, maxAttempts: number) {
  return updateScene(ctx, claim.key, "fail", (current): Decision<"pending" | "failed" | "lost"> => {
    const held = heldBy(current, claim);
    if (!held) return { result: "lost" };
    const clipped = clipReason(reason);
    if (held.attempts >= maxAttempts) {
      return { next: failedRecord(held, clipped), result: "failed" };
    }
    return { next: pendingRecord(held, held.attempts, clipped), result: "pending" };
  });
}

function release(ctx: KvContext, claim: SceneClaim): Promise<void> {
  return updateScene(ctx, claim.key, "release", (current) => {
    const held = heldBy(current, claim);
    if (!held) return { result: undefined };
    return { next: pendingRecord(held, Math.max(0, held.attempts - 1)), result: undefined };
  });
}

async function retryFailed(ctx: KvContext): Promise<number> {
  let count = 0;
  for await (const entry of listPages<SceneRecord>(ctx, [...ctx.prefix, "scene"])) {
    if (entry.value.status !== "failed") continue;
    const key = entry.key.at(-1) as string;
    const retried = await updateScene(ctx, key, "retry", (current) => {
      if (current?.status !== "failed") return { result: false };
      return { next: pendingRecord(current, 0, undefined), result: true };
    });
    if (retried) count++;
  }
  return count;
}

function rowOf(key: string, r: SceneRecord): SceneRow {
  const row: SceneRow = { key, status: r.status, attempts: r.attempts };
  if (r.owner !== undefined && (r.status === "leased" || r.status === "done")) row.owner = r.owner;
  if (r.status === "leased") row.expiresAt = r.expiresAt;
  if (r.reason !== undefined && (r.status === "pending" || r.status === "failed")) {
    row.reason = r.reason;
  }
  if (r.status === "done") row.doneAt = r.doneAt;
  return row;
}

/** True when the pending or the leased index holds an entry (one read of each, at most). */
async function hasOpenWork(ctx: KvContext): Promise<boolean> {
  for (const index of ["pending", "leased"]) {
    if ((await listAll(ctx, [...ctx.prefix, index], 1)).length > 0) return true;
  }
  return false;
}

async function list(ctx: KvContext): Promise<SceneRow[]> {
  const rows: SceneRow[] = [];
  for await (const entry of listPages<SceneRecord>(ctx, [...ctx.prefix, "scene"])) {
    rows.push(rowOf(entry.key.at(-1) as string, entry.value));
  }
  return rows;
}

async function* logs(ctx: KvContext): AsyncGenerator<{ key: string; log: string }> {
  for await (const entry of listPages<SceneRecord>(ctx, [...ctx.prefix, "scene"])) {
    const { status, logToken, logChunks } = entry.value;
    if (status !== "done" || logToken === undefined) continue;
    const key = entry.key.at(-1) as string;
    const log = await readChunks(ctx, logBase(ctx, key, logToken), logChunks ?? 0);
    if (log === undefined) {
      throw runtimeError(
        `Cannot read the log of the scene "${key}": some of its parts are missing`,
      );
    }
    yield { key, log };
  }
}
