/**
 * A deadline for a whole request: connecting, waiting for the headers *and* reading the
 * body. openai-node's own `timeout` stops counting once the headers arrive, so a body
 * that stalls halfway would hang forever; this one does not.
 */

/** The deadline passed before the work finished. Retryable. */
export class DeadlineExceededError extends Error {
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(`no complete answer within ${formatSeconds(timeoutMs)}`);
    this.name = "DeadlineExceededError";
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Runs `work` with a signal that aborts after `timeoutMs` or when `outer` aborts.
 * Resolves or rejects with `work`, or rejects with `DeadlineExceededError` (or the outer
 * signal's reason) as soon as time is up, even if `work` ignores its signal.
 */
export async function withDeadline<T>(
  timeoutMs: number,
  work: (signal: AbortSignal) => Promise<T>,
  outer?: AbortSignal,
): Promise<T> {
  outer?.throwIfAborted();
  const controller = new AbortController();
  let stop!: (reason: unknown) => void;
  const stopped = new Promise<never>((_, reject) => {
    stop = (reason) => {
      controller.abort(reason);
      reject(reason);
    };
  });
  const timer = setTimeout(() => stop(new DeadlineExceededError(timeoutMs)), timeoutMs);
  const onOuterAbort = () => stop(outer!.reason);
  outer?.addEventListener("abort", onOuterAbort, { once: true });
  const running = work(controller.signal);
  // When the deadline wins the race, `running` rejects later with an abort error; that
  // rejection is expected and must not surface as unhandled.
  running.catch(() => {});
  try {
    return await Promise.race([running, stopped]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener("abort", onOuterAbort);
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
