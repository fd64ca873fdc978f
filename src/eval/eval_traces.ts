/**
 * The test traces of `eval agent`: the embedded ProactiveBench traces, or every `*.json`
 * trace of a folder (`--data DIR`, hidden files and `splits.json` aside), in name order.
 * An entry named like a trace that is not a file (a folder `x.json`) is an error naming it,
 * as a bad trace is.
 */
import { join } from "node:path";
import { inputError } from "../cli/errors.ts";
import { EMBEDDED_TRACES } from "../formats/embedded_traces.ts";
import { parseTrace, parseTraceText, type Trace } from "../formats/trace.ts";
import { listInputFolder, requireAllFiles } from "../store/input_folder.ts";
import { readInputText } from "../store/read_input.ts";

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
  // Hidden names aside: e.g. a model folder's .model.json.
  const isTraceName = (name: string) =>
    name.endsWith(".json") && name !== "splits.json" && !name.startsWith(".");
  const files = requireAllFiles(listInputFolder(dir, isTraceName, { what: "trace folder" }));
  if (files.length === 0) throw inputError(`Trace folder "${dir}" holds no .json traces`);
  const traces: NamedTrace[] = [];
  for (const file of files) {
    const path = join(dir, file);
    traces.push({
      file,
      trace: parseTraceText(await readInputText(path, { what: "trace" }), path),
    });
  }
  return traces;
}
