/**
 * Serve benchmark: 200 concurrent simulated annotators for 30 s against a `proactive serve`
 * child process on 127.0.0.1, each logging in and labelling questions as fast as the server
 * answers. Reports throughput, latency percentiles and errors, plus the page weight.
 */

import { STATIC_ASSETS } from "../../src/serve/static_assets.ts";

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
      `${dir}/bench_${String(t).padStart(4, "0")}.json`,
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
