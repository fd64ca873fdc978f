/**
 * A fixed pool of workers over a list of jobs, shared by the LLM stages: at most `workers`
 * jobs run at once, taken in index order. The first job that throws stops the pool (no
 * further job starts, the others see `signal` aborted) and its error is thrown once the
 * running jobs have settled; aborting the caller's `signal` stops the pool the same way
 * and throws the abort reason.
 *
 * @module
 */
export async function runWorkerPool(
  count: number,
  workers: number,
  job: (index: number, signal: AbortSignal) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) onAbort();
  let next = 0;
  let fatal: { error: unknown } | undefined;

  const worker = async () => {
    while (!fatal && !stop.signal.aborted && next < count) {
      const index = next++;
      try {
        await job(index, stop.signal);
      } catch (error) {
        fatal ??= { error: signal?.aborted ? signal.reason : error };
        stop.abort(error);
      }
    }
  };
  try {
    const size = Math.max(1, Math.min(workers, count));
    await Promise.all(Array.from({ length: size }, worker));
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  if (fatal) throw fatal.error;
  if (signal?.aborted) throw signal.reason;
}
