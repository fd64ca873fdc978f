/**
 * The traces `proactive serve` hands out. `loadCatalog` (called by `startServer`) reads
 * `--data DIR` (every `*.json` but `splits.json` and hidden files, each validated; a bad
 * one fails the start, naming it) or takes the 12 embedded ProactiveBench traces and one
 * embedded help-mode trace (`empty_code_11`, made from `code_11`). Each
 * becomes a `CatalogTrace` with its questions precomputed: a task trace asks at every turn
 * with candidate tasks; a help-mode trace (`empty_*`) asks at the `--help-checkpoints` turns
 * it has (default 3, 7, 10, 14), with the two answers of `HELP_TASKS`. Traces without a
 * question are skipped with a warning. The catalog is read-only, in name order; the other
 * serve modules find a trace with `Catalog.get`.
 *
 * @module
 */
import { join } from "node:path";
import { inputError } from "../cli/errors.ts";
import type { Logger } from "../cli/logger.ts";
import { EMBEDDED_HELP_TRACES, EMBEDDED_TRACES } from "../formats/embedded_traces.ts";
import {
  isHelpModeTrace,
  isValidTraceName,
  parseTrace,
  parseTraceText,
  type Trace,
} from "../formats/trace.ts";
import { listInputFolder, requireAllFiles } from "../store/input_folder.ts";
import { readInputText } from "../store/read_input.ts";

/** The two answers of a help-mode question, as shown to the annotator. */
export const HELP_TASKS: readonly string[] = ["Help needed", "No help needed"];

export const DEFAULT_HELP_CHECKPOINTS: readonly number[] = [3, 7, 10, 14];

/** A trace the server can hand out, with its questions precomputed. */
export interface CatalogTrace {
  name: string;
  mode: "tasks" | "help";
  turns: Trace;
  /** Question turns (0-based), ascending. */
  questions: number[];
  /** Question turn → 0-based question number. */
  questionIndex: Map<number, number>;
}

export interface Catalog {
  /** Traces in name order. */
  traces: CatalogTrace[];
  get(name: string): CatalogTrace | undefined;
  /** Where the traces came from, for the log. */
  source: string;
}

/**
 * Builds one catalog entry. Task traces ask at every turn with candidate tasks; help-mode
 * traces (`empty_*`) ask at the checkpoint turns that exist in the trace (later ones are
 * skipped).
 */
export function catalogTrace(
  name: string,
  turns: Trace,
  helpCheckpoints: readonly number[],
): CatalogTrace {
  const mode = isHelpModeTrace(name) ? "help" : "tasks";
  const questions = mode === "help"
    ? [...new Set(helpCheckpoints)].filter((t) => t >= 0 && t < turns.length).sort((a, b) => a - b)
    : turns.flatMap((turn, i) => turn.agent_response.candidate_task.length > 0 ? [i] : []);
  return {
    name,
    mode,
    turns,
    questions,
    questionIndex: new Map(questions.map((turn, i) => [turn, i])),
  };
}

function makeCatalog(entries: CatalogTrace[], source: string, logger?: Logger): Catalog {
  const traces: CatalogTrace[] = [];
  for (const entry of entries) {
    if (entry.questions.length === 0) {
      logger?.warn(`Skipping trace "${entry.name}": it has no question to annotate`);
      continue;
    }
    traces.push(entry);
  }
  traces.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (traces.length === 0) throw inputError(`No trace with questions found in ${source}`);
  const byName = new Map(traces.map((t) => [t.name, t]));
  return { traces, get: (name) => byName.get(name), source };
}

/** The 12 embedded ProactiveBench traces and the embedded help-mode trace made from one. */
export function embeddedCatalog(
  helpCheckpoints: readonly number[] = DEFAULT_HELP_CHECKPOINTS,
  logger?: Logger,
): Catalog {
  const entries = [...EMBEDDED_TRACES, ...EMBEDDED_HELP_TRACES].map(([name, value]) =>
    catalogTrace(name, parseTrace(value, `${name}.json`), helpCheckpoints)
  );
  return makeCatalog(entries, "the embedded ProactiveBench traces", logger);
}

/**
 * Every `*.json` file of `dir` except `splits.json` (hidden files are ignored). Each file
 * is validated; a bad file, an entry named like a trace that is not a file (a folder
 * `x.json`) or a file name that is not a valid trace name is an error that names it.
 */
export async function loadCatalogDir(
  dir: string,
  helpCheckpoints: readonly number[] = DEFAULT_HELP_CHECKPOINTS,
  logger?: Logger,
): Promise<Catalog> {
  const names = requireAllFiles(listInputFolder(dir, isTraceFileName, { what: "trace folder" }));
  const entries: CatalogTrace[] = [];
  for (const fileName of names) {
    const name = fileName.slice(0, -".json".length);
    const path = join(dir, fileName);
    if (!isValidTraceName(name)) {
      throw inputError(
        `Invalid trace file name "${path}": use letters, digits, "_", "-" and "." only`,
      );
    }
    const text = await readInputText(path, { what: "trace" });
    entries.push(catalogTrace(name, parseTraceText(text, path), helpCheckpoints));
  }
  return makeCatalog(entries, `"${dir}"`, logger);
}

function isTraceFileName(name: string): boolean {
  return name.endsWith(".json") && name !== "splits.json" && !name.startsWith(".");
}

/** Loads `--data DIR`, or the embedded traces when `dir` is undefined. */
export function loadCatalog(
  dir: string | undefined,
  helpCheckpoints: readonly number[],
  logger?: Logger,
): Promise<Catalog> {
  if (dir === undefined) return Promise.resolve(embeddedCatalog(helpCheckpoints, logger));
  return loadCatalogDir(dir, helpCheckpoints, logger);
}
