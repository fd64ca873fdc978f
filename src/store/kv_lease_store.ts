/**
 * `LeaseStore` on Deno KV. One entry per key, `[...prefix, key]` →
 * `{owner, token, expiresAt}`; every change is an atomic operation checked against the
 * versionstamp read just before, so two processes on one KV file (SQLite underneath)
 * never both win. Expiry is decided by comparing `expiresAt` with the injected clock;
 * KV's own `expireIn` (not exact) only removes entries long dead.
 */
import { dirname } from "node:path";
import { describeError, runtimeError } from "../cli/errors.ts";
import { refuseStoreLinks, SymlinkRefusedError } from "./no_follow.ts";
import type { Lease, LeaseHolder, LeaseStore } from "./lease_store.ts";

interface StoredLease {
  owner: string;
  token: string;
  expiresAt: number;
}

export interface KvLeaseStoreOptions {
  /** Key prefix of the lease entries (default `["lease"]`). */
  prefix?: Deno.KvKey;
  now?: () => number;
  /** Closes the KV store with the lease store (default true). */
  ownsKv?: boolean;
  /** Waits before retrying an operation the database refused as locked (default: a timer). */
  sleep?: (ms: number) => Promise<void>;
}

/** How long after its expiry KV may delete a dead entry by itself (tidiness only). */
const CLEANUP_AFTER_MS = 24 * 60 * 60 * 1000;
/** Commits lost to a concurrent writer before giving up on one call. */
const MAX_CONFLICTS = 20;
/** Retries of one operation that SQLite refused because another process held the file. */
const MAX_BUSY_RETRIES = 60;

/** SQLite's SQLITE_BUSY, as Deno KV reports it when another connection holds the write lock. */
export function isBusyError(error: unknown): boolean {
  return /database is locked|SQLITE_BUSY|database table is locked/i.test(
    error instanceof Error ? error.message : String(error),
  );
}

/** A timer sleep (the default pause between busy retries). */
const timerSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `operation`, retrying (bounded, with a short random pause) while SQLite says
 * another process holds the file. Shared by the KV lease store and the KV work store.
 */
export async function busyRetried<T>(
  operation: () => Promise<T>,
  sleep: (ms: number) => Promise<void> = timerSleep,
): Promise<T> {
  for (let attempt = 0;; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isBusyError(error) || attempt >= MAX_BUSY_RETRIES) throw error;
      await sleep(5 + Math.floor(Math.random() * 20 * Math.min(attempt + 1, 5)));
    }
  }
}

function holderOf(value: StoredLease): LeaseHolder {
  return { owner: value.owner, expiresAt: value.expiresAt };
}

export function createKvLeaseStore(kv: Deno.Kv, options: KvLeaseStoreOptions = {}): LeaseStore {
  const prefix = options.prefix ?? ["lease"];
  const now = options.now ?? Date.now;
  const ownsKv = options.ownsKv ?? true;
  const sleep = options.sleep ?? timerSleep;
  const keyOf = (key: string): Deno.KvKey => [...prefix, key];
  const whenFree = <T>(operation: () => Promise<T>) => busyRetried(operation, sleep);
  const read = (key: string) => whenFree(() => kv.get<StoredLease>(keyOf(key)));
  const isLive = (value: StoredLease | null): value is StoredLease =>
    value !== null && typeof value.expiresAt === "number" && value.expiresAt > now();
  const write = (key: string, value: StoredLease, ttlMs: number) => ({
    value,
    options: { expireIn: Math.max(1, ttlMs) + CLEANUP_AFTER_MS },
    kvKey: keyOf(key),
  });

  return {
    async tryAcquire(key, owner, ttlMs, { isAbandoned } = {}) {
      for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
        const entry = await read(key);
        if (isLive(entry.value) && !isAbandoned?.(holderOf(entry.value))) return undefined;
        const lease: Lease = { key, owner, token: crypto.randomUUID(), expiresAt: now() + ttlMs };
        const { kvKey, value, options } = write(key, {
          owner,
          token: lease.token,
          expiresAt: lease.expiresAt,
        }, ttlMs);
        const result = await whenFree(() =>
          kv.atomic().check(entry).set(kvKey, value, options).commit()
        );
        if (result.ok) return lease;
        // Someone wrote in between: look again (they probably hold it now).
      }
      throw conflictError("take", key);
    },

    async renew(lease, ttlMs) {
      for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
        const entry = await read(lease.key);
        if (entry.value?.token !== lease.token) return undefined;
        // Still ours (nobody took it over, even if it expired meanwhile): extend it.
        const renewed: Lease = { ...lease, expiresAt: now() + ttlMs };
        const { kvKey, value, options } = write(lease.key, {
          owner: lease.owner,
          token: lease.token,
          expiresAt: renewed.expiresAt,
        }, ttlMs);
        const result = await whenFree(() =>
          kv.atomic().check(entry).set(kvKey, value, options).commit()
        );
        if (result.ok) return renewed;
      }
      throw conflictError("renew", lease.key);
    },

    async release(lease) {
      for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
        const entry = await read(lease.key);
        if (entry.value?.token !== lease.token) return;
        const result = await whenFree(() =>
          kv.atomic().check(entry).delete(keyOf(lease.key)).commit()
        );
        if (result.ok) return;
      }
      throw conflictError("release", lease.key);
    },

    async holder(key) {
      const { value } = await read(key);
      return isLive(value) ? holderOf(value) : undefined;
    },

    close() {
      if (ownsKv) kv.close();
    },
  };
}

/** Opens (creating its folder) the KV file at `path` as a lease store. */
export async function openKvLeaseStore(
  path: string,
  options: Omit<KvLeaseStoreOptions, "ownsKv"> = {},
): Promise<LeaseStore> {
  const kv = await openKvFile(path, "lease store");
  return createKvLeaseStore(kv, { ...options, ownsKv: true });
}

/**
 * Opens the Deno KV file at `path`, creating its folder; a symbolic link on the way is
 * refused. Errors name `what` and the path.
 */
export async function openKvFile(path: string, what: string): Promise<Deno.Kv> {
  try {
    await Deno.mkdir(dirname(path), { recursive: true });
    await refuseStoreLinks(path);
    return await Deno.openKv(path);
  } catch (error) {
    if (error instanceof SymlinkRefusedError) throw error;
    throw runtimeError(`Cannot open the ${what} "${path}": ${describeError(error, path)}`, error);
  }
}

function conflictError(action: string, key: string): Error {
  return runtimeError(
    `Cannot ${action} the lease of "${key}": the store kept changing under ${MAX_CONFLICTS} attempts`,
  );
}
