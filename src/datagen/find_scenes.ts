/**
 * The scenes of a `proactive datagen` run: every `scene_*.yaml` configuration of a folder
 * (sorted by name), or every valid entry of a scene list (`--scene-file`, named by its
 * index). Each scene's log is its `eventSink.out_file` inside the output folder — never a
 * path outside it. A configuration that cannot be read (not UTF-8, a folder named
 * `scene_x.yaml`) fails that scene only, with the reason.
 */
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from "node:path";
import { describeError, inputError } from "../cli/errors.ts";
import {
  parseSceneConfig,
  parseSceneList,
  parseYamlText,
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

const CONFIG_FILE = /^scene_.+\.ya?ml$/;

export async function findScenes(input: SceneInput): Promise<FoundScenes> {
  if (input.sceneFile !== undefined) return await scenesOfList(input.sceneFile, input.outDir);
  return await scenesOfFolder(input.scenesDir, input.outDir);
}

async function scenesOfFolder(dir: string, outDirFlag: string | undefined): Promise<FoundScenes> {
  const folder = listInputFolder(dir, (name) => CONFIG_FILE.test(name), {
    what: "scenes folder",
  });
  // An entry that is not a file is read like the others: reading it fails that scene.
  const names = [...folder.files, ...folder.notFiles.map((entry) => entry.name)];
  if (names.length === 0) {
    throw inputError(
      `"${dir}" holds no scene configuration (scene_*.yaml); write some with ` +
        `'proactive scenes' or pass --scene-file`,
    );
  }
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const outDir = outDirFlag ?? dir;
  const logs = new Map<string, string>();
  const scenes: FoundScene[] = [];
  for (const file of names) {
    const source = join(dir, file);
    const name = file.slice(0, -extname(file).length);
    try {
      const text = await readInputText(source, { what: "scene configuration" });
      const config = parseSceneConfig(parseYamlText(text, source), source);
      const logPath = confinedLogPath(outDir, config.eventSink.out_file, source);
      const other = logs.get(resolve(logPath));
      if (other !== undefined) {
        throw inputError(`"${source}" writes the same log "${logPath}" as "${other}"`);
      }
      logs.set(resolve(logPath), source);
      scenes.push({ name, source, job: { name, config, logPath } });
    } catch (error) {
      scenes.push({ name, source, error: describeError(error, source) });
    }
  }
  return { outDir, scenes, warnings: [] };
}

async function scenesOfList(file: string, outDirFlag: string | undefined): Promise<FoundScenes> {
  const text = await readInputText(file, { what: "scene list" });
  const list = parseSceneList(parseYamlText(text, file), file);
  if (list.scenes.length === 0) {
    throw inputError(
      `The scene list "${file}" holds no valid scene` +
        (list.dropped.length > 0 ? `: ${list.dropped[0]}` : ""),
    );
  }
  const outDir = outDirFlag ?? dirname(file);
  const stem = basename(file).replace(/\.(ya?ml|json)$/i, "");
  const scenes = list.scenes.map((scene, i): FoundScene => {
    const name = listSceneName(stem, list.indices[i]);
    const config = sceneConfigOf(scene, name);
    const logPath = confinedLogPath(outDir, config.eventSink.out_file, file);
    return { name, source: `${file} #${list.indices[i]}`, job: { name, config, logPath } };
  });
  return { outDir, scenes, warnings: list.dropped };
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
