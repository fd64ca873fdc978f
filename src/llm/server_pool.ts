/**
 * Several servers behind one model alias (`base_url: [url, …]` in the config: the same
 * model served on several GPU nodes). `ServerPool.pick` gives each request the server with
 * the fewest requests in flight, ties in turn; a server that refuses connections or
 * answers 5xx (`report(server, "down")`) is set aside for a growing interval (1 s, 2 s,
 * 4 s, … up to 60 s) and its requests go to the others; its first success brings it back
 * for good. When every server is set aside, requests go to the one due back first.
 *
 * The pool owns the alias's `ConcurrencyLimiter`: `concurrency` is per server, so the limit
 * is `concurrency` × the servers in use (at least one server's worth), lowered while some
 * are set aside so that the others are not given more than their own share.
 *
 * ```ts
 * const pool = new ServerPool({ urls: ["http://gpu1:8000/v1", "http://gpu2:8000/v1"], concurrency: 8 });
 * await pool.limiter.run(async () => {
 *   const server = pool.pick();
 *   try { … ; pool.report(server, "ok"); } catch (e) { pool.report(server, "down"); throw e; }
 *   finally { pool.finish(server); }
 * });
 * ```
 *
 * @module
 */
import { ConcurrencyLimiter } from "./concurrency_limiter.ts";

/** How long a failing server is set aside: doubling from `baseMs`, at most `maxMs`. */
export interface SetAsidePolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_SET_ASIDE: SetAsidePolicy = { baseMs: 1_000, maxMs: 60_000 };

/** One server of the pool and what the pool knows of it. */
export interface PoolServer {
  readonly url: string;
  readonly index: number;
  /** Requests sent to it and not finished. */
  inFlight: number;
  /** Failures in a row (connection refused, 5xx) since its last success. */
  failures: number;
  /** Until when (ms, the pool's clock) it is set aside; 0: in use. */
  asideUntil: number;
  /** Times it was set aside. */
  setAside: number;
}

export interface ServerPoolOptions {
  urls: readonly string[];
  /** Requests in flight at once per server. */
  concurrency: number;
  setAside?: SetAsidePolicy;
  now?: () => number;
  /** Told when a server is set aside or comes back (for the log). */
  onChange?: (server: PoolServer, change: "aside" | "back") => void;
}

export class ServerPool {
  readonly servers: readonly PoolServer[];
  readonly limiter: ConcurrencyLimiter;
  readonly #concurrency: number;
  readonly #policy: SetAsidePolicy;
  readonly #now: () => number;
  readonly #onChange: ServerPoolOptions["onChange"];
  /** Where the next tie is broken: the server after the last one picked. */
  #next = 0;

  constructor(options: ServerPoolOptions) {
    if (options.urls.length === 0) throw new RangeError("A server pool needs a server");
    this.servers = options.urls.map((url, index) => ({
      url,
      index,
      inFlight: 0,
      failures: 0,
      asideUntil: 0,
      setAside: 0,
    }));
    this.#concurrency = options.concurrency;
    this.#policy = options.setAside ?? DEFAULT_SET_ASIDE;
    this.#now = options.now ?? Date.now;
    this.#onChange = options.onChange;
    this.limiter = new ConcurrencyLimiter(options.concurrency * this.servers.length);
  }

  /** The server for the next request (counted in flight until `finish`). */
  pick(): PoolServer {
    if (this.servers.length === 1) {
      this.servers[0].inFlight++;
      return this.servers[0]; // the common case: nothing to choose
    }
    this.#refresh();
    const now = this.#now();
    const inUse = this.servers.filter((server) => server.asideUntil <= now);
    const candidates = inUse.length > 0
      ? inUse
      : [this.servers.reduce((a, b) => (b.asideUntil < a.asideUntil ? b : a))];
    let best: PoolServer | undefined;
    for (let step = 0; step < this.servers.length; step++) {
      const server = this.servers[(this.#next + step) % this.servers.length];
      if (!candidates.includes(server)) continue;
      if (best === undefined || server.inFlight < best.inFlight) best = server;
    }
    this.#next = (best!.index + 1) % this.servers.length;
    best!.inFlight++;
    return best!;
  }

  /** The request sent to `server` settled. */
  finish(server: PoolServer): void {
    server.inFlight--;
  }

  /**
   * What the request told of `server`: "ok" (it answered, whatever the answer), or "down"
   * (it refused the connection or answered 5xx): then it is set aside.
   */
  report(server: PoolServer, outcome: "ok" | "down"): void {
    if (this.servers.length === 1) return; // no other server to send its requests to
    if (outcome === "ok") {
      const wasAside = server.failures > 0;
      server.failures = 0;
      server.asideUntil = 0;
      if (wasAside) this.#onChange?.(server, "back");
    } else {
      server.failures++;
      server.setAside++;
      const wait = Math.min(this.#policy.maxMs, this.#policy.baseMs * 2 ** (server.failures - 1));
      server.asideUntil = this.#now() + wait;
      this.#onChange?.(server, "aside");
    }
    this.#refresh();
  }

  /**
   * Sets the limiter's limit for the servers in use now. Checked at every pick and report,
   * no timer: at least one server's worth of requests always runs, and each one that ends
   * lets the next pick see a server that came back.
   */
  #refresh(): void {
    const now = this.#now();
    const inUse = this.servers.filter((server) => server.asideUntil <= now).length;
    const limit = this.#concurrency * Math.max(1, inUse);
    if (limit !== this.limiter.limit) this.limiter.setLimit(limit);
  }
}
