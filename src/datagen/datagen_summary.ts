/**
 * What `proactive datagen` reports: one entry per scene (what happened to it, its counts,
 * why it failed), the totals, and the LLM accounting — printed at the end and written as
 * `datagen_summary.json` beside the logs.
 */
import type { LogFormat } from "../gym/log_writer.ts";
import type { PromptSetLabel } from "../prompts/prompt_set.ts";
import { formatCount } from "../cli/format_count.ts";
import type { SceneRunOptions, SceneSummary } from "../gym/gym_types.ts";
import type { LlmStatsJson } from "../llm/llm_stats.ts";
import { addPrefixCounts, type PrefixCounts, reusedShare } from "../gym/prefix_reuse.ts";
import { formatDuration } from "../llm/progress.ts";

/**
 * - `done`: played to its end record in this run;
 * - `complete`: skipped, its log was already complete;
 * - `taken`: skipped, another run holds its lease;
 * - `failed`: its configuration or its run failed (`reason`); a partial log stays;
 * - `interrupted`: stopped by Ctrl-C / SIGTERM (or never started because of it).
 */
export type SceneStatus = "done" | "complete" | "taken" | "failed" | "interrupted";

export const SUMMARY_FILE = "datagen_summary.json";

export interface SceneReport {
  name: string;
  /** The log's path. */
  log: string;
  status: SceneStatus;
  reason?: string;
  /** The scene's own counts (scenes played in this run; for a failed one, before it failed). */
  summary?: SceneSummary;
  durationMs?: number;
}

export interface DatagenSummary {
  command: "datagen";
  /** The scenes' folder or list, or (a shared run, `--db`) the store they came from. */
  input: { scenesDir: string } | { sceneFile: string } | { db: string };
  outDir: string;
  kv: string;
  /** This run, as it appears in leases held by it. */
  owner: string;
  /** The prompt set the requests were built from. */
  promptSet: PromptSetLabel;
  settings: SceneRunOptions & {
    force: boolean;
    limit: number | null;
    concurrency: number;
    /** The encoding of the logs written (`--log-format`). */
    logFormat: LogFormat;
  };
  counts: Record<SceneStatus, number> & { scenes: number };
  /** Sums over the scenes played in this run, failed ones included. */
  totals: {
    events: number;
    proposals: number;
    accepted: number;
    requests: number;
    tokens: number;
    prompt_tokens: number;
    completion_tokens: number;
  };
  /**
   * What a generated event costs: prompt and completion tokens per event (over the scenes
   * played in this run), and per role the share of prompt characters that repeat the start
   * of an earlier request of the same scene (what a server's prefix cache can reuse).
   */
  cost: {
    per_event: { prompt_tokens: number; completion_tokens: number };
    prefix_reuse: Record<string, PrefixCounts & { share: number }>;
    /** Over every role. */
    prefix_reuse_share: number;
  };
  scenes: SceneReport[];
  /** Scene-list entries dropped. */
  dropped: string[];
  /** A worker of a shared run (`--db`): its calls to the store and the time they took. */
  coordination?: { calls: number; ms: number };
  llm: LlmStatsJson;
  startedAt: string;
  durationMs: number;
}

export function countScenes(scenes: readonly SceneReport[]): DatagenSummary["counts"] {
  const counts = {
    scenes: scenes.length,
    done: 0,
    complete: 0,
    taken: 0,
    failed: 0,
    interrupted: 0,
  };
  for (const scene of scenes) counts[scene.status]++;
  return counts;
}

export function sumScenes(scenes: readonly SceneReport[]): DatagenSummary["totals"] {
  const totals = {
    events: 0,
    proposals: 0,
    accepted: 0,
    requests: 0,
    tokens: 0,
    prompt_tokens: 0,
    completion_tokens: 0,
  };
  for (const { summary } of scenes) {
    if (!summary) continue;
    for (const key of Object.keys(totals) as (keyof typeof totals)[]) {
      totals[key] += summary[key] ?? 0;
    }
  }
  return totals;
}

/** The cost of an event over `scenes` (see `DatagenSummary.cost`). */
export function costOf(scenes: readonly SceneReport[]): DatagenSummary["cost"] {
  const totals = sumScenes(scenes);
  const byRole: Record<string, PrefixCounts> = {};
  for (const { summary } of scenes) {
    if (summary?.prefix_reuse) addPrefixCounts(byRole, summary.prefix_reuse);
  }
  const all: PrefixCounts = { requests: 0, prompt_chars: 0, reused_chars: 0 };
  for (const counts of Object.values(byRole)) {
    all.requests += counts.requests;
    all.prompt_chars += counts.prompt_chars;
    all.reused_chars += counts.reused_chars;
  }
  const per = (n: number) => totals.events === 0 ? 0 : Math.round(n / totals.events);
  return {
    per_event: {
      prompt_tokens: per(totals.prompt_tokens),
      completion_tokens: per(totals.completion_tokens),
    },
    prefix_reuse: Object.fromEntries(
      Object.entries(byRole).map(([role, c]) => [role, { ...c, share: reusedShare(c) }]),
    ),
    prefix_reuse_share: reusedShare(all),
  };
}

/** One line for a scene, e.g. `scene_a  done  12 events, 2 proposals, 30 requests, …`. */
export function formatSceneLine(scene: SceneReport, width = scene.name.length): string {
  const head = `  ${scene.name.padEnd(width)}  ${scene.status.padEnd(11)}`;
  const s = scene.summary;
  const time = scene.durationMs === undefined ? "" : ` in ${formatDuration(scene.durationMs)}`;
  if (scene.status === "done" && s) {
    return `${head}  ${s.events} events, ${s.proposals} proposals (${s.accepted} accepted), ` +
      `${s.requests} requests, ${formatCount(s.tokens)} tokens${time}`;
  }
  const before = scene.status === "failed" && s
    ? ` (after ${s.requests} requests, ${formatCount(s.tokens)} tokens)`
    : "";
  return scene.reason ? `${head}  ${scene.reason}${before}` : head.trimEnd();
}

/** The text printed at the end of a run. */
export function formatDatagenReport(summary: DatagenSummary, stats: string): string {
  const width = Math.max(0, ...summary.scenes.map((s) => s.name.length));
  const c = summary.counts;
  const t = summary.totals;
  const parts = [
    `${c.scenes} scene(s)`,
    `${c.done} done`,
    `${c.complete} already complete`,
    `${c.taken} taken by another run`,
    `${c.failed} failed`,
  ];
  if (c.interrupted > 0) parts.push(`${c.interrupted} interrupted`);
  return [
    `datagen: ${parts.join(", ")} in ${formatDuration(summary.durationMs)}`,
    ...summary.scenes.map((scene) => formatSceneLine(scene, width)),
    `Played: ${t.events} events, ${t.proposals} proposals (${t.accepted} accepted), ` +
    `${t.requests} requests, ${formatCount(t.tokens)} tokens`,
    `Per event: ${formatCount(summary.cost.per_event.prompt_tokens)} prompt + ` +
    `${formatCount(summary.cost.per_event.completion_tokens)} completion tokens; prompt ` +
    `characters repeating an earlier request's start: ${
      Math.round(summary.cost.prefix_reuse_share * 100)
    }% (${
      Object.entries(summary.cost.prefix_reuse).map(([role, c]) =>
        `${role} ${Math.round(c.share * 100)}%`
      ).join(", ")
    })`,
    `Logs in "${summary.outDir}"; summary in "${summary.outDir}/${SUMMARY_FILE}"`,
    stats.trimEnd(),
    "",
  ].join("\n");
}
