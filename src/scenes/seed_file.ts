/**
 * The seed file of `proactive scenes` (`--seeds`; default: the embedded `seedtask.yaml`
 * of the ProactiveAgent project, `data/seedtask.yaml`): a mapping from scene kind to its
 * seed tasks and sample events.
 *
 * ```yaml
 * codingassistant:
 *   tasks:
 *     - Implement a binary search algorithm …
 *   sample_events:
 *     - The user starts working on a file 'CheckName.rb' …
 * ```
 *
 * Validated with zod; errors name the file and the path (`Invalid seed file "s.yaml" at
 * $.codingassistant.tasks[2]: …`). Seeds keep the file's order: kinds as written, tasks
 * as listed.
 */
import { z } from "zod";
import defaultSeedText from "../../data/seedtask.yaml" with { type: "text" };
import { inputError } from "../cli/errors.ts";
import { parseYamlText } from "../formats/scene.ts";
import { validateAs } from "../formats/trace.ts";
import { readInputText } from "../store/read_input.ts";
import { collidingKinds, safeKindName } from "./scene_names.ts";

/** How the default seeds are named in messages and reports. */
export const DEFAULT_SEEDS_SOURCE = "embedded seedtask.yaml";

/** The bytes of `data/seedtask.yaml`, embedded in the program. */
export const DEFAULT_SEED_TEXT: string = defaultSeedText;

const text = z.string().trim().min(1, "expected non-empty text");

const kindSchema = z.object({
  tasks: z.array(text).min(1, "expected at least one seed task"),
  sample_events: z.array(text).min(1, "expected at least one sample event"),
}).passthrough();

export const seedFileSchema = z.record(z.string().trim().min(1, "expected a kind name"), kindSchema)
  .refine((kinds) => Object.keys(kinds).length > 0, {
    message: "expected at least one scene kind",
  });

export type SeedFile = z.infer<typeof seedFileSchema>;

/** One (kind, task) pair: one conversation, its scenes named after `kind` and `taskIndex`. */
export interface SeedTask {
  kind: string;
  /** Index of the task among its kind's tasks (0-based). */
  taskIndex: number;
  task: string;
  /** All the kind's sample events (the shown ones are drawn from these). */
  sampleEvents: readonly string[];
}

/** Parses seed-file text; `source` names it in errors. */
export function parseSeedText(yamlText: string, source: string): SeedTask[] {
  const value = parseYamlText(yamlText, source);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw inputError(
      `Invalid seed file "${source}": expected a mapping from scene kind to ` +
        `{tasks: [...], sample_events: [...]}`,
    );
  }
  const file = validateAs(seedFileSchema, value, "seed file", source);
  const kinds = Object.keys(file);
  const collision = collidingKinds(kinds)[0];
  if (collision) {
    throw inputError(
      `Invalid seed file "${source}": the kinds "${collision[0]}" and "${collision[1]}" ` +
        `would both name their scenes "${safeKindName(collision[0])}"; rename one`,
    );
  }
  return kinds.flatMap((kind) =>
    file[kind].tasks.map((task, taskIndex) => ({
      kind,
      taskIndex,
      task,
      sampleEvents: file[kind].sample_events,
    }))
  );
}

/** The seeds of `path`, or the embedded default when `path` is undefined. */
export async function readSeeds(path: string | undefined): Promise<SeedTask[]> {
  if (path === undefined) return parseSeedText(DEFAULT_SEED_TEXT, DEFAULT_SEEDS_SOURCE);
  return parseSeedText(await readInputText(path, { what: "seed file" }), path);
}

/**
 * The seeds of the kinds in `kinds` (all when undefined), in file order; an unknown kind
 * is an error that lists the known ones.
 */
export function selectKinds(
  seeds: readonly SeedTask[],
  kinds: readonly string[] | undefined,
  source: string,
): SeedTask[] {
  if (kinds === undefined) return [...seeds];
  const known = [...new Set(seeds.map((s) => s.kind))];
  const unknown = kinds.filter((kind) => !known.includes(kind));
  if (unknown.length > 0) {
    throw inputError(
      `Unknown scene kind${unknown.length > 1 ? "s" : ""} ${
        unknown.map((k) => `"${k}"`).join(", ")
      } in --kinds: "${source}" has ${known.map((k) => `"${k}"`).join(", ")}`,
    );
  }
  return seeds.filter((seed) => kinds.includes(seed.kind));
}
