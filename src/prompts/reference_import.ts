/**
 * `proactive prompts import DIR`: the prompt set of a checkout of the reference project
 * (ProactiveAgent), read from its Python files as text — Python is not run — into a set
 * with `protocol: reference`. Each field names where the reference's scripts keep it
 * (`REFERENCE_SOURCES`); a value is exactly the string Python would see, its variables
 * (f-string fields, `'\n- '.join(sample_events)`) turned into the stage's placeholders and
 * every other brace pair written so that it stays text. What cannot be found is listed;
 * the rest is still imported.
 *
 * @module
 */
import { isAbsolute, join } from "node:path";
import { inputError } from "../cli/errors.ts";
import { readOptionalInputText } from "../store/read_input.ts";
import { type Lookup, PythonModule } from "./python_module.ts";
import { PythonSyntaxError } from "./python_tokens.ts";
import { PyTemplate, pythonTypeName, type PyValue } from "./python_value.ts";
import type { PromptSetDocument } from "./prompt_set_yaml.ts";
import { escapeTemplate, fillTemplate } from "./prompt_template.ts";
import { fieldSpec } from "./prompt_roles.ts";
import { SAMPLE_EVENTS_SEPARATOR } from "./scenes_prompts.ts";

/** Where one value is in the checkout. */
export type SourceLookup =
  | { file: string; constant: string; key?: string }
  | { file: string; fn: string; assigned: string; key?: string }
  | { file: string; fn: string; dictKey: string };

/** A field's sources, tried in order, and the variables its text may use. */
export interface FieldSource {
  role: string;
  field: string;
  from: readonly SourceLookup[];
  /** The script's variable → the stage's placeholder (and the separator of a join). */
  variables?: Readonly<Record<string, { placeholder: string; join?: string }>>;
}

const AGENT = "gym/components/activeagent.py";
const EVAL = "eval/script.py";
const REWARD = "eval/reward_model_template.py";
const EXPLAIN = "dataset/build_reward_trainset.py";
const SCENES = "dataset/build_scenes.py";
const TRAINSET = "dataset/build_agent_trainset.py";

const sceneStep = (step: number, assigned: string): FieldSource => ({
  role: "scenes",
  field: `step${step}`,
  from: [{ file: SCENES, fn: "forward", assigned }],
  variables: {
    scene: { placeholder: "kind" },
    seed_task: { placeholder: "task" },
    sample_events: { placeholder: "sample_events", join: SAMPLE_EVENTS_SEPARATOR },
  },
});

/** Every field `import` fills, and where the reference keeps it. */
export const REFERENCE_SOURCES: readonly FieldSource[] = [
  { role: "agent", field: "system", from: [{ file: AGENT, constant: "SYSTEM" }] },
  {
    role: "agent",
    field: "step_instruction",
    from: [{ file: AGENT, constant: "STEP_OBJ", key: "Instructions" }],
  },
  {
    role: "agent",
    field: "retry_instruction",
    from: [
      { file: TRAINSET, fn: "make_valid_prediction", dictKey: "Instructions" },
      { file: AGENT, fn: "step", assigned: "step_obj", key: "Instructions" },
    ],
  },
  { role: "agent", field: "exec", from: [{ file: AGENT, constant: "EXEC" }] },
  { role: "eval_agent", field: "system", from: [{ file: EVAL, constant: "SYSTEM" }] },
  { role: "eval_agent", field: "step", from: [{ file: EVAL, constant: "STEP" }] },
  { role: "reward", field: "system", from: [{ file: REWARD, constant: "SYSTEM" }] },
  {
    role: "reward",
    field: "instruction",
    from: [{ file: REWARD, fn: "format_reward_instruction", dictKey: "Instruction" }],
  },
  { role: "reward_explain", field: "system", from: [{ file: EXPLAIN, constant: "SYSTEM" }] },
  {
    role: "reward_explain",
    field: "instruction",
    from: [{ file: EXPLAIN, fn: "format_message", dictKey: "Instruction" }],
  },
  {
    role: "consistency",
    field: "system",
    from: [{ file: EXPLAIN, fn: "format_thought_check", assigned: "CHECK_SYSTEM" }],
  },
  {
    role: "consistency",
    field: "instruction",
    from: [{ file: EXPLAIN, fn: "format_thought_check", dictKey: "Instruction" }],
  },
  {
    role: "environment",
    field: "system",
    from: [{ file: "gym/components/environment.py", constant: "SYSTEM" }],
  },
  { role: "user", field: "system", from: [{ file: "gym/components/user.py", constant: "SYSTEM" }] },
  { role: "scenes", field: "system", from: [{ file: SCENES, constant: "SYSTEM" }] },
  sceneStep(1, "init_inst"),
  sceneStep(2, "task_inst"),
  sceneStep(3, "entity_inst"),
  sceneStep(4, "agent_inst"),
  sceneStep(5, "event_inst"),
  sceneStep(6, "structure_inst"),
];

/** What `importReferencePrompts` found. */
export interface ReferenceImport {
  document: PromptSetDocument;
  /** `role.field` → the reason it is not in the set. */
  missing: { field: string; reason: string }[];
  imported: number;
}

/** Reads the checkout at `dir` (see the module doc). */
export async function importReferencePrompts(dir: string): Promise<ReferenceImport> {
  const modules = await readModules(dir);
  const commit = await checkoutCommit(dir);
  const roles: Record<string, Record<string, unknown>> = {};
  const missing: ReferenceImport["missing"] = [];
  for (const source of REFERENCE_SOURCES) {
    const found = importField(source, modules);
    if ("missing" in found) {
      missing.push({ field: `${source.role}.${source.field}`, reason: found.missing });
    } else {
      (roles[source.role] ??= {})[source.field] = found.text;
    }
  }
  return {
    document: {
      name: commit ? `reference@${commit.slice(0, 12)}` : "reference",
      protocol: "reference",
      source: dir,
      roles,
    },
    missing,
    imported: REFERENCE_SOURCES.length - missing.length,
  };
}

type Modules = Map<string, PythonModule | { missing: string }>;

async function readModules(dir: string): Promise<Modules> {
  const files = [...new Set(REFERENCE_SOURCES.flatMap((s) => s.from.map((f) => f.file)))];
  const modules: Modules = new Map();
  for (const file of files) {
    const path = join(dir, file);
    const text = await readOptionalInputText(path, { what: "Python file" });
    if (text === undefined) {
      modules.set(file, { missing: `${file} does not exist` });
      continue;
    }
    try {
      modules.set(file, new PythonModule(text));
    } catch (error) {
      if (!(error instanceof PythonSyntaxError)) throw error;
      modules.set(file, { missing: `cannot read ${file}: ${error.message}` });
    }
  }
  if ([...modules.values()].every((m) => "missing" in m)) {
    throw inputError(
      `"${dir}" is not a checkout of the reference project (ProactiveAgent): none of ${
        files.join(", ")
      } is there`,
    );
  }
  return modules;
}

function importField(
  source: FieldSource,
  modules: Modules,
): { text: string } | { missing: string } {
  const reasons: string[] = [];
  for (const lookup of source.from) {
    const module = modules.get(lookup.file)!;
    if ("missing" in module) {
      reasons.push(module.missing);
      continue;
    }
    const found = look(module, lookup);
    const where = `${lookup.file}: `;
    if ("missing" in found) {
      reasons.push(where + found.missing);
      continue;
    }
    const text = templateText(found.value, source);
    if (typeof text !== "string") {
      reasons.push(where + text.missing);
      continue;
    }
    return { text };
  }
  return { missing: reasons.join("; ") };
}

function look(module: PythonModule, lookup: SourceLookup): Lookup {
  if ("constant" in lookup) return module.constant({ name: lookup.constant, key: lookup.key });
  if ("dictKey" in lookup) return module.dictValue(lookup.fn, lookup.dictKey);
  return module.local(lookup.fn, { name: lookup.assigned, key: lookup.key });
}

/**
 * `value` as a template of the field: literal text escaped (`{word}` → `{{word}}`), each
 * variable the stage's placeholder. Checked by filling it: what the stage sends for any
 * values must be what Python builds from them.
 */
function templateText(value: PyValue, source: FieldSource): string | { missing: string } {
  if (typeof value === "string") return escapeTemplate(value);
  if (!(value instanceof PyTemplate)) {
    return { missing: `it is ${pythonTypeName(value)}, not text` };
  }
  let text = "";
  const sample: Record<string, string> = {};
  let expected = "";
  for (const part of value.parts) {
    if (typeof part === "string") {
      text += escapeTemplate(part);
      expected += part;
      continue;
    }
    const variable = source.variables?.[part.name];
    const shown = part.join === undefined
      ? part.name
      : `${JSON.stringify(part.join)}.join(${part.name})`;
    const allowed = fieldSpec(source.role, source.field)?.placeholders ?? [];
    if (!variable || !allowed.some((p) => p.name === variable.placeholder)) {
      return { missing: `it uses ${shown}, which this stage does not fill` };
    }
    if (variable.join !== part.join) {
      return {
        missing: `it uses ${shown}; the stage fills ${
          variable.join === undefined
            ? part.name
            : `${JSON.stringify(variable.join)}.join(${part.name})`
        }`,
      };
    }
    text += `{${variable.placeholder}}`;
    sample[variable.placeholder] = `\u0000${variable.placeholder}\u0000`;
    expected += sample[variable.placeholder];
  }
  if (fillTemplate(text, sample) !== expected) {
    return { missing: "its braces around a variable cannot be written as a template" };
  }
  return text;
}

/**
 * The commit checked out at `dir`, read from `.git` (HEAD, the branch's ref file or
 * packed-refs; a worktree's `.git` file followed), or undefined: the set's name records it.
 */
export async function checkoutCommit(dir: string): Promise<string | undefined> {
  const read = (path: string) => Deno.readTextFile(path).then((t) => t, () => undefined);
  let gitDir = join(dir, ".git");
  const pointer = await read(gitDir);
  const linked = pointer?.match(/^gitdir: (.+)$/m)?.[1].trim();
  if (linked) gitDir = isAbsolute(linked) ? linked : join(dir, linked);
  const head = (await read(join(gitDir, "HEAD")))?.trim();
  if (!head) return undefined;
  if (/^[0-9a-f]{40}$/.test(head)) return head;
  const ref = head.match(/^ref: (refs\/[^\s]+)$/)?.[1];
  if (!ref || ref.split("/").includes("..")) return undefined;
  const common = (await read(join(gitDir, "commondir")))?.trim();
  const roots = [gitDir, ...(common ? [isAbsolute(common) ? common : join(gitDir, common)] : [])];
  for (const root of roots) {
    const direct = (await read(join(root, ref)))?.trim();
    if (direct && /^[0-9a-f]{40}$/.test(direct)) return direct;
    const packed = await read(join(root, "packed-refs"));
    const line = packed?.split("\n").find((l) => l.endsWith(` ${ref}`));
    if (line && /^[0-9a-f]{40} /.test(line)) return line.slice(0, 40);
  }
  return undefined;
}
