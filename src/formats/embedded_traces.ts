/**
 * The 12 ProactiveBench test traces (ProactiveAgent project, Apache-2.0), embedded so that
 * `deno run` and the compiled binary serve the same bytes without the source tree; and one
 * help-mode trace made from them (`EMBEDDED_HELP_TRACES`), which `serve` adds so that both
 * modes can be tried out of the box (never evaluated: `eval` takes `EMBEDDED_TRACES`).
 */
import code_11 from "../../data/proactivebench/code_11.json" with { type: "json" };
import code_12 from "../../data/proactivebench/code_12.json" with { type: "json" };
import code_13 from "../../data/proactivebench/code_13.json" with { type: "json" };
import code_14 from "../../data/proactivebench/code_14.json" with { type: "json" };
import code_15 from "../../data/proactivebench/code_15.json" with { type: "json" };
import code_16 from "../../data/proactivebench/code_16.json" with { type: "json" };
import writing_11 from "../../data/proactivebench/writing_11.json" with { type: "json" };
import writing_12 from "../../data/proactivebench/writing_12.json" with { type: "json" };
import writing_13 from "../../data/proactivebench/writing_13.json" with { type: "json" };
import writing_14 from "../../data/proactivebench/writing_14.json" with { type: "json" };
import writing_15 from "../../data/proactivebench/writing_15.json" with { type: "json" };
import writing_16 from "../../data/proactivebench/writing_16.json" with { type: "json" };
import empty_code_11 from "../../data/help_mode/empty_code_11.json" with { type: "json" };

/** Trace name (file name without `.json`) → parsed JSON, in name order. */
export const EMBEDDED_TRACES: ReadonlyArray<readonly [string, unknown]> = [
  ["code_11", code_11],
  ["code_12", code_12],
  ["code_13", code_13],
  ["code_14", code_14],
  ["code_15", code_15],
  ["code_16", code_16],
  ["writing_11", writing_11],
  ["writing_12", writing_12],
  ["writing_13", writing_13],
  ["writing_14", writing_14],
  ["writing_15", writing_15],
  ["writing_16", writing_16],
];

/**
 * Help-mode traces (`empty_*`: asked "does the user need help?" at the checkpoints):
 * `empty_code_11` is ProactiveBench's `code_11` with every `candidate_task` emptied
 * (`data/help_mode/`).
 */
export const EMBEDDED_HELP_TRACES: ReadonlyArray<readonly [string, unknown]> = [
  ["empty_code_11", empty_code_11],
];
