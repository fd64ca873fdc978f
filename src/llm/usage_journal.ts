/**
 * A run's LLM accounting, kept on disk as it happens, so a run that is killed (`kill -9`,
 * a power loss of the process) or interrupted still counts in the next run's summary and
 * dataset card.
 *
 * The journal is an append-only JSONL file beside the output. Every change of the LLM
 * counters (`LlmStats.add`) appends one line `{run, at, alias, model, baseUrl, delta}`
 * with one synchronous write, so the line is in the kernel before the request goes on: a
 * killed process loses nothing it counted. A run that ends marks its end (`{run, end}`);
 * one that is interrupted marks `"interrupted"`. The next run on the same output (which
 * holds the output's lock, so no writer of the journal is alive) reads the journal, adds
 * the runs it finds there to its summary (a run without an end line was killed), writes
 * the summary, and only then removes the journal. Runs already in the summary (by run id)
 * are not counted twice, should the process die between those two steps.
 *
 * @module
 */
import { describeError, runtimeError } from "../cli/errors.ts";
import { openNoFollow, readFileNoFollow } from "../store/no_follow.ts";
import {
  type EndpointLabel,
  type LlmCounters,
  type LlmStatsJson,
  ZERO_LLM_COUNTERS,
} from "./llm_stats.ts";

/** How a journaled run ended: it marked an interruption or a failure, or it just stopped. */
export type JournaledEnd = "interrupted" | "failed" | "killed";

/** One earlier run recovered from the journal. */
export interface JournaledRun {
  run: string;
  /** ISO times of its first and last line. */
  startedAt: string;
  lastAt: string;
  end: JournaledEnd;
  llm: LlmStatsJson;
}

const COUNTERS = Object.keys(ZERO_LLM_COUNTERS) as (keyof LlmCounters)[];

/** The journal being written by this run. */
export class UsageJournal {
  readonly path: string;
  readonly run: string;
  #file: Deno.FsFile | undefined;
  #now: () => number;
  #encoder = new TextEncoder();
  #failed = false;

  private constructor(path: string, run: string, file: Deno.FsFile, now: () => number) {
    this.path = path;
    this.run = run;
    this.#file = file;
    this.#now = now;
  }

  /** Opens `path` for appending (created when missing; a link there is refused). */
  static async open(path: string, run: string, now: () => number): Promise<UsageJournal> {
    let file: Deno.FsFile;
    try {
      file = await openNoFollow(path, { write: true, create: true, mode: 0o644 });
      await file.seek(0, Deno.SeekMode.End);
    } catch (error) {
      if (error instanceof Error && error.name === "SymlinkRefusedError") throw error;
      throw runtimeError(`Cannot open the usage journal "${path}": ${describeError(error, path)}`);
    }
    return new UsageJournal(path, run, file, now);
  }

  /** Appends one change of the counters (never throws: accounting must not stop a run). */
  record(endpoint: EndpointLabel, delta: Partial<LlmCounters>): void {
    const { alias, model, baseUrl } = endpoint;
    this.#append({ run: this.run, at: this.#now(), alias, model, baseUrl, delta });
  }

  /** Marks how this run ended and closes the file. */
  end(how: "done" | "interrupted" | "failed"): void {
    this.#append({ run: this.run, at: this.#now(), end: how });
    this.close();
  }

  close(): void {
    this.#file?.close();
    this.#file = undefined;
  }

  #append(line: unknown): void {
    if (!this.#file || this.#failed) return;
    try {
      const bytes = this.#encoder.encode(JSON.stringify(line) + "\n");
      for (let n = 0; n < bytes.length;) n += this.#file.writeSync(bytes.subarray(n));
    } catch {
      // A full disk: the summary written at the end still counts this run.
      this.#failed = true;
    }
  }
}

/**
 * The runs recorded in the journal at `path` that did not end normally (killed, or
 * interrupted), oldest first; none when there is no journal. Cut or unreadable lines are
 * skipped (the last line of a killed run may be half written).
 */
export async function readUsageJournal(path: string): Promise<JournaledRun[]> {
  let text: string;
  try {
    text = new TextDecoder().decode(await readFileNoFollow(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw runtimeError(`Cannot read the usage journal "${path}": ${describeError(error, path)}`);
  }
  const runs = new Map<string, JournaledRun & { done: boolean; rows: Map<string, number> }>();
  for (const raw of text.split("\n")) {
    const line = parseLine(raw);
    if (!line) continue;
    let run = runs.get(line.run);
    if (!run) {
      const at = new Date(line.at).toISOString();
      run = {
        run: line.run,
        startedAt: at,
        lastAt: at,
        end: "killed",
        llm: { ...ZERO_LLM_COUNTERS, endpoints: [] },
        done: false,
        rows: new Map(),
      };
      runs.set(line.run, run);
    }
    run.lastAt = new Date(line.at).toISOString();
    if (line.end !== undefined) {
      if (line.end === "done") run.done = true;
      else run.end = line.end === "failed" ? "failed" : "interrupted";
      continue;
    }
    addDelta(run, line);
  }
  return [...runs.values()].filter((run) => !run.done).map(({ done: _d, rows: _r, ...run }) => run);
}

interface Line {
  run: string;
  at: number;
  end?: string;
  alias?: string;
  model?: string;
  baseUrl?: string;
  delta?: Record<string, unknown>;
}

function parseLine(raw: string): Line | undefined {
  if (raw.trim() === "") return undefined;
  try {
    const value = JSON.parse(raw);
    if (typeof value?.run !== "string" || typeof value.at !== "number") return undefined;
    if (!Number.isFinite(value.at)) return undefined;
    return value as Line;
  } catch {
    return undefined;
  }
}

function addDelta(run: JournaledRun & { rows: Map<string, number> }, line: Line): void {
  const label = {
    alias: String(line.alias),
    model: String(line.model),
    baseUrl: String(line.baseUrl),
  };
  const id = JSON.stringify([label.alias, label.model, label.baseUrl]);
  let index = run.rows.get(id);
  if (index === undefined) {
    index = run.llm.endpoints.push({ ...label, ...ZERO_LLM_COUNTERS }) - 1;
    run.rows.set(id, index);
  }
  const row = run.llm.endpoints[index];
  for (const name of COUNTERS) {
    const amount = line.delta?.[name];
    if (typeof amount !== "number" || !Number.isFinite(amount)) continue;
    run.llm[name] += amount;
    row[name] += amount;
  }
}

/** Removes the journal (after the summary that counts its runs is written). */
export async function removeUsageJournal(path: string): Promise<void> {
  await Deno.remove(path).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
}
