/**
 * A fake OpenAI server in a process of its own, for benchmarks: serving then does not
 * compete with the measured client for one event loop, as with a real remote endpoint.
 */
/** What a fake server process served. */
export interface ServedReport {
  requests: number;
  maxInFlight: number;
  /** The mean latency it served, in ms. */
  meanLatencyMs: number;
  /** When the first request arrived and the last answer left (ms since the epoch). */
  firstRequestAt?: number;
  lastAnswerAt?: number;
}

export interface FakeServerProcess {
  baseUrl: string;
  /** Stops the server; resolves to what it served. */
  stop(): Promise<ServedReport>;
}

/**
 * Starts `script` (a fake server process: prints `{"port": N}`, serves until its stdin
 * closes, then prints `{"requests": N, "maxInFlight": M, "meanLatencyMs": L}`) with `args`.
 */
export async function startServerProcess(
  script: string,
  args: string[],
): Promise<FakeServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const nextLine = async (): Promise<string> => {
    while (!buffered.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) throw new Error("the fake server process ended early");
      buffered += value;
    }
    const end = buffered.indexOf("\n");
    const line = buffered.slice(0, end);
    buffered = buffered.slice(end + 1);
    return line;
  };
  const { port } = JSON.parse(await nextLine());
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    async stop() {
      await child.stdin.close();
      const report = JSON.parse(await nextLine());
      lines.releaseLock();
      await child.stdout.cancel().catch(() => {});
      await child.status;
      return report;
    },
  };
}
