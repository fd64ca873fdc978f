/**
 * What `proactive scenes` writes:
 * - the scene list (`--out`): every scene of the run as one YAML list, in seed order
 *   (kinds as in the seed file, tasks in order, each answer's scenes in answer order),
 *   whatever order the conversations finish in; replaced atomically;
 * - one configuration per scene in `--scenes-dir`: the scene plus `user.theme`,
 *   `agent: {}` and `eventSink.out_file`, named by `sceneName` (each file atomically).
 *
 * When a seed task's new answer has succeeded, its configurations from earlier runs that
 * the answer no longer has (it now gives fewer scenes) are removed; the files of other
 * seed tasks, and those of a seed task that failed this time, are left as they are.
 */
import { readOptionalInputText } from "../store/read_input.ts";
import { join } from "node:path";
import { stringify } from "yaml";
import { type Scene, type SceneConfig, sceneConfigOf } from "../formats/scene.ts";
import { writeFileAtomic } from "../store/atomic_write.ts";
import { isSeedTaskConfig, sceneName } from "./scene_names.ts";
import type { SeedTask } from "./seed_file.ts";

/** YAML text of `value` as the outputs write it (no line folding, no anchors). */
export function toYamlText(value: unknown): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** The scene list text: the scenes of the defined slots, in slot (seed) order. */
export function sceneListText(slots: readonly (readonly Scene[] | undefined)[]): string {
  const scenes = slots.flatMap((slot) => slot ?? []);
  return toYamlText(scenes);
}

export interface SceneConfigFile {
  /** `scene_<kind>-<task>-<index>`; the file is `<name>.yaml`, the log `<name>.jsonl`. */
  name: string;
  config: SceneConfig;
}

/** The configurations of one seed task's scenes (`indices`: each scene's answer index). */
export function sceneConfigFiles(
  seed: Pick<SeedTask, "kind" | "taskIndex">,
  scenes: readonly Scene[],
  indices: readonly number[],
): SceneConfigFile[] {
  return scenes.map((scene, i) => {
    const name = sceneName(seed.kind, seed.taskIndex, indices[i]);
    return { name, config: sceneConfigOf(scene, name) };
  });
}

export interface ConfigWriteResult {
  /** Files written (new or changed). */
  written: string[];
  /** Files that already held the same text. */
  unchanged: string[];
  /** Stale files of this seed task removed. */
  removed: string[];
}

/**
 * Writes one seed task's configurations into `dir` (created if missing) and removes its
 * stale ones. A file that already holds the same text is not rewritten.
 */
export async function writeSeedTaskConfigs(
  dir: string,
  seed: Pick<SeedTask, "kind" | "taskIndex">,
  files: readonly SceneConfigFile[],
): Promise<ConfigWriteResult> {
  await Deno.mkdir(dir, { recursive: true });
  const result: ConfigWriteResult = { written: [], unchanged: [], removed: [] };
  const names = new Set(files.map((file) => `${file.name}.yaml`));
  for (const file of files) {
    const path = join(dir, `${file.name}.yaml`);
    const text = toYamlText(file.config);
    if (await readTextIfFile(path) === text) {
      result.unchanged.push(path);
      continue;
    }
    await writeFileAtomic(path, text);
    result.written.push(path);
  }
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || names.has(entry.name)) continue;
    if (!isSeedTaskConfig(entry.name, seed.kind, seed.taskIndex)) continue;
    const path = join(dir, entry.name);
    await Deno.remove(path);
    result.removed.push(path);
  }
  result.removed.sort();
  return result;
}

/** This command's earlier output at `path`, if any (a link there is refused, not read). */
function readTextIfFile(path: string): Promise<string | undefined> {
  return readOptionalInputText(path, { what: "scene configuration", noFollow: true });
}
