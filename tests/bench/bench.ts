/**
 * `deno task bench`: runs every benchmark and writes BENCHMARKS.md at the repository root.
 * `deno task bench serve` (or convert, …) runs only the named ones.
 */
import { writeFileAtomic } from "../../src/store/atomic_write.ts";
import { benchServe, benchServeScale } from "./serve_bench.ts";
import { benchConvert } from "./convert_bench.ts";
import { benchReward } from "./reward_bench.ts";
import { benchPage } from "./page_bench.ts";
import { benchDatagen } from "./datagen_bench.ts";
import { benchAgentTrainset } from "./agent_trainset_bench.ts";
import { benchEvalAgent } from "./eval_agent_bench.ts";
import { benchLlmServers } from "./llm_servers_bench.ts";
import { benchDatagenDb } from "./datagen_db_bench.ts";

const ROOT = `${import.meta.dirname}/../../`;

const BENCHES: Record<string, () => Promise<string>> = {
  serve: async () => {
    // BENCH_SERVE_RUNS=scale (or pauses,saturation,scale) runs only the named serve runs.
    const runs = new Set(
      (Deno.env.get("BENCH_SERVE_RUNS") ?? "pauses,saturation,scale").split(","),
    );
    const seconds = Number(Deno.env.get("BENCH_SECONDS") ?? 30);
    return [
      "## serve",
      "",
      "Annotators read events and think before answering, so the target (p99 < 50 ms, 0 errors)",
      "applies to the first run, whose pauses are already far shorter than a person's. The second",
      "run removes every pause to show the server's saturation throughput. The third is the scale",
      "run of issue 6: 5,000 annotators on 10,000 traces, with per-route percentiles",
      "(`BENCH_SCALE_SECONDS` shortens it; `BENCH_SERVE_RUNS=scale` runs only it).",
      "",
      runs.has("pauses")
        ? await benchServe({ annotators: 200, seconds, traces: 400, thinkMs: [500, 1500] })
        : "",
      runs.has("saturation")
        ? await benchServe({ annotators: 200, seconds, traces: 400, thinkMs: [0, 0] })
        : "",
      runs.has("scale")
        ? await benchServeScale({
          annotators: 5000,
          arrivalSeconds: 10,
          seconds: Number(Deno.env.get("BENCH_SCALE_SECONDS") ?? 60),
          traces: 10_000,
          thinkMs: [2000, 6000],
          workers: 2,
        })
        : "",
    ].filter((part, i) => i < 8 || part !== "").join("\n");
  },
  convert: () => benchConvert(),
  reward: () => benchReward(),
  page: () => benchPage(),
  datagen: () => benchDatagen(),
  "agent-trainset": () => benchAgentTrainset(),
  "eval-agent": () => benchEvalAgent(),
  "llm-servers": () => benchLlmServers(),
  "datagen-db": () => benchDatagenDb(),
};

async function machine(): Promise<string> {
  const cpu = (await Deno.readTextFile("/proc/cpuinfo").catch(() => ""))
    .match(/model name\s*:\s*(.*)/)?.[1] ?? "unknown CPU";
  return `${navigator.hardwareConcurrency} cores (${cpu}), ${
    (Deno.systemMemoryInfo().total / 2 ** 30).toFixed(0)
  } GiB, Deno ${Deno.version.deno}`;
}

/** Sections of an existing BENCHMARKS.md, by benchmark name (kept when not rerun). */
async function previousSections(): Promise<Map<string, string>> {
  const text = await Deno.readTextFile(`${ROOT}BENCHMARKS.md`).catch(() => "");
  const sections = new Map<string, string>();
  for (const part of text.split(/^(?=<!-- bench:)/m).slice(1)) {
    const name = part.match(/^<!-- bench:([\w-]+) -->/)?.[1];
    if (name) sections.set(name, part.trimEnd() + "\n");
  }
  return sections;
}

const selected = Deno.args.length > 0 ? Deno.args : Object.keys(BENCHES);
const sections = await previousSections();
for (const name of selected) {
  const bench = BENCHES[name];
  if (!bench) {
    console.error(`Unknown benchmark "${name}"; known: ${Object.keys(BENCHES).join(", ")}`);
    Deno.exit(2);
  }
  console.error(`Running the ${name} benchmark...`);
  const section = `<!-- bench:${name} -->\n${(await bench()).trimEnd()}\n` +
    `\nRun on ${new Date().toISOString()}; reproduce with \`deno task bench ${name}\`.\n`;
  console.log(section);
  sections.set(name, section);
}

const header = `# Benchmarks

Written by \`deno task bench\` (all) or \`deno task bench <name>\` (${
  Object.keys(BENCHES).join(", ")
}).
Machine of the last run: ${await machine()}.
Numbers vary with the machine and its load; rerun to reproduce.

`;
const ordered = Object.keys(BENCHES).filter((name) => sections.has(name)).map((name) =>
  sections.get(name)
);
await writeFileAtomic(`${ROOT}BENCHMARKS.md`, header + ordered.join("\n"));
console.error("Wrote BENCHMARKS.md");
