/**
 * A counting semaphore: at most `limit` tasks run at once, the rest wait in arrival
 * order. One limiter per endpoint keeps the number of requests in flight at that
 * endpoint within `--concurrency`.
 */
export class ConcurrencyLimiter {
  readonly limit: number;
  #running = 0;
  #maxRunning = 0;
  #queue: (() => void)[] = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`A concurrency limit must be a whole number ≥ 1, got ${limit}`);
    }
    this.limit = limit;
  }

  /** Tasks running now. */
  get inFlight(): number {
    return this.#running;
  }

  /** The largest `inFlight` seen so far. */
  get maxInFlight(): number {
    return this.#maxRunning;
  }

  /** Tasks waiting for a slot. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Runs `task` once a slot is free and frees the slot when it settles. A task still
   * waiting when `signal` aborts is dropped, and the promise rejects with the reason.
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(signal);
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.#running < this.limit) {
      this.#take();
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        this.#take();
        resolve();
      };
      const onAbort = () => {
        const index = this.#queue.indexOf(grant);
        if (index !== -1) this.#queue.splice(index, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(grant);
    });
  }

  #take(): void {
    this.#running++;
    if (this.#running > this.#maxRunning) this.#maxRunning = this.#running;
  }

  #release(): void {
    this.#running--;
    const next = this.#queue.shift();
    if (next) next();
  }
}
