/**
 * Convert benchmark: a synthetic 960-file result folder of about 14 MB (20 turns per
 * trace, a 5-task question every other turn, 3 annotators, long event texts), converted
 * by `deno run -A main.ts convert` in a child process, 3 times. Reports wall time and
 * peak memory (max RSS from /usr/bin/time -v, else VmHWM polled from /proc) and compares
 * them with the reference Python script's figures quoted in issue 2 (not rerun here).
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PythonRandom } from "../../src/random/python_random.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const REFERENCE = { seconds: 2.24, megabytes: 221 };

export interface ConvertBenchOptions {
  files?: number;
  runs?: number;
}

const VERBS = ["opens", "edits", "scrolls through", "copies a paragraph from", "searches for"];
const THINGS = [
  "the file 'data_analysis.py' in Visual Studio Code",
  "a tutorial on importing CSV files with pandas in the web browser",
  "the Markdown notes about sustainable fashion brands",
  "the Google search results for 'swift ui 列表'",
  "the chapter draft 'Introduction.docx' in Microsoft Word",
];

function sentence(rng: PythonRandom): string {
  return `The user ${VERBS[rng.randbelow(VERBS.length)]} ${THINGS[rng.randbelow(THINGS.length)]}`;
}

function event(rng: PythonRandom): string {
  const parts: string[] = [];
  let length = 0;
  while (length < 140) {
    const part = sentence(rng);
    parts.push(part);
    length += part.length + 2;
  }
  return parts.join(", then ") + ".";
}

/** Writes `files` synthetic result files into `dir`; returns their size and mean event length. */
export async function writeResultFolder(
  dir: string,
  files: number,
  seed = 1,
): Promise<{ bytes: number; eventLength: number }> {
  const rng = new PythonRandom(seed);
  let bytes = 0;
  let eventChars = 0;
  for (let f = 0; f < files; f++) {
    const annotators = Array.from({ length: 3 }, () => rng.getrandbitsBig(128).toString(16));
    const entries = Array.from({ length: 20 }, (_, turn) => {
      const question = turn % 2 === 1;
      const tasks = question
        ? Array.from({ length: 5 }, (_, k) => `Offer to help with step ${k + 1}: ${sentence(rng)}`)
        : [];
      const entry: Record<string, unknown> = {
        observation: { time: String(1717338232 + f * 1000 + turn * 13), event: event(rng) },
        candidate_task: tasks,
      };
      if (question) {
        entry.real_user = Object.fromEntries(annotators.map((id) => {
          if (rng.random() < 0.2) return [id, "Reject all"];
          const picked = tasks.map((_, k) => k).filter(() => rng.random() < 0.35);
          return [id, picked.length > 0 ? picked : "Reject all"];
        }));
      }
      eventChars += (entry.observation as { event: string }).event.length;
      return entry;
    });
    const text = JSON.stringify(entries, null, 4);
    bytes += new TextEncoder().encode(text).length;
    await Deno.writeTextFile(join(dir, `trace_${String(f).padStart(4, "0")}.json`), text);
  }
  return { bytes, eventLength: eventChars / (files * 20) };
}

interface Run {
  seconds: number;
  peakMegabytes: number | null;
}

async function hasGnuTime(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("/usr/bin/time", {
      args: ["-v", "true"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

async function runOnce(resultDir: string, outDir: string, gnuTime: boolean): Promise<Run> {
  const deno = [Deno.execPath(), "run", "-A", join(ROOT, "main.ts"), "convert", resultDir];
  const args = [...deno.slice(1), "--out-dir", outDir];
  const start = performance.now();
  const child = new Deno.Command(gnuTime ? "/usr/bin/time" : deno[0], {
    args: gnuTime ? ["-v", deno[0], ...args] : args,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let peakKb = 0;
  let polling = !gnuTime;
  const poll = (async () => {
    while (polling) {
      const status = await Deno.readTextFile(`/proc/${child.pid}/status`).catch(() => "");
      const hwm = Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? 0);
      peakKb = Math.max(peakKb, hwm);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const [status, stderr] = await Promise.all([
    child.status,
    new Response(child.stderr).text(),
  ]);
  const seconds = (performance.now() - start) / 1000;
  polling = false;
  await poll;
  if (!status.success) throw new Error(`convert failed (${status.code}): ${stderr.slice(-500)}`);
  if (gnuTime) {
    peakKb = Number(stderr.match(/Maximum resident set size \(kbytes\): (\d+)/)?.[1] ?? 0);
  }
  return { seconds, peakMegabytes: peakKb > 0 ? peakKb / 1024 : null };
}

/** Runs the benchmark; returns a Markdown section for BENCHMARKS.md. */
export async function benchConvert(options: ConvertBenchOptions = {}): Promise<string> {
  const files = options.files ?? 960;
  const runs = options.runs ?? 3;
  const dir = await Deno.makeTempDir({ prefix: "proactive-convert-bench-" });
  try {
    const resultDir = join(dir, "result");
    await Deno.mkdir(resultDir);
    const { bytes: inputBytes, eventLength } = await writeResultFolder(resultDir, files);
    const gnuTime = await hasGnuTime();
    const results: Run[] = [];
    for (let i = 0; i < runs; i++) {
      results.push(await runOnce(resultDir, join(dir, "out"), gnuTime));
    }
    const outputBytes = (await Deno.stat(join(dir, "out", "train_data.jsonl"))).size +
      (await Deno.stat(join(dir, "out", "test_data.jsonl"))).size;

    const best = Math.min(...results.map((r) => r.seconds));
    const peaks = results.map((r) => r.peakMegabytes).filter((p): p is number => p !== null);
    const peak = peaks.length > 0 ? Math.max(...peaks) : null;
    const mb = (n: number) => (n / 1e6).toFixed(1);
    const rows = results.map((r, i) =>
      `| ${i + 1} | ${r.seconds.toFixed(2)} s | ${
        r.peakMegabytes === null ? "n/a" : `${r.peakMegabytes.toFixed(0)} MB`
      } |`
    );
    const speedup = REFERENCE.seconds / best;
    const method = gnuTime ? "/usr/bin/time -v" : "VmHWM polled from /proc";
    return [
      "## convert",
      "",
      `\`proactive convert\` on a synthetic result folder: ${files} files, ${mb(inputBytes)} MB ` +
      `(20 turns each, a 5-task question every other turn, 3 annotators, events of ` +
      `${eventLength.toFixed(0)} characters on average); output ${mb(outputBytes)} MB of JSONL. ` +
      `Each run is \`deno run -A main.ts convert\` in a child process, start-up included; ` +
      `peak memory is the child's max RSS (${method}).`,
      "",
      "| run | wall time | peak memory |",
      "| --- | --- | --- |",
      ...rows,
      "",
      `Best ${best.toFixed(2)} s, peak ${peak === null ? "n/a" : `${peak.toFixed(0)} MB`}. ` +
      `The reference Python script is not run here: its figures quoted in issue 2 ` +
      `(${REFERENCE.seconds} s, ${REFERENCE.megabytes} MB on 960 files of 14 MB) come from ` +
      `another folder, so the ratio is indicative: ${speedup.toFixed(1)}× as fast ` +
      `(target: at least 3×, ${speedup >= 3 ? "met" : "not met"}).`,
    ].join("\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) console.log(await benchConvert());
