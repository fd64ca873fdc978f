/**
 * Login throttling for `POST /api/login` (`auth_routes.ts`): 5 wrong passwords for one
 * username, or 20 from one client address, within 15 minutes of the first failure lock it
 * until that window ends (the route answers 429 with `Retry-After`). `LoginThrottle` keeps
 * the counters in memory and counts and decides in one synchronous step, so parallel
 * attempts cannot race past the limit; every change is written back, in order, to
 * `["login_failures", scope, name]` (`kv_schema.ts`, expiring with the window), so a restart
 * keeps the lockouts. A store that cannot record an attempt does not change the verdict.
 *
 * @module
 */
import { KEY, type LoginFailures, MAX_MUTATIONS } from "./kv_schema.ts";

/** 5 wrong passwords for one username within 15 minutes lock that username. */
export const MAX_USERNAME_FAILURES = 5;
/**
 * 20 wrong passwords from one client address within 15 minutes lock that address. It is
 * higher than the username limit: several annotators may share one address (NAT, proxy),
 * and one of them locking their own username must not shut out the others.
 */
export const MAX_ADDRESS_FAILURES = 20;
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60 * 1000;

export interface ThrottleLimits {
  perUsername: number;
  perAddress: number;
  windowMs: number;
}

export const DEFAULT_LIMITS: ThrottleLimits = {
  perUsername: MAX_USERNAME_FAILURES,
  perAddress: MAX_ADDRESS_FAILURES,
  windowMs: LOGIN_FAILURE_WINDOW_MS,
};

/** What one login attempt gets. */
export type LoginVerdict =
  /** Refused without looking at the password: too many failures in the window. */
  | { kind: "locked"; scope: "username" | "address"; retryAfterMs: number }
  /** Wrong password, now counted; the failures in the current windows. */
  | { kind: "wrong"; usernameFailures: number; addressFailures: number }
  /** Right password; the username's failures are forgotten (the address's are not). */
  | { kind: "ok" };

type Scope = "username" | "address";
const mapKey = (scope: Scope, value: string) => `${scope}\u0000${value}`;

/**
 * Login throttling per username and per client address, each with a fixed 15-minute
 * window that starts at the first failure.
 *
 * Atomicity: `attempt` decides and counts in one synchronous step over the in-memory
 * counters (`decide`); JavaScript runs it to the end before any other request's code, so
 * parallel attempts cannot both see "4 failures" and both be let through. The counters are
 * loaded from KV once before the first decision (a single shared promise, awaited *before*
 * the step, never inside it) and every change is written back to KV in order (one
 * serialised writer), so a restart keeps the lockouts. This process is the store's only
 * writer of these keys, so KV never holds a newer count than memory.
 */
export class LoginThrottle {
  readonly #counters = new Map<string, LoginFailures>();
  readonly #dirty = new Set<string>();
  #loaded: Promise<void> | undefined;
  #writes: Promise<void> = Promise.resolve();
  #sweepAt = 10_000;

  constructor(
    private readonly kv: Deno.Kv,
    private readonly now: () => number,
    readonly limits: ThrottleLimits = DEFAULT_LIMITS,
  ) {}

  /**
   * One login attempt of `username` (already normalised) from `address`. `passwordOk` is
   * the result of the constant-time password comparison; it is ignored while either the
   * username or the address is locked.
   */
  async attempt(
    username: string,
    address: string,
    passwordOk: boolean,
  ): Promise<LoginVerdict & { persistError?: unknown }> {
    await (this.#loaded ??= this.#load().catch((error) => {
      this.#loaded = undefined; // the next attempt loads again
      throw error;
    }));
    const verdict = this.decide(username, address, passwordOk);
    if (verdict.kind === "locked") return verdict;
    try {
      await this.#persist();
    } catch (error) {
      // The decision stands (memory is the source of truth); the write is retried by the
      // next change. A full disk must not turn a verdict into a 5xx.
      return { ...verdict, persistError: error };
    }
    return verdict;
  }

  /** The atomic count-and-decide step (synchronous: nothing can run in between). */
  decide(username: string, address: string, passwordOk: boolean): LoginVerdict {
    const at = this.now();
    this.#sweep(at);
    const userKey = mapKey("username", username);
    const addressKey = mapKey("address", address);
    const byAddress = this.#current(addressKey, at);
    if (byAddress && byAddress.count >= this.limits.perAddress) {
      return { kind: "locked", scope: "address", retryAfterMs: this.#left(byAddress, at) };
    }
    const byUser = this.#current(userKey, at);
    if (byUser && byUser.count >= this.limits.perUsername) {
      return { kind: "locked", scope: "username", retryAfterMs: this.#left(byUser, at) };
    }
    if (passwordOk) {
      if (this.#counters.delete(userKey)) this.#dirty.add(userKey);
      return { kind: "ok" };
    }
    const nextUser = byUser ? { ...byUser, count: byUser.count + 1 } : { count: 1, firstAt: at };
    const nextAddress = byAddress
      ? { ...byAddress, count: byAddress.count + 1 }
      : { count: 1, firstAt: at };
    this.#counters.set(userKey, nextUser);
    this.#counters.set(addressKey, nextAddress);
    this.#dirty.add(userKey).add(addressKey);
    return { kind: "wrong", usernameFailures: nextUser.count, addressFailures: nextAddress.count };
  }

  /** Counters held in memory (expired ones are dropped lazily). */
  get size(): number {
    return this.#counters.size;
  }

  /** Waits until every change so far is in KV. */
  flush(): Promise<void> {
    return this.#persist();
  }

  #current(key: string, at: number): LoginFailures | undefined {
    const value = this.#counters.get(key);
    if (!value) return undefined;
    if (at - value.firstAt < this.limits.windowMs) return value;
    this.#counters.delete(key); // KV drops it by itself (expireIn)
    return undefined;
  }

  #left(value: LoginFailures, at: number): number {
    return Math.max(1, value.firstAt + this.limits.windowMs - at);
  }

  /** Bounds memory: drops expired counters once the map has grown. */
  #sweep(at: number): void {
    if (this.#counters.size < this.#sweepAt) return;
    for (const key of [...this.#counters.keys()]) this.#current(key, at);
    this.#sweepAt = Math.max(10_000, this.#counters.size * 2);
  }

  async #load(): Promise<void> {
    const at = this.now();
    for await (const entry of this.kv.list<LoginFailures>({ prefix: KEY.loginFailuresAll })) {
      const [, scope, value] = entry.key;
      if ((scope !== "username" && scope !== "address") || typeof value !== "string") continue;
      const key = mapKey(scope, value);
      // A decision may already have been made while listing; memory wins then.
      if (this.#counters.has(key) || this.#dirty.has(key)) continue;
      if (at - entry.value.firstAt < this.limits.windowMs) this.#counters.set(key, entry.value);
    }
  }

  /** Queues one write of every changed counter behind the writes before it. */
  #persist(): Promise<void> {
    this.#writes = this.#writes.catch(() => {}).then(() => this.#writeDirty());
    return this.#writes;
  }

  async #writeDirty(): Promise<void> {
    while (this.#dirty.size > 0) {
      const keys = [...this.#dirty].slice(0, MAX_MUTATIONS);
      const at = this.now();
      let op = this.kv.atomic();
      for (const key of keys) {
        this.#dirty.delete(key);
        const [scope, value] = key.split("\u0000") as [Scope, string];
        const kvKey = KEY.loginFailures(scope, value);
        const counter = this.#counters.get(key);
        if (counter) {
          const expireIn = Math.max(1, counter.firstAt + this.limits.windowMs - at);
          op = op.set(kvKey, counter, { expireIn });
        } else {
          op = op.delete(kvKey);
        }
      }
      try {
        await op.commit();
      } catch (error) {
        for (const key of keys) this.#dirty.add(key); // retried by the next write
        throw error;
      }
    }
  }
}

/** "1 minute", "12 minutes": the wait rounded up to whole minutes. */
export function minutesText(ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}
