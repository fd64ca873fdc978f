/**
 * A prompt set: the texts of every role (`prompt_roles.ts`), from a YAML file over the
 * built-in set (`builtin_prompts.ts`). A file replaces any subset of fields:
 *
 * ```yaml
 * name: my-prompts            # shown in summaries, cards and setup records
 * protocol: proactive         # or reference (the reference's own message layouts)
 * roles:
 *   reward:
 *     system: |
 *       You are the user …
 *   scenes:
 *     step1: "Scene kind: {kind}\nSeed task: {task}\n…"
 * ```
 *
 * The file is checked when it is read, before any request: an unknown role or field, a
 * value of the wrong type, an unknown placeholder or a missing required one is one error
 * naming the file, the role and the field. A field the file leaves out comes from the
 * built-in set, or, where the role has no built-in text of its own (eval agent's), from
 * its `fallback` role (the agent's) in the file or the built-in set.
 *
 * `hash` (SHA-256 of the protocol and every effective value, canonical JSON) names the
 * texts: it is in every summary, dataset card, gym setup record and (for any set but the
 * built-in one) every cache key, so a changed prompt never reuses an old answer.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { parse as parseYaml } from "yaml";
import { inputError } from "../cli/errors.ts";
import { canonicalJson } from "../llm/canonical_json.ts";
import { readInputText } from "../store/read_input.ts";
import { BUILTIN_PROMPTS } from "./builtin_prompts.ts";
import {
  type FieldName,
  fieldSpec,
  PROMPT_ROLES,
  type PromptRoleSpec,
  type Protocol,
  PROTOCOLS,
  type RoleName,
} from "./prompt_roles.ts";
import { fillTemplate, placeholdersOf, unescapeTemplate } from "./prompt_template.ts";

/** What dataset cards and gym setup records say of the prompts used (no local paths). */
export interface PromptSetId {
  name: string;
  protocol: Protocol;
  sha256: string;
}

/** What summaries, cards and setup records say of the prompts used. */
export interface PromptSetLabel {
  name: string;
  protocol: Protocol;
  /** SHA-256 of the effective texts, hex. */
  hash: string;
  /** The file, or null for the built-in set. */
  file: string | null;
}

type Values = Record<string, Record<string, unknown>>;

export class PromptSet {
  readonly name: string;
  readonly protocol: Protocol;
  readonly file: string | null;
  readonly hash: string;
  /** Role → field → the value the file sets (the built-in set sets none). */
  readonly #own: Values;
  readonly #effective: Values;

  /** True when the texts are the built-in ones (an unchanged `prompts export` too). */
  readonly builtin: boolean;

  private constructor(
    options: { name: string; protocol: Protocol; file: string | null; own: Values },
    { hash, builtin }: { hash: string; builtin: boolean },
    effective: Values,
  ) {
    this.name = options.name;
    this.protocol = options.protocol;
    this.file = options.file;
    this.#own = options.own;
    this.#effective = effective;
    this.hash = hash;
    this.builtin = builtin;
  }

  /** A set from checked values (`parsePromptSet` checks them). */
  static create(
    options: { name: string; protocol: Protocol; file: string | null; own: Values },
  ): PromptSet {
    const effective = effectiveValues(options.own);
    const hash = hashOf(options.protocol, effective);
    const builtin = hash === hashOf("proactive", effectiveValues({}));
    return new PromptSet(options, { hash, builtin }, effective);
  }

  get label(): PromptSetLabel {
    return { name: this.name, protocol: this.protocol, hash: this.hash, file: this.file };
  }

  get id(): PromptSetId {
    return { name: this.name, protocol: this.protocol, sha256: this.hash };
  }

  /** Whether the file itself sets `role.field`. */
  sets<R extends RoleName>(role: R, field: FieldName<R>): boolean {
    return this.#own[role]?.[field] !== undefined;
  }

  /**
   * A text field as sent where nothing is filled in: placeholders left as written, each
   * `{{name}}` the text `{name}` (as `fill` writes it).
   */
  text<R extends RoleName>(role: R, field: FieldName<R>): string {
    return unescapeTemplate(this.#template(role, field));
  }

  /** A text field with its placeholders filled. */
  fill<R extends RoleName>(
    role: R,
    field: FieldName<R>,
    values: Readonly<Record<string, string>>,
  ): string {
    return fillTemplate(this.#template(role, field), values);
  }

  #template(role: RoleName, field: string): string {
    const value = this.#effective[role]?.[field];
    if (typeof value !== "string") {
      throw new Error(`The prompt set "${this.name}" has no text ${role}.${field}`);
    }
    return value;
  }

  /** A json field (a fresh copy). */
  json<R extends RoleName>(role: R, field: FieldName<R>): unknown {
    return structuredClone(this.#effective[role]?.[field]);
  }

  /** Every effective value, role by role (for `prompts show` and `prompts export`). */
  values(): Readonly<Values> {
    return structuredClone(this.#effective);
  }
}

function hashOf(protocol: Protocol, effective: Values): string {
  return createHash("sha256")
    .update(canonicalJson({ protocol, roles: effective }), "utf8")
    .digest("hex");
}

/** Values of `own` over the built-in ones; a role's fallback role fills what it leaves out. */
function effectiveValues(own: Values): Values {
  const out: Values = {};
  for (const [role, spec] of Object.entries(PROMPT_ROLES) as [RoleName, PromptRoleSpec][]) {
    const builtin = (BUILTIN_PROMPTS as Values)[role] ?? {};
    const fallback = spec.fallback === undefined ? undefined : own[spec.fallback];
    const fallbackBuiltin = spec.fallback === undefined
      ? undefined
      : (BUILTIN_PROMPTS as Values)[spec.fallback];
    const fields: Record<string, unknown> = {};
    for (const field of Object.keys(spec.fields)) {
      // A role's own built-in value wins over its fallback role's: only what the role has
      // no text of its own for comes from the other role.
      const value = own[role]?.[field] ?? builtin[field] ?? fallback?.[field] ??
        fallbackBuiltin?.[field];
      if (value !== undefined) fields[field] = value;
    }
    out[role] = fields;
  }
  return out;
}

/** The built-in set: today's texts, unchanged. */
export function builtinPromptSet(): PromptSet {
  return PromptSet.create({ name: "builtin", protocol: "proactive", file: null, own: {} });
}

/** The built-in set, made once (a set never changes once made). */
export const BUILTIN_PROMPT_SET: PromptSet = builtinPromptSet();

/** The set a stage's LLM options carry (`--prompts`, loaded), else the built-in one. */
export function promptsOf(options: { prompts?: PromptSet }): PromptSet {
  return options.prompts ?? BUILTIN_PROMPT_SET;
}

/** Parses and checks the text of a prompt set file (see the module doc). */
export function parsePromptSet(text: string, path: string): PromptSet {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    const message = (error as Error).message.split("\n")[0].replace(/:$/, "");
    throw inputError(`Cannot parse the prompt set "${path}": ${message}`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw inputError(`The prompt set "${path}" is not a mapping (name, protocol, roles)`);
  }
  const { name, protocol = "proactive", roles = {}, ...rest } = raw as Record<string, unknown>;
  for (const key of Object.keys(rest)) {
    if (key !== "source") {
      throw inputError(`The prompt set "${path}" has an unknown key "${key}"`);
    }
  }
  if (name !== undefined && typeof name !== "string") {
    throw inputError(`The prompt set "${path}": name must be text`);
  }
  if (!(PROTOCOLS as readonly unknown[]).includes(protocol)) {
    throw inputError(
      `The prompt set "${path}": protocol must be one of ${PROTOCOLS.join(", ")}, got ${
        JSON.stringify(protocol)
      }`,
    );
  }
  const own = checkRoles(roles, path, protocol as Protocol);
  return PromptSet.create({
    name: name ?? path.split("/").at(-1)!.replace(/\.ya?ml$/i, ""),
    protocol: protocol as Protocol,
    file: path,
    own,
  });
}

function checkRoles(roles: unknown, path: string, protocol: Protocol): Values {
  if (roles === null || typeof roles !== "object" || Array.isArray(roles)) {
    throw inputError(`The prompt set "${path}": roles must be a mapping of role names`);
  }
  const own: Values = {};
  for (const [role, fields] of Object.entries(roles)) {
    if (!Object.hasOwn(PROMPT_ROLES, role)) {
      throw inputError(
        `The prompt set "${path}": unknown role "${role}" (known: ${
          Object.keys(PROMPT_ROLES).join(", ")
        })`,
      );
    }
    if (fields === null || typeof fields !== "object" || Array.isArray(fields)) {
      throw inputError(`The prompt set "${path}": role ${role} must be a mapping of fields`);
    }
    own[role] = {};
    for (const [field, value] of Object.entries(fields)) {
      checkField({ path, role, field, value, protocol });
      own[role][field] = value;
    }
  }
  return own;
}

function checkField(
  { path, role, field, value, protocol }: {
    path: string;
    role: string;
    field: string;
    value: unknown;
    protocol: Protocol;
  },
): void {
  const where = `The prompt set "${path}", ${role}.${field}`;
  const spec = fieldSpec(role, field);
  if (spec === undefined) {
    const known = Object.keys(PROMPT_ROLES[role as RoleName].fields).join(", ");
    throw inputError(
      `The prompt set "${path}": role ${role} has no field "${field}" (known: ${known})`,
    );
  }
  if (spec.kind === "json") {
    if (value === undefined || value === null || typeof value === "function") {
      throw inputError(`${where}: expected a value (mapping, list or text), got nothing`);
    }
    return;
  }
  if (typeof value !== "string") {
    throw inputError(
      `${where}: expected text, got ${Array.isArray(value) ? "a list" : typeof value}`,
    );
  }
  const allowed = (spec.placeholders ?? []).map((p) => p.name);
  for (const name of placeholdersOf(value)) {
    if (!allowed.includes(name)) {
      throw inputError(
        `${where}: unknown placeholder {${name}} (${
          allowed.length === 0
            ? "this text takes none"
            : `it takes ${allowed.map((a) => `{${a}}`).join(", ")}`
        }; write {{${name}}} for the text itself)`,
      );
    }
  }
  const used = placeholdersOf(value);
  for (const placeholder of spec.placeholders ?? []) {
    if (placeholder.required.includes(protocol) && !used.includes(placeholder.name)) {
      throw inputError(
        `${where}: the placeholder {${placeholder.name}} (${placeholder.doc}) is missing`,
      );
    }
  }
}

/** The set of `--prompts FILE` (or the config's `prompts:`), else the built-in one. */
export async function loadPromptSet(file: string | undefined): Promise<PromptSet> {
  if (file === undefined) return builtinPromptSet();
  return parsePromptSet(await readInputText(file, { what: "prompt set" }), file);
}
