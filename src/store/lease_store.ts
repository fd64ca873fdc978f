/**
 * Leases: time-bounded exclusive claims on a named piece of work (a gym scene), shared by
 * every process that opens the same store. A lease is taken with an atomic check, kept
 * alive by renewing it before it expires, and released at the end; a lease whose holder
 * died simply expires, after which anyone may take it over.
 *
 * This is the one interface the callers see. `kv_lease_store.ts` implements it on Deno KV;
 * a PostgreSQL implementation maps it onto one table keyed by `key`:
 *
 * ```sql
 * -- tryAcquire: insert, or take over an expired row, in one statement
 * INSERT INTO leases (key, owner, token, expires_at) VALUES ($1, $2, $3, $4)
 * ON CONFLICT (key) DO UPDATE SET owner = $2, token = $3, expires_at = $4
 *   WHERE leases.expires_at <= $now RETURNING token;
 * -- renew / release: only while the row still carries our token
 * UPDATE leases SET expires_at = $2 WHERE key = $1 AND token = $3;
 * DELETE FROM leases WHERE key = $1 AND token = $2;
 * ```
 *
 * Times are milliseconds of the store's injected clock (`now`), compared by the store,
 * never left to a backend's approximate expiry.
 */

export interface TryAcquireOptions {
  /**
   * Decides, inside the atomic check, that an unexpired holder is gone for good (its
   * process died on this host): its lease is taken over at once instead of at expiry.
   */
  isAbandoned?: (holder: LeaseHolder) => boolean;
}

/** A lease held by this process. */
export interface Lease {
  key: string;
  /** Who holds it, for messages ("host pid 123, run 1a2b3c4d"). */
  owner: string;
  /** Unique to this acquisition: renew and release act only on a lease with this token. */
  token: string;
  /** When it expires unless renewed (ms, the store's clock). */
  expiresAt: number;
}

/** Who holds a key now (without the token). */
export interface LeaseHolder {
  owner: string;
  expiresAt: number;
}

export interface LeaseStore {
  /**
   * Takes the lease of `key` for `ttlMs` when nobody holds it or its holder's lease has
   * expired; resolves to undefined when another unexpired lease holds it. Atomic: of many
   * callers racing for one key, at most one gets a lease.
   */
  tryAcquire(
    key: string,
    owner: string,
    ttlMs: number,
    options?: TryAcquireOptions,
  ): Promise<Lease | undefined>;
  /**
   * Extends `lease` to `ttlMs` from now; resolves to the renewed lease, or undefined when
   * the lease is lost (released, or taken over by another holder after it expired).
   */
  renew(lease: Lease, ttlMs: number): Promise<Lease | undefined>;
  /** Gives the lease up; does nothing when it is no longer ours. */
  release(lease: Lease): Promise<void>;
  /** The current unexpired holder of `key`, if any. */
  holder(key: string): Promise<LeaseHolder | undefined>;
  close(): void;
}

/** "host pid 123, run 1a2b3c4d": names this process in leases and messages. */
export function leaseOwnerName(
  host: string = Deno.hostname(),
  pid: number = Deno.pid,
  run: string = crypto.randomUUID().slice(0, 8),
): string {
  return `${host} pid ${pid}, run ${run}`;
}

/** The host and pid of an owner named by `leaseOwnerName`, or undefined for other names. */
export function parseLeaseOwner(owner: string): { host: string; pid: number } | undefined {
  const match = owner.match(/^(.*) pid (\d+), run [^,]*$/s);
  return match ? { host: match[1], pid: Number(match[2]) } : undefined;
}

/**
 * True when a process with `pid` runs on this machine. Read from `/proc` (Linux); where
 * there is no `/proc`, every process counts as alive (its lease expires as usual).
 */
export function isProcessAlive(pid: number): boolean {
  try {
    Deno.statSync("/proc/self");
  } catch {
    return true;
  }
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // A zombie (state Z) has exited; only its parent has not collected it yet.
    return !/^\d+ \(.*\) Z /s.test(stat);
  } catch {
    return false;
  }
}

/**
 * `TryAcquireOptions.isAbandoned` for leases named by `leaseOwnerName`: a holder on this
 * host whose process is gone (killed, crashed) holds nothing any more.
 */
export function abandonedOnThisHost(
  host: string = Deno.hostname(),
  alive: (pid: number) => boolean = isProcessAlive,
): (holder: LeaseHolder) => boolean {
  return (holder) => {
    const parsed = parseLeaseOwner(holder.owner);
    return parsed !== undefined && parsed.host === host && parsed.pid !== Deno.pid &&
      !alive(parsed.pid);
  };
}
