/**
 * A counting semaphore: at most `limit` tasks run at once, the rest wait in arrival
 * order. One limiter per endpoint keeps the number of requests in flight at that
 * endpoint within `--concurrency`.
 */
export class ConcurrencyLimiter {
  #limit: number;
  #running = 0;
  #maxRunning = 0;
  /** Waiting grants by priority, each in arrival order. */
  #queues = new Map<number, (() => void)[]>();

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`A concurrency limit must be a whole number ≥ 1, got ${limit}`);
    }
    this.#limit = limit;
  }

  /** Tasks allowed to run at once. */
  get limit(): number {
    return this.#limit;
  }

  /**
   * Changes the limit (a server pool does, as its servers are set aside and come back):
   * a higher one starts waiting tasks at once; with a lower one, running tasks finish and
   * new ones wait until fewer than the limit run.
   */
  setLimit(limit: number): void {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`A concurrency limit must be a whole number ≥ 1, got ${limit}`);
    }
    this.#limit = limit;
    while (this.#running < this.#limit && this.#grantNext()) {
      // each grant takes a slot
    }
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
    let waiting = 0;
    for (const queue of this.#queues.values()) waiting += queue.length;
    return waiting;
  }

  /**
   * Runs `task` once a slot is free and frees the slot when it settles. A freed slot goes
   * to the waiting task of highest `priority` (default 0), the earliest among equals. A
   * task still waiting when `signal` aborts is dropped, and the promise rejects with the
   * reason.
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal, priority = 0): Promise<T> {
    await this.#acquire(signal, priority);
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #acquire(signal: AbortSignal | undefined, priority: number): Promise<void> {
    signal?.throwIfAborted();
    if (this.#running < this.#limit) {
      this.#take();
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        this.#take();
        resolve();
      };
      let queue = this.#queues.get(priority);
      if (!queue) this.#queues.set(priority, queue = []);
      const onAbort = () => {
        const index = queue.indexOf(grant);
        if (index !== -1) queue.splice(index, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      queue.push(grant);
    });
  }

  #take(): void {
    this.#running++;
    if (this.#running > this.#maxRunning) this.#maxRunning = this.#running;
  }

  #release(): void {
    this.#running--;
    if (this.#running < this.#limit) this.#grantNext();
  }

  /** Starts the waiting task of highest priority, the earliest among equals; false: none. */
  #grantNext(): boolean {
    let best: (() => void)[] | undefined;
    let bestPriority = -Infinity;
    for (const [priority, queue] of this.#queues) {
      if (queue.length > 0 && priority > bestPriority) [best, bestPriority] = [queue, priority];
    }
    const grant = best?.shift();
    grant?.();
    return grant !== undefined;
  }
}
