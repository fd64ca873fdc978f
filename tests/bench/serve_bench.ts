/**
 * Serve benchmarks against a `proactive serve` child process on 127.0.0.1:
 * - `benchServe`: 200 concurrent simulated annotators for 30 s, each logging in and
 *   labelling questions (with pauses, or as fast as the server answers). Reports throughput,
 *   latency percentiles and errors, plus the page weight.
 * - `benchServeScale`: thousands of annotators arriving within seconds on a large catalogue,
 *   simulated by workers (serve_load_worker.ts), with per-route percentiles.
 */

import { STATIC_ASSETS } from "../../src/serve/static_assets.ts";
import { type LoadJob, type LoadResult, ROUTES } from "./serve_load_worker.ts";

const ROOT = `${import.meta.dirname}/../../`;

export interface ServeBenchOptions {
  annotators: number;
  seconds: number;
  traces: number;
  /** Pause of each simulated annotator before each action, uniform in [min, max] ms. */
  thinkMs: [number, number];
}

interface Sample {
  ms: number;
  ok: boolean;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

/** Writes `count` synthetic 20-turn traces (a question every other turn) into `dir`. */
async function writeTraces(dir: string, count: number): Promise<void> {
  for (let t = 0; t < count; t++) {
    const turns = Array.from({ length: 20 }, (_, i) => ({
      observation: {
        time: String(1717338232 + i * 13),
        event:
          `The user edits file ${t}-${i}.py in Visual Studio Code and types a longer line of code.`,
      },
      agent_response: {
        candidate_task: i % 2 === 1
          ? Array.from({ length: 5 }, (_, k) => `Suggest improvement ${k} for step ${i}`)
          : [],
      },
      task_status: false,
    }));
    await Deno.writeTextFile(
      `${dir}/bench_${String(t).padStart(5, "0")}.json`,
      JSON.stringify(turns),
    );
  }
}

async function startChild(dataDir: string, outDir: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--unstable-kv",
      "-A",
      `${ROOT}main.ts`,
      "serve",
      "--port",
      "0",
      "--data",
      dataDir,
      "--out",
      outDir,
      "--password",
      "bench",
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) throw new Error("serve exited before listening");
    buffered += value;
    const match = buffered.match(/Listening on (http:\/\/[^\s]+)/);
    if (match) {
      // Keep draining stdout so the child never blocks on a full pipe.
      (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })().catch(() => {});
      return { child, url: match[1].replace(/\/$/, "") };
    }
  }
}

export async function benchServe(options: ServeBenchOptions): Promise<string> {
  const dataDir = await Deno.makeTempDir({ prefix: "bench-serve-data-" });
  const outDir = await Deno.makeTempDir({ prefix: "bench-serve-out-" });
  await writeTraces(dataDir, options.traces);
  const { child, url } = await startChild(dataDir, outDir);
  const samples: Sample[] = [];
  let labels = 0;
  const deadline = performance.now() + options.seconds * 1000;

  async function timed(path: string, init: RequestInit & { cookie?: string } = {}) {
    const started = performance.now();
    const headers = new Headers(init.headers);
    if (init.cookie) headers.set("cookie", init.cookie);
    if (init.body) headers.set("content-type", "application/json");
    try {
      const response = await fetch(`${url}${path}`, { ...init, headers });
      const body = await response.json();
      samples.push({ ms: performance.now() - started, ok: response.ok });
      return { response, body };
    } catch (error) {
      samples.push({ ms: performance.now() - started, ok: false });
      throw error;
    }
  }

  const think = () => {
    const [min, max] = options.thinkMs;
    if (max <= 0) return Promise.resolve();
    return new Promise((r) => setTimeout(r, min + Math.random() * (max - min)));
  };

  async function annotator(i: number) {
    await think();
    const login = await timed("/api/login", {
      method: "POST",
      body: JSON.stringify({ username: `bench-${i}`, password: "bench" }),
    });
    const cookie = (login.response.headers.get("set-cookie") ?? "").split(";")[0];
    let state = (await timed("/api/next", { method: "POST", body: "{}", cookie })).body;
    while (performance.now() < deadline) {
      if (state.trace === null) {
        await new Promise((r) => setTimeout(r, 200));
        state = (await timed("/api/state", { cookie })).body;
        continue;
      }
      if (state.finished || !state.question) {
        state = (await timed("/api/next", { method: "POST", body: "{}", cookie })).body;
        continue;
      }
      await think();
      const label = Math.random() < 0.3 ? "Reject all" : [Math.floor(Math.random() * 5)];
      const reply = await timed("/api/label", {
        method: "POST",
        cookie,
        body: JSON.stringify({
          trace: state.trace,
          turn: state.question.turn,
          label,
          since: state.revealed,
        }),
      });
      if (reply.response.ok) labels++;
      state = reply.body.trace !== undefined
        ? reply.body
        : (await timed("/api/state", { cookie })).body;
    }
  }

  const started = performance.now();
  await Promise.allSettled(Array.from({ length: options.annotators }, (_, i) => annotator(i)));
  const elapsed = (performance.now() - started) / 1000;

  // What the annotation page loads: the page, its stylesheet and every module (status.js
  // belongs to the status page).
  let weight = 0;
  for (const path of STATIC_ASSETS.keys()) {
    if (path === "/status" || path === "/status.js") continue;
    weight += (await fetch(`${url}${path}`).then((r) => r.arrayBuffer())).byteLength;
  }
  child.kill("SIGTERM");
  await child.status;
  await Deno.remove(dataDir, { recursive: true });
  await Deno.remove(outDir, { recursive: true });

  const latencies = samples.map((s) => s.ms).sort((a, b) => a - b);
  const errors = samples.filter((s) => !s.ok).length;
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  const targeted = options.thinkMs[1] > 0;
  return [
    `### ${options.annotators} concurrent annotators for ${options.seconds} s, ${
      options.thinkMs[1] > 0
        ? `each pausing ${options.thinkMs[0]}–${options.thinkMs[1]} ms before every action`
        : "no pause between actions (saturation)"
    }`,
    "",
    `${options.traces} synthetic 20-turn traces (10 questions each), 3 annotators per trace, server in its own process (\`main.ts serve\` on 127.0.0.1), load from the benchmark process.`,
    "",
    "| metric | value | target |",
    "| --- | --- | --- |",
    `| requests | ${samples.length} | |`,
    `| throughput | ${(samples.length / elapsed).toFixed(0)} req/s | |`,
    `| labels acknowledged | ${labels} | |`,
    `| p50 latency | ${p50.toFixed(1)} ms | |`,
    `| p99 latency | ${p99.toFixed(1)} ms | ${
      targeted ? `< 50 ms ${p99 < 50 ? "✅" : "❌"}` : ""
    } |`,
    `| errors | ${errors} | ${targeted ? `0 ${errors === 0 ? "✅" : "❌"}` : ""} |`,
    `| page weight (/, app.css and every module, uncompressed) | ${
      (weight / 1024).toFixed(1)
    } KiB | |`,
    "",
  ].join("\n");
}

export interface ServeScaleOptions {
  annotators: number;
  /** Annotators arrive at random times within this many seconds. */
  arrivalSeconds: number;
  /** How long the run lasts from the start of the arrivals. */
  seconds: number;
  traces: number;
  /** Pause of each simulated annotator between actions, uniform in [min, max] ms. */
  thinkMs: [number, number];
  /** Workers (threads of the benchmark process) the annotators are spread over. */
  workers: number;
}

async function loadAverage(): Promise<string> {
  const text = await Deno.readTextFile("/proc/loadavg").catch(() => "");
  return text.split(" ").slice(0, 3).join(" ") || "unknown";
}

/**
 * Many annotators on a large catalogue: the server in its own process, the annotators in
 * worker threads of this one (HTTP keep-alive). Per-route latency percentiles of every
 * answered request; "shed" counts 503 answers, which the annotators retry like the page;
 * "errors" counts what they still saw after their retries.
 */
export async function benchServeScale(options: ServeScaleOptions): Promise<string> {
  const dataDir = await Deno.makeTempDir({ prefix: "bench-scale-data-" });
  const outDir = await Deno.makeTempDir({ prefix: "bench-scale-out-" });
  await writeTraces(dataDir, options.traces);
  const loadBefore = await loadAverage();
  const spawned = performance.now();
  const { child, url } = await startChild(dataDir, outDir);
  const startUp = (performance.now() - spawned) / 1000;
  const per = Math.ceil(options.annotators / options.workers);
  // Workers first load their module (and say "ready"), so the arrivals start on time.
  const workers = await Promise.all(
    Array.from({ length: options.workers }, () =>
      new Promise<Worker>((resolve, reject) => {
        const worker = new Worker(new URL("./serve_load_worker.ts", import.meta.url).href, {
          type: "module",
        });
        worker.onmessage = () => resolve(worker);
        worker.onerror = (event) => {
          event.preventDefault();
          reject(new Error(`load worker: ${event.message}`));
        };
      })),
  );
  const startAt = Date.now() + 200;
  const results: LoadResult[] = await Promise.all(workers.map((worker, w) => {
    const job: LoadJob = {
      url,
      from: w * per,
      to: Math.min(options.annotators, (w + 1) * per),
      startAt,
      arrivalMs: options.arrivalSeconds * 1000,
      durationMs: options.seconds * 1000,
      thinkMs: options.thinkMs,
    };
    return new Promise<LoadResult>((resolve, reject) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.onerror = (event) => {
        event.preventDefault();
        reject(new Error(`load worker ${w}: ${event.message}`));
      };
      worker.postMessage(job);
    });
  }));
  const elapsed = (Date.now() - startAt) / 1000;
  const loadAfter = await loadAverage();
  child.kill("SIGTERM");
  await child.status;
  await Deno.remove(dataDir, { recursive: true });
  await Deno.remove(outDir, { recursive: true });

  const rows: string[] = [];
  let requests = 0;
  let totalErrors = 0;
  let allMet = true;
  for (const route of ROUTES) {
    const latencies = results.flatMap((r) => r.latencies[route]).sort((a, b) => a - b);
    const shed = results.reduce((n, r) => n + r.shed[route], 0);
    const errors = results.reduce((n, r) => n + r.errors[route], 0);
    requests += latencies.length;
    totalErrors += errors;
    const p99 = percentile(latencies, 99);
    const met = p99 < 50 && errors === 0;
    allMet &&= met;
    rows.push(
      `| ${route} | ${latencies.length} | ${percentile(latencies, 50).toFixed(1)} ms | ${
        percentile(latencies, 95).toFixed(1)
      } ms | ${p99.toFixed(1)} ms | ${
        latencies[latencies.length - 1]?.toFixed(1) ?? "–"
      } ms | ${shed} | ${errors} | ${met ? "✅" : "❌"} |`,
    );
  }
  const labels = results.reduce((n, r) => n + r.labels, 0);
  const traces = results.reduce((n, r) => n + r.traces, 0);
  const examples = results.flatMap((r) => r.examples).slice(0, 5);
  return [
    `### ${
      options.annotators.toLocaleString("en")
    } annotators arriving within ${options.arrivalSeconds} s on ${
      options.traces.toLocaleString("en")
    } traces, pausing ${options.thinkMs[0] / 1000}–${
      options.thinkMs[1] / 1000
    } s between actions, for ${options.seconds} s`,
    "",
    `Synthetic 20-turn traces (10 questions each), 3 annotators per trace, store on disk. Server in its own process (\`main.ts serve\` on 127.0.0.1, started in ${
      startUp.toFixed(1)
    } s with the ${
      options.traces.toLocaleString("en")
    } traces); the annotators in ${options.workers} worker threads of the benchmark process, HTTP keep-alive. Each logs in, reads the state, then after every pause answers its question (with \`replaces\`), takes the next trace when done, or (1 in 10) reloads the state; 503 answers and lost connections are retried like the page does. Latency: every answered HTTP request, measured by the client. Target: p99 < 50 ms on every route and 0 errors seen by the annotators.`,
    "",
    "| route | requests | p50 | p95 | p99 | max | 503 (retried) | errors seen | target |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    `${requests} requests in ${elapsed.toFixed(0)} s (${
      (requests / elapsed).toFixed(0)
    } req/s); ${labels} labels saved; ${traces} traces reserved; errors seen: ${totalErrors}${
      examples.length > 0 ? ` (e.g. ${examples.join("; ")})` : ""
    }. Target ${allMet ? "met ✅" : "not met ❌"}.`,
    `Load average (1, 5, 15 min) before: ${loadBefore}; after: ${loadAfter}.`,
    "",
  ].join("\n");
}
