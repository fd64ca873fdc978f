/**
 * Names of the scene configurations `proactive scenes` writes: derived from the scene
 * kind, the seed task's index in its kind (0-based, at least 3 digits) and the scene's
 * index in the model's answer list (0-based, counting dropped entries too), e.g.
 * `scene_codingassistant-007_7002` (task 7, scene 2). The part after the last `_` is one
 * integer, task × 1000 + scene, because the reference's `dataset/run_datagen.py` sorts
 * configurations by `int(name.split("_")[-1].split(".")[0])`: it accepts these names and
 * plays them in task, then scene order. Never from completion order: a re-run, a failed
 * seed or a seed that now gives fewer scenes never renames another seed's scenes.
 */

/** The kind as it appears in file names: letters, digits and `_` only (at most 64). */
export function safeKindName(kind: string): string {
  const safe = kind.normalize("NFKD").replace(/[^A-Za-z0-9_]+/g, "_").replace(/^_+|_+$/g, "")
    .slice(0, 64);
  return safe === "" ? "kind" : safe;
}

/** `scene_<kind>-<task index, 3 digits>` : the prefix of every scene of one seed task. */
export function seedTaskStem(kind: string, taskIndex: number): string {
  return `scene_${safeKindName(kind)}-${String(taskIndex).padStart(3, "0")}`;
}

/** The name of scene `sceneIndex` of the answer for task `taskIndex` of `kind`. */
export function sceneName(kind: string, taskIndex: number, sceneIndex: number): string {
  return `${seedTaskStem(kind, taskIndex)}_${taskIndex * 1000 + sceneIndex}`;
}

/**
 * Whether `fileName` is a scene configuration of that seed task (`<stem>_<n>.yaml`);
 * the match is exact, so the files of task 1 never match those of task 10 or of a kind
 * whose name starts the same.
 */
export function isSeedTaskConfig(fileName: string, kind: string, taskIndex: number): boolean {
  const stem = seedTaskStem(kind, taskIndex);
  return fileName.startsWith(`${stem}_`) && /^\d+\.yaml$/.test(fileName.slice(stem.length + 1));
}

/**
 * The kinds whose file names would collide (`"a b"` and `"a_b"` both give `a_b`), as
 * `[first, second]` pairs; empty when every kind has its own name.
 */
export function collidingKinds(kinds: readonly string[]): [string, string][] {
  const seen = new Map<string, string>();
  const pairs: [string, string][] = [];
  for (const kind of kinds) {
    const safe = safeKindName(kind);
    const earlier = seen.get(safe);
    if (earlier !== undefined) pairs.push([earlier, kind]);
    else seen.set(safe, kind);
  }
  return pairs;
}
