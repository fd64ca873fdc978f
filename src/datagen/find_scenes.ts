/**
 * The scenes of a `proactive datagen` run: every scene configuration of a folder (each
 * `*.yaml` / `*.yml` file holding one configuration, whatever its name, sorted by name), or
 * the scenes of `--scene-file` — a scene list (each valid entry, named by its index) or a
 * file holding one configuration (the reference's `gym/example.yaml`). Each scene's log is
 * the file name of its `eventSink.out_file` (the reference writes paths such as
 * `dataset/agent_data/scene_3.jsonl`) inside the output folder — never a path outside it;
 * without one, `<configuration name>.jsonl`. In a folder, a YAML file that holds a scene
 * list or a mapping that is not a scene (no `environment` and `user`) is skipped with a
 * warning; a configuration that cannot be read (not UTF-8, invalid, a folder named
 * `x.yaml`) fails that scene only, with the reason.
 */
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from "node:path";
import { describeError, inputError } from "../cli/errors.ts";
import {
  droppedAgentOps,
  logFileNameOf,
  parseSceneConfig,
  parseSceneList,
  parseYamlText,
  type SceneConfig,
  sceneConfigOf,
} from "../formats/scene.ts";
import type { SceneJob } from "../gym/gym_types.ts";
import { listInputFolder } from "../store/input_folder.ts";
import { readInputText } from "../store/read_input.ts";

export interface SceneInput {
  /** A folder of `scene_*.yaml` configurations (used when `sceneFile` is absent). */
  scenesDir: string;
  /** A scene list (YAML or JSON). */
  sceneFile?: string;
  /** Where the logs go (default: the configurations' folder, or the list's). */
  outDir?: string;
}

/** One scene found: a job to run, or why its configuration cannot be used. */
export type FoundScene =
  | { name: string; source: string; job: SceneJob; error?: undefined }
  | { name: string; source: string; job?: undefined; error: string };

export interface FoundScenes {
  outDir: string;
  scenes: FoundScene[];
  /** Scene-list entries dropped (each names the entry and why). */
  warnings: string[];
}

const CONFIG_FILE = /\.ya?ml$/i;

export async function findScenes(input: SceneInput): Promise<FoundScenes> {
  if (input.sceneFile !== undefined) return await scenesOfList(input.sceneFile, input.outDir);
  return await scenesOfFolder(input.scenesDir, input.outDir);
}

/** A mapping that is meant as a scene configuration (it has `environment` or `user`). */
function looksLikeScene(value: unknown): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value) &&
    ("environment" in value || "user" in value);
}

async function scenesOfFolder(dir: string, outDirFlag: string | undefined): Promise<FoundScenes> {
  const folder = listInputFolder(dir, (name) => CONFIG_FILE.test(name) && !name.startsWith("."), {
    what: "scenes folder",
  });
  // An entry that is not a file is read like the others: reading it fails that scene.
  const names = [...folder.files, ...folder.notFiles.map((entry) => entry.name)];
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const outDir = outDirFlag ?? dir;
  const logs = new Map<string, string>();
  const seen = new Map<string, string>();
  const scenes: FoundScene[] = [];
  const warnings: string[] = [];
  for (const file of names) {
    const source = join(dir, file);
    const name = file.slice(0, -extname(file).length);
    try {
      const text = await readInputText(source, { what: "scene configuration" });
      const value = parseYamlText(text, source);
      if (!looksLikeScene(value)) {
        warnings.push(
          Array.isArray(value)
            ? `Skipped "${source}": it holds a scene list; play it with --scene-file`
            : `Skipped "${source}": not a scene configuration (no environment and user)`,
        );
        continue;
      }
      const config = parseSceneConfig(value, source);
      warnings.push(...agentOpsWarnings(value, source));
      const logPath = confinedLogPath(outDir, logFileNameOf(config, `${name}.jsonl`), source);
      const sameLog = logs.get(resolve(logPath));
      if (sameLog !== undefined) {
        throw inputError(`"${source}" writes the same log "${logPath}" as "${sameLog}"`);
      }
      const sameName = seen.get(name);
      if (sameName !== undefined) {
        throw inputError(`"${source}" has the same scene name "${name}" as "${sameName}"`);
      }
      logs.set(resolve(logPath), source);
      seen.set(name, source);
      scenes.push({ name, source, job: { name, config, logPath } });
    } catch (error) {
      scenes.push({ name, source, error: describeError(error, source) });
    }
  }
  if (scenes.length === 0) {
    throw inputError(
      `"${dir}" holds no scene configuration (*.yaml); write some with ` +
        `'proactive scenes' or pass --scene-file` +
        (warnings.length > 0 ? ` (${warnings[0]})` : ""),
    );
  }
  return { outDir, scenes, warnings };
}

function agentOpsWarnings(scene: unknown, source: string): string[] {
  return droppedAgentOps(scene).map((index) =>
    `"${source}": environment.agent_ops entry ${index} is neither text nor an object: dropped`
  );
}

/** A `--scene-file` holding one configuration (a mapping): one scene named after it. */
function singleConfig(file: string, value: unknown, outDir: string): FoundScenes {
  const name = basename(file).replace(/\.(ya?ml|json)$/i, "");
  const config: SceneConfig = parseSceneConfig(value, file);
  const logPath = confinedLogPath(outDir, logFileNameOf(config, `${name}.jsonl`), file);
  return {
    outDir,
    scenes: [{ name, source: file, job: { name, config, logPath } }],
    warnings: agentOpsWarnings(value, file),
  };
}

async function scenesOfList(file: string, outDirFlag: string | undefined): Promise<FoundScenes> {
  const text = await readInputText(file, { what: "scene list" });
  const value = parseYamlText(text, file);
  const outDirOf = () => outDirFlag ?? dirname(file);
  if (looksLikeScene(value)) return singleConfig(file, value, outDirOf());
  const list = parseSceneList(value, file);
  if (list.scenes.length === 0) {
    throw inputError(
      `The scene list "${file}" holds no valid scene` +
        (list.dropped.length > 0 ? `: ${list.dropped[0]}` : ""),
    );
  }
  const outDir = outDirOf();
  const stem = basename(file).replace(/\.(ya?ml|json)$/i, "");
  const scenes = list.scenes.map((scene, i): FoundScene => {
    const name = listSceneName(stem, list.indices[i]);
    const config = sceneConfigOf(scene, name);
    const logPath = confinedLogPath(outDir, logFileNameOf(config, `${name}.jsonl`), file);
    return { name, source: `${file} #${list.indices[i]}`, job: { name, config, logPath } };
  });
  const opsWarnings = (value as unknown[]).flatMap((entry, index) =>
    agentOpsWarnings(entry, `${file} #${index}`)
  );
  const dropped = list.dropped.map((reason) => `${reason}: entry dropped`);
  return { outDir, scenes, warnings: [...dropped, ...opsWarnings] };
}

/** `scene_<list stem>-<index>`, the index zero-padded to 3 digits (its place in the list). */
export function listSceneName(stem: string, index: number): string {
  return `scene_${stem}-${String(index).padStart(3, "0")}`;
}

/**
 * `outFile` inside `outDir`; throws when it would name a path outside it, or anything but a
 * visible `.jsonl` file (a configuration, the summary or the lease store must not be
 * overwritten by a log).
 */
export function confinedLogPath(outDir: string, outFile: string, source: string): string {
  const path = join(outDir, outFile);
  const inside = relative(resolve(outDir), resolve(path));
  if (
    inside === "" || inside === ".." || inside.startsWith("../") || isAbsolute(inside) ||
    inside.includes("/")
  ) {
    throw inputError(
      `"${source}": eventSink.out_file "${outFile}" must be a file name inside "${outDir}"`,
    );
  }
  if (!outFile.endsWith(".jsonl") || outFile.startsWith(".")) {
    throw inputError(
      `"${source}": eventSink.out_file "${outFile}" must be a .jsonl file name not starting with "."`,
    );
  }
  return path;
}
