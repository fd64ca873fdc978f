/** The outputs of `proactive eval score`: the screen table, the reference's CSV, JSON. */
import { METRIC_NAMES, type ModelScore, type ScoreResult } from "./score_model_folders.ts";

/** The reference's CSV header (pandas `to_csv` of its result rows). */
export const CSV_COLUMNS = ["Category", ...METRIC_NAMES, "Total Events"] as const;

/**
 * A float as Python's `repr` writes it (which pandas' `to_csv` uses): shortest round-trip
 * digits, "0.0" and "1.0" for whole numbers, exponent form below 1e-4 ("5e-05").
 */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const abs = Math.abs(x);
  if (x !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    const [mantissa, exponent] = x.toExponential().split("e");
    const sign = exponent.startsWith("-") ? "-" : "+";
    const digits = exponent.replace(/^[+-]/, "").padStart(2, "0");
    return `${mantissa}e${sign}${digits}`;
  }
  const text = String(x);
  return Number.isInteger(x) ? `${text}.0` : text;
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * One model's CSV with the reference's columns and number formatting. Like the reference,
 * only scored splits are rows (an incomplete split without --allow-partial is left out).
 */
export function formatScoreCsv(model: ModelScore): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const split of model.splits) {
    if (!split.metrics) continue;
    const m = split.metrics;
    lines.push(
      [
        csvField(split.split),
        ...METRIC_NAMES.map((name) => pythonFloat(m[name])),
        String(m["Total Events"]),
      ].join(","),
    );
  }
  return lines.join("\n") + "\n";
}

const TABLE_HEAD = [
  "Model",
  "Split",
  ...METRIC_NAMES,
  "Events",
  "TP",
  "FP",
  "TN",
  "FN",
  "Failed",
  "Unjudged",
];

/**
 * The comparison table on screen: one row per model × split, ratios to 4 decimals, the
 * confusion counts, and failed/unjudged turns. Incomplete splits name their missing files.
 */
export function formatScoreTable(result: ScoreResult): string {
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const model of result.models) {
    for (const split of model.splits) {
      const t = split.tally;
      const c = t.counts;
      const metrics = split.metrics
        ? METRIC_NAMES.map((name) => split.metrics![name].toFixed(4))
        : METRIC_NAMES.map((_, i) => (i === 0 ? "incomplete" : "-"));
      rows.push([
        model.model,
        split.split + (split.complete ? "" : "*"),
        ...metrics,
        String(t.totalEvents),
        ...[c.tp, c.fp, c.tn, c.fn, t.failedTurns, t.unjudgedTurns].map(String),
      ]);
      if (!split.complete) {
        notes.push(
          `* ${model.model} / ${split.split}: ${
            split.metrics ? "partial (--allow-partial)" : "incomplete, not scored"
          }; missing in "${model.dir}": ${split.missing.join(", ")}`,
        );
      }
      if (t.partlyJudgedTurns > 0) {
        notes.push(
          `  ${model.model} / ${split.split}: ${t.partlyJudgedTurns} turn(s) have fewer judgements than proposals (scored pairwise)`,
        );
      }
    }
  }
  const all = [TABLE_HEAD, ...rows];
  const widths = TABLE_HEAD.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ")
      .trimEnd();
  const text = [line(TABLE_HEAD), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
  const rule = result.nullStrings === "null"
    ? `"null", "None" and "" count as null proposals`
    : `"null", "None" and "" count as tasks (--null-strings task, the reference's rule)`;
  return [...text, "", ...notes, ...(notes.length ? [""] : []), rule, ""].join("\n");
}

/** The whole result as plain JSON (counts, metrics, missing files per model and split). */
export function scoreResultJson(result: ScoreResult, csvFiles: Record<string, string> = {}) {
  return {
    nullStrings: result.nullStrings,
    allowPartial: result.allowPartial,
    models: result.models.map((m) => ({
      model: m.model,
      folder: m.folder,
      dir: m.dir,
      ...(csvFiles[m.model] ? { csv: csvFiles[m.model] } : {}),
      splits: m.splits.map((s) => ({
        split: s.split,
        ...(s.theme !== undefined ? { theme: s.theme } : {}),
        complete: s.complete,
        missing: s.missing,
        metrics: s.metrics,
        counts: s.tally.counts,
        totalEvents: s.tally.totalEvents,
        failedTurns: s.tally.failedTurns,
        unjudgedTurns: s.tally.unjudgedTurns,
        partlyJudgedTurns: s.tally.partlyJudgedTurns,
      })),
    })),
  };
}
