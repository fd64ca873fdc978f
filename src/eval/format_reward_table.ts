/** The reward-model score table as text (`proactive eval reward`) and as JSON (`--json`). */
import type { EndpointLabel } from "../llm/llm_stats.ts";
import { type RewardTable, TABLE_CATEGORIES } from "./reward_table.ts";

export interface TableHeader {
  /** The test set: a path, or a description of the embedded one. */
  source: string;
  endpoint: EndpointLabel;
}

/** `83.33%`, or `n/a` when the ratio is undefined. */
export function percent(value: number | null): string {
  return value === null ? "n/a" : `${(value * 100).toFixed(2)}%`;
}

/** Replies quoted in the list of unparseable answers are cut to this length. */
const QUOTE_LENGTH = 80;

export function formatRewardTable(table: RewardTable, header: TableHeader): string {
  const { endpoint } = header;
  const rows = [
    ...TABLE_CATEGORIES.map((code) => [code, table.categories[code]] as const),
    // Correct answers over items, as the categories count them (the reference's "Average").
    ["All", {
      items: table.items,
      correct: table.correct,
      accuracy: table.items === 0 ? null : table.correct / table.items,
    }] as const,
  ];
  const { tp, fp, fn, tn } = table.confusion;
  const cell = (name: string, value: number) => `${name} ${value}`.padEnd(16);
  const lines = [
    `Reward model ${endpoint.model} (${endpoint.alias}, ${endpoint.baseUrl}), temperature 0`,
    `Test set: ${header.source} (${table.items} items)`,
    "",
    "Category  Items  Correct  Accuracy",
    ...rows.map(([name, row]) =>
      `${name.padEnd(8)}  ${String(row.items).padStart(5)}  ${String(row.correct).padStart(7)}  ${
        percent(row.accuracy).padStart(8)
      }`
    ),
    "",
    "Confusion matrix (accepted = positive):",
    `${"".padEnd(17)}${"label accepted".padEnd(16)}label rejected`,
    `${"judged accepted".padEnd(17)}${cell("TP", tp)}${cell("FP", fp).trimEnd()}`,
    `${"judged rejected".padEnd(17)}${cell("FN", fn)}${cell("TN", tn).trimEnd()}`,
    "",
    `Accuracy   ${percent(table.accuracy)}`,
    `Precision  ${percent(table.precision)}`,
    `Recall     ${percent(table.recall)}`,
    `F1         ${percent(table.f1)}`,
  ];
  lines.push("", `Unreadable answers: ${table.unparseable.length} of ${table.items}`);
  if (table.unparseable.length > 0) {
    lines.push(
      table.unreadableRule === "rejected"
        ? "  (counted as rejections in the confusion matrix and the scores from it, and as " +
          "wrong in the category accuracies, as the reference scores them; --unreadable wrong " +
          "counts them as wrong everywhere)"
        : "  (counted as wrong everywhere: --unreadable wrong)",
    );
    for (const item of table.unparseable) {
      const quote = JSON.stringify(
        item.reply.length > QUOTE_LENGTH ? `${item.reply.slice(0, QUOTE_LENGTH)}…` : item.reply,
      );
      lines.push(`  item ${item.index + 1} (line ${item.line}): ${item.error}; answer ${quote}`);
    }
  }
  return lines.join("\n") + "\n";
}
