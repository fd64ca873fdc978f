import { z } from "zod";
import { parse as parseYaml } from "yaml";
import { inputError } from "../cli/errors.ts";
import { jsonPath, validateAs } from "./trace.ts";

/**
 * A gym *scene*, as the reference project's scene generator writes it (a YAML list of
 * these) and as `proactive scenes` writes it:
 *
 * ```yaml
 * - environment:
 *     theme: Data Analysis in Financial Services
 *     description: Daniel, a data analyst, is …
 *     entities: [Database Management System, Dual Monitor Setup, …]
 *     agent_ops: [terminal_run(command), file_open(file_path), …]
 *     events_example: [The user opens SQL Server Management Studio …, …]
 *   user:
 *     goal: Write an SQL query to calculate …
 *     description: Daniel Martinez is a 29-year-old data analyst …
 * ```
 *
 * Model-written lists are untrusted: entries of `entities` and `events_example` that are
 * not text are dropped; `agent_ops` keeps text and objects (the reference's scenes hold
 * some as `{action, description, parameters, …}`), and `droppedAgentOps` names the rest. A
 * scene needs at least one example event.
 */
const textList = z.array(z.unknown()).transform((items) =>
  items.filter((item): item is string => typeof item === "string" && item.trim() !== "")
    .map((item) => item.trim())
);

const requiredText = z.string().trim().min(1, "expected non-empty text");

/** An operation the agent may run: a text, or an object kept as it is. */
export type AgentOperation = string | Record<string, unknown>;

function isOperation(item: unknown): boolean {
  if (typeof item === "string") return item.trim() !== "";
  return item !== null && typeof item === "object" && !Array.isArray(item);
}

const operationList = z.array(z.unknown()).transform((items): AgentOperation[] =>
  items.filter(isOperation).map((item) =>
    typeof item === "string" ? item.trim() : item as Record<string, unknown>
  )
);

/** The indices of a raw scene's `agent_ops` entries that are neither text nor an object. */
export function droppedAgentOps(scene: unknown): number[] {
  const ops = (scene as { environment?: { agent_ops?: unknown } } | null)?.environment?.agent_ops;
  if (!Array.isArray(ops)) return [];
  return ops.flatMap((item, index) => isOperation(item) ? [] : [index]);
}

export const sceneSchema = z.object({
  environment: z.object({
    theme: requiredText,
    description: requiredText,
    entities: textList,
    agent_ops: operationList,
    events_example: textList.refine((events) => events.length > 0, {
      message: "expected at least one example event",
    }),
  }).passthrough(),
  user: z.object({
    goal: requiredText,
    description: requiredText,
  }).passthrough(),
}).passthrough();

export type Scene = z.infer<typeof sceneSchema>;

/**
 * One scene configuration file: the scene, plus `user.theme` (the environment's theme),
 * `agent: {}`, `eventSink.out_file` (where the log goes: only its file name counts, inside
 * the run's output folder; the reference writes paths such as
 * `dataset/agent_data/scene_3.jsonl`) and optionally the reference's `user.adapt_times` and
 * `user.action_times` (rounds of adaptation and user activities for this scene).
 */
export const sceneConfigSchema = sceneSchema.extend({
  user: z.object({
    goal: requiredText,
    description: requiredText,
    theme: z.string().optional(),
    adapt_times: z.number().int().min(0).max(100).optional(),
    action_times: z.number().int().min(0).max(1000).optional(),
  }).passthrough(),
  agent: z.record(z.string(), z.unknown()).nullish(),
  eventSink: z.object({
    out_file: z.string().trim().min(1).optional(),
  }).passthrough().optional(),
});

/** The log file name of a configuration: its `eventSink.out_file`'s last part, or `fallback`. */
export function logFileNameOf(config: SceneConfig, fallback: string): string {
  const outFile = config.eventSink?.out_file;
  return outFile === undefined ? fallback : outFile.split(/[\\/]/).at(-1)!;
}

export type SceneConfig = z.infer<typeof sceneConfigSchema>;

/** The configuration of `scene` whose log is `<name>.jsonl`. */
export function sceneConfigOf(scene: Scene, name: string): SceneConfig {
  return {
    ...scene,
    user: { ...scene.user, theme: scene.environment.theme },
    agent: {},
    eventSink: { out_file: `${name}.jsonl` },
  };
}

/** A scene list and why entries were dropped (each reason names the entry). */
export interface SceneList {
  scenes: Scene[];
  /** Index in the input list of each kept scene. */
  indices: number[];
  /** Entries dropped: not an object, or missing a required field. */
  dropped: string[];
}

/**
 * Reads a parsed scene list leniently: entries that are not objects (a trailing
 * `"and more ..."`) are dropped silently, scenes missing a required field are dropped with
 * a reason. The list itself must be an array.
 */
export function parseSceneList(value: unknown, source: string): SceneList {
  if (!Array.isArray(value)) {
    throw inputError(`Invalid scene list "${source}": expected a list of scenes`);
  }
  const list: SceneList = { scenes: [], indices: [], dropped: [] };
  value.forEach((entry, index) => {
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) return;
    const result = sceneSchema.safeParse(entry);
    if (result.success) {
      list.scenes.push(result.data);
      list.indices.push(index);
    } else {
      const issue = result.error.issues[0];
      list.dropped.push(
        `Scene ${index} of "${source}" at ${jsonPath([index, ...issue.path])}: ${issue.message}`,
      );
    }
  });
  return list;
}

/** Parses YAML text; errors name the source and the line. */
export function parseYamlText(text: string, source: string): unknown {
  try {
    return parseYaml(text, { maxAliasCount: 1000 });
  } catch (error) {
    throw inputError(
      `Cannot parse "${source}" as YAML: ${(error as Error).message.split("\n")[0]}`,
    );
  }
}

/** Validates one scene configuration; errors name the file and the path. */
export function parseSceneConfig(value: unknown, source: string): SceneConfig {
  return validateAs(sceneConfigSchema, value, "scene configuration", source);
}
