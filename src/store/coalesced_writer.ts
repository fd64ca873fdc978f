/**
 * Coalesced rewrites of one output (a checkpoint, a file rewritten as results arrive):
 * `request()` starts a write unless one is running, in which case one more write follows
 * it (however many requests came meanwhile), so the last write always sees the latest
 * state. Writes never overlap, and the work that asks for them never waits. A failed
 * write is reported once (`onFirstError`) and tried again at the next request; `flush()`
 * waits for the writes and rethrows the failure of the last one.
 */
export class CoalescedWriter {
  readonly #write: () => Promise<void>;
  readonly #onFirstError: (error: unknown) => void;
  #running: Promise<void> | undefined;
  #again = false;
  #error: unknown;
  #warned = false;
  #writes = 0;

  constructor(write: () => Promise<void>, onFirstError: (error: unknown) => void = () => {}) {
    this.#write = write;
    this.#onFirstError = onFirstError;
  }

  /** Completed writes. */
  get writes(): number {
    return this.#writes;
  }

  /** Asks for a write soon (does not wait for it). */
  request(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#loop();
  }

  /** Waits for the running write (and the one asked for meanwhile); throws its failure. */
  async flush(): Promise<void> {
    while (this.#running) await this.#running;
    if (this.#error !== undefined) throw this.#error;
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      try {
        await this.#write();
        this.#writes++;
        this.#error = undefined;
      } catch (error) {
        this.#error = error;
        if (!this.#warned) {
          this.#warned = true;
          this.#onFirstError(error);
        }
      }
    } while (this.#again);
    this.#running = undefined;
  }
}
