/**
 * The ProactiveBench `splits.json` (ProactiveAgent project, Apache-2.0): split name →
 * `{theme, files}` over the embedded test traces, embedded so the compiled binary has it.
 */
import splits from "../../data/proactivebench/splits.json" with { type: "json" };

/** The parsed ProactiveBench `splits.json`, as shipped. */
export const EMBEDDED_SPLITS: unknown = splits;
