/**
 * The `--html` report of `proactive eval score`: one self-contained page (inline CSS and
 * SVG, no script, no request) with a bar chart per metric across models and splits, the
 * confusion counts and the failed or unjudged turns. Every string is escaped.
 */
import { METRIC_NAMES, type ScoreResult } from "./score_model_folders.ts";

const COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#9c755f"];

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}

function color(index: number): string {
  return COLORS[index % COLORS.length];
}

function chart(result: ScoreResult, metric: (typeof METRIC_NAMES)[number]): string {
  const splits = result.models[0]?.splits.map((s) => s.split) ?? [];
  const models = result.models;
  const bar = 18, gap = 4, groupGap = 24, left = 40, top = 10, height = 160;
  const groupWidth = models.length * (bar + gap) - gap;
  const width = left + splits.length * (groupWidth + groupGap) + 10;
  const parts: string[] = [];
  for (let v = 0; v <= 4; v++) {
    const y = top + height - (v / 4) * height;
    parts.push(
      `<line x1="${left}" x2="${width - 10}" y1="${y}" y2="${y}" class="grid"/>` +
        `<text x="${left - 4}" y="${y + 4}" class="axis" text-anchor="end">${
          (v / 4).toFixed(2)
        }</text>`,
    );
  }
  splits.forEach((split, si) => {
    const x0 = left + groupGap / 2 + si * (groupWidth + groupGap);
    models.forEach((model, mi) => {
      const score = model.splits.find((s) => s.split === split);
      const value = score?.metrics?.[metric];
      const x = x0 + mi * (bar + gap);
      const label = `${model.model} / ${split}: ${
        value === undefined ? "not scored (incomplete)" : value.toFixed(4)
      }`;
      if (value === undefined) {
        parts.push(
          `<text x="${x + bar / 2}" y="${top + height - 4}" class="na" text-anchor="middle">` +
            `n/a<title>${escapeHtml(label)}</title></text>`,
        );
        return;
      }
      const h = Math.max(0, Math.min(1, value)) * height;
      parts.push(
        `<rect class="bar" data-model="${escapeHtml(model.model)}" data-split="${
          escapeHtml(split)
        }" data-value="${value}" x="${x}" y="${(top + height - h).toFixed(2)}" width="${bar}" ` +
          `height="${h.toFixed(2)}" fill="${color(mi)}"><title>${escapeHtml(label)}</title></rect>`,
      );
    });
    parts.push(
      `<text x="${x0 + groupWidth / 2}" y="${top + height + 16}" class="axis" ` +
        `text-anchor="middle">${escapeHtml(split)}</text>`,
    );
  });
  return `<figure class="chart" data-metric="${escapeHtml(metric)}"><figcaption>${
    escapeHtml(metric)
  }</figcaption><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${
    escapeHtml(metric)
  } per model and split" width="${width}" height="${top + height + 26}" viewBox="0 0 ${width} ${
    top + height + 26
  }">${parts.join("")}</svg></figure>`;
}

function countsTable(result: ScoreResult): string {
  const head = [
    "Model",
    "Split",
    "TP",
    "FP",
    "TN",
    "FN",
    "Tasks proposed",
    "Tasks accepted",
    "Total events",
    "Failed turns",
    "Unjudged turns",
    "Status",
  ];
  const rows = result.models.flatMap((m) =>
    m.splits.map((s) => {
      const c = s.tally.counts;
      const status = s.complete
        ? "complete"
        : `${s.metrics ? "partial" : "incomplete"}: missing ${s.missing.join(", ")}`;
      const cells = [
        m.model,
        s.split,
        ...[c.tp, c.fp, c.tn, c.fn, c.proposed, c.accepted].map(String),
        String(s.tally.totalEvents),
        String(s.tally.failedTurns),
        String(s.tally.unjudgedTurns),
        status,
      ];
      return `<tr>${cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join("")}</tr>`;
    })
  );
  return `<table class="counts"><thead><tr>${
    head.map((h) => `<th>${escapeHtml(h)}</th>`).join("")
  }</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

/** The whole report page. `title` defaults to a list of the models. */
export function formatScoreHtml(result: ScoreResult, title?: string): string {
  const name = title ?? `ProactiveBench scores: ${result.models.map((m) => m.model).join(", ")}`;
  const legend = result.models.map((m, i) =>
    `<li><span class="swatch" style="background:${color(i)}"></span>${escapeHtml(m.model)}</li>`
  ).join("");
  const rule = result.nullStrings === "null"
    ? `The strings "null", "None" and "" count as null proposals.`
    : `The strings "null", "None" and "" count as tasks (the reference's rule).`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline';">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(name)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
.charts{display:flex;flex-wrap:wrap;gap:1.5em}
figure{margin:0}figcaption{font-weight:600;margin-bottom:.3em}
.grid{stroke:#ddd}.axis,.na{font-size:11px;fill:#555}
.legend{list-style:none;padding:0;display:flex;gap:1.2em}
.swatch{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:middle}
table{border-collapse:collapse;margin-top:1em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
td:first-child,td:nth-child(2),td:last-child,th{text-align:left}
</style></head><body>
<h1>${escapeHtml(name)}</h1>
<p>Per split and model, over judged turns. Failed and unjudged turns are excluded and counted. ${
    escapeHtml(rule)
  }</p>
<ul class="legend">${legend}</ul>
<div class="charts">${METRIC_NAMES.map((m) => chart(result, m)).join("\n")}</div>
<h2>Confusion counts</h2>
${countsTable(result)}
</body></html>
`;
}
