/**
 * The test traces of `eval agent`: the embedded ProactiveBench traces, or every `*.json`
 * trace of a folder (`--data DIR`, hidden files and `splits.json` aside), in name order.
 */
import { join } from "node:path";
import { inputError } from "../cli/errors.ts";
import { EMBEDDED_TRACES } from "../formats/embedded_traces.ts";
import { parseTrace, parseTraceText, type Trace } from "../formats/trace.ts";

export interface NamedTrace {
  /** File name, `<name>.json`. */
  file: string;
  trace: Trace;
}

export async function loadEvalTraces(dir: string | null): Promise<NamedTrace[]> {
  if (dir === null) {
    return EMBEDDED_TRACES.map(([name, value]) => ({
      file: `${name}.json`,
      trace: parseTrace(value, `embedded trace ${name}`),
    }));
  }
  const files: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (
        entry.isFile && entry.name.endsWith(".json") && entry.name !== "splits.json" &&
        !entry.name.startsWith(".") // hidden: e.g. a model folder's .model.json
      ) {
        files.push(entry.name);
      }
    }
  } catch (error) {
    throw inputError(`Cannot read trace folder "${dir}": ${(error as Error).message}`, error);
  }
  files.sort();
  if (files.length === 0) throw inputError(`Trace folder "${dir}" holds no .json traces`);
  const traces: NamedTrace[] = [];
  for (const file of files) {
    const path = join(dir, file);
    traces.push({ file, trace: parseTraceText(await Deno.readTextFile(path), path) });
  }
  return traces;
}
