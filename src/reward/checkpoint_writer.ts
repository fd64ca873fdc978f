/**
 * Coalescing checkpoints: `request()` starts a write unless one is running, in which case
 * one more write follows it (however many requests came meanwhile). Writes never overlap,
 * and the work that asks for checkpoints never waits for them. A failed checkpoint is
 * reported once; `flush()` waits for the writes and rethrows the last failure.
 */
import type { Logger } from "../cli/logger.ts";

export class CheckpointWriter {
  readonly #write: () => Promise<void>;
  readonly #logger: Logger;
  #running: Promise<void> | undefined;
  #again = false;
  #error: unknown;
  #warned = false;
  #writes = 0;

  constructor(write: () => Promise<void>, logger: Logger) {
    this.#write = write;
    this.#logger = logger;
  }

  /** Checkpoints written so far. */
  get writes(): number {
    return this.#writes;
  }

  /** Asks for a checkpoint soon. */
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
          this.#logger.warn(`Cannot write a checkpoint: ${(error as Error).message ?? error}`);
        }
      }
    } while (this.#again);
    this.#running = undefined;
  }
}
