/**
 * Which gym logs can have their trace in `--out`: a log's trace is `<out>/<log name>.json`,
 * so a log is refused (with a reason naming it and what it would clash with) when
 *
 * - its name is that of another output of `traces` (`splits`: `splits.json` is the
 *   index written last, which would replace the trace), in any case;
 * - another log has the same name up to case (`a.jsonl` and `a.JSONL` have one trace
 *   file; `A.jsonl` and `a.jsonl` have one on file systems that ignore case, such as
 *   macOS's and Windows'): every log of such a group is refused, so which one's trace
 *   ends up in the file never depends on the order of the run.
 *
 * Refused logs are failures of the run (exit 1); the other logs' traces are written.
 *
 * @module
 */
import { basename, join } from "node:path";
import { gymLogName } from "../gym/read_gym_log.ts";

/** Names of the files `traces` writes in `--out` besides the traces, without `.json`. */
export const RESERVED_TRACE_NAMES: readonly string[] = ["splits"];

/** Log path → why it cannot have a trace in `out`; logs not in the map can. */
export function refusedTraceNames(logs: readonly string[], out: string): Map<string, string> {
  const refused = new Map<string, string>();
  const byKey = new Map<string, string[]>();
  for (const path of logs) {
    const name = gymLogName(path);
    const key = name.toLowerCase();
    const reserved = RESERVED_TRACE_NAMES.find((r) => r === key);
    if (reserved !== undefined) {
      refused.set(
        path,
        `its trace would be "${join(out, `${name}.json`)}", the name of the splits ` +
          `index ("${join(out, `${reserved}.json`)}") that traces writes in the same folder; ` +
          `rename the log`,
      );
      continue;
    }
    byKey.set(key, [...byKey.get(key) ?? [], path]);
  }
  for (const group of byKey.values()) {
    if (group.length < 2) continue;
    for (const path of group) {
      const others = group.filter((p) => p !== path).map((p) => `"${basename(p)}"`).join(", ");
      refused.set(
        path,
        `it and ${others} would have the same trace file "${
          join(out, `${gymLogName(path)}.json`)
        }" (names that differ only in case are one file where case is ignored); rename ` +
          `all but one of them`,
      );
    }
  }
  return refused;
}
