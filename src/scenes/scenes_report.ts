/** The text `proactive scenes` prints at the end: counts, where the files went, failures. */
import { formatCount } from "../cli/format_count.ts";
import type { SeedFailure } from "./build_scenes.ts";
import type { ScenesSummary } from "./run_scenes.ts";

const n = formatCount;

export function formatScenesReport(
  summary: ScenesSummary,
  failures: readonly SeedFailure[],
  stats: string,
): string {
  const c = summary.counts;
  const lines = [
    `Asked ${n(c.asked)} of ${n(c.seedTasks)} seed task(s) from "${summary.seeds}" ` +
    `(prompts ${summary.promptVersion}${
      summary.promptSet
        ? `, prompt set ${summary.promptSet.name} ${summary.promptSet.hash.slice(0, 12)}`
        : ""
    }, seed ${summary.seed}): ` +
    `${n(c.succeeded)} succeeded, ${n(c.failed)} failed.`,
  ];
  if (c.succeeded > 0) {
    lines.push(
      `Wrote ${n(c.scenes)} scene(s) to "${summary.out}".`,
      `Configurations in "${summary.scenesDir}": ${n(c.configsWritten)} written, ` +
        `${n(c.configsUnchanged)} unchanged, ${n(c.configsRemoved)} stale removed.`,
    );
  } else {
    lines.push(`No scene was produced: "${summary.out}" was left as it was.`);
  }
  if (c.dropped > 0 || c.repairs > 0) {
    lines.push(
      `Dropped ${n(c.dropped)} invalid scene(s); re-asked ${n(c.repairs)} answer(s) ` +
        `that held no valid scene.`,
    );
  }
  if (failures.length > 0) {
    lines.push(`Failed seed tasks (the scenes of the others were written):`);
    for (const f of failures) lines.push(`  ${f.kind} task ${f.taskIndex}: ${f.reason}`);
  }
  return lines.join("\n") + "\n" + stats;
}
