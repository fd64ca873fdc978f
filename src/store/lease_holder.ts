/**
 * Holding a scene's lease while it runs: taken once, renewed on a timer (every third of
 * its time to live), released at the end. When a renewal finds the lease lost, or cannot
 * reach the store until the lease has run out, `signal` aborts so the scene stops before
 * another run takes it over. Timers and clock are injected; nothing is module-level.
 */
import { describeError } from "../cli/errors.ts";
import type { Logger } from "../cli/logger.ts";
import type { Lease, LeaseStore, TryAcquireOptions } from "./lease_store.ts";

export interface LeaseTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface HoldLeaseOptions {
  /** Time to live of the lease (default 60 s). */
  ttlMs?: number;
  /** Time between renewals (default a third of `ttlMs`). */
  renewEveryMs?: number;
  now?: () => number;
  timers?: LeaseTimers;
  logger?: Logger;
  /** A holder that is gone for good (see `TryAcquireOptions`): taken over at once. */
  isAbandoned?: TryAcquireOptions["isAbandoned"];
}

export interface HeldLease {
  readonly lease: Lease;
  /** Aborted (with an Error naming the key) when the lease is lost. */
  readonly signal: AbortSignal;
  /** Stops renewing and releases the lease (idempotent; never throws, logs instead). */
  release(): Promise<void>;
}

export const DEFAULT_LEASE_TTL_MS = 60_000;

const realTimers: LeaseTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as number),
};

/**
 * Takes the lease of `key` and keeps it; resolves to undefined when another holder has it.
 */
export async function holdLease(
  store: LeaseStore,
  key: string,
  owner: string,
  options: HoldLeaseOptions = {},
): Promise<HeldLease | undefined> {
  const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const renewEveryMs = options.renewEveryMs ?? Math.max(1, Math.floor(ttlMs / 3));
  const now = options.now ?? Date.now;
  const timers = options.timers ?? realTimers;
  const first = await store.tryAcquire(key, owner, ttlMs, { isAbandoned: options.isAbandoned });
  if (!first) return undefined;

  let lease = first;
  const lost = new AbortController();
  let timer: unknown;
  let renewing: Promise<void> | undefined;
  let stopped = false;

  const lose = (why: string) => {
    if (lost.signal.aborted) return;
    lost.abort(
      new Error(`The lease of "${key}" was lost (${why}): stopped so no other run overlaps`),
    );
  };
  const schedule = () => {
    if (stopped || lost.signal.aborted) return;
    timer = timers.setTimeout(() => {
      timer = undefined;
      renewing = renew().finally(() => {
        renewing = undefined;
        schedule();
      });
    }, renewEveryMs);
  };
  const renew = async () => {
    try {
      const renewed = await store.renew(lease, ttlMs);
      if (stopped) return;
      if (renewed) lease = renewed;
      else lose("another run holds it now");
    } catch (error) {
      if (stopped) return;
      if (now() >= lease.expiresAt) {
        lose(`cannot renew it: ${describeError(error)}`);
      } else {
        options.logger?.warn(
          `Cannot renew the lease of "${key}" (will try again): ${describeError(error)}`,
        );
      }
    }
  };
  schedule();

  let released: Promise<void> | undefined;
  return {
    get lease() {
      return lease;
    },
    signal: lost.signal,
    release() {
      released ??= (async () => {
        stopped = true;
        if (timer !== undefined) timers.clearTimeout(timer);
        timer = undefined;
        if (renewing) await renewing;
        try {
          await store.release(lease);
        } catch (error) {
          options.logger?.warn(
            `Cannot release the lease of "${key}" (it expires by itself): ${describeError(error)}`,
          );
        }
      })();
      return released;
    },
  };
}
