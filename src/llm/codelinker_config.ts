/**
 * The reference project's model configuration, read as proactive's: a codelinker TOML
 * file (`private.toml`, given as `--config private.toml`) with
 *
 * ```toml
 * [[api_keys.activeagent]]          # a model alias; several entries = several keys
 * api_key = "sk-…"
 * base_url = "http://gpu-node-1:8000/v1/"   # optional: OpenAI's
 * model = "proactive-7b"
 *
 * [request]
 * default_completions_model = "gpt-4o"      # the alias used when a script names none
 * ```
 *
 * Each alias becomes a model; the reference's alias names give proactive's roles —
 * `activeagent` the agent (`ACTIVEAGENT_MODEL` picks another alias, as in the reference's
 * `build_agent_trainset.py`), `activerm` the reward model (`ACTIVERM_MODEL`; without it,
 * `activellama`, the alias the reference's `eval/judge_agent_prediction.py` judges with),
 * `default_completions_model` every other role (the environment, the user, scenes). Several
 * entries under one alias must share `base_url` and `model`: their keys are used in turn;
 * entries naming different endpoints are refused (proactive sends one alias to one
 * endpoint: give each its own alias). The keys are secrets: never printed, kept out of
 * cache keys like any key. Keys and sections codelinker uses for itself are named once as
 * ignored, with why.
 *
 * @module
 */
import { parse as parseToml } from "smol-toml";
import { inputError } from "../cli/errors.ts";
import type { ConfigSource, LlmConfigFile, LlmRole } from "./llm_config_file.ts";

/** The reference's alias of each role, where it has one. */
export const REFERENCE_ALIASES: Readonly<Partial<Record<LlmRole, readonly string[]>>> = {
  agent: ["activeagent"],
  reward: ["activerm", "activellama"],
};

/** Environment variables the reference reads to pick an alias for a role. */
export const REFERENCE_ALIAS_ENV: Readonly<Partial<Record<LlmRole, string>>> = {
  agent: "ACTIVEAGENT_MODEL",
  reward: "ACTIVERM_MODEL",
};

const IGNORED: Readonly<Record<string, string>> = {
  max_retry_times: "proactive retries with --max-retries",
  "request.save_completions": "proactive keeps every answer in its completion cache (--cache-dir)",
  "request.use_cache": "proactive's completion cache is --cache-dir / --no-cache",
  multimodal: "proactive sends no images",
};

/** A codelinker file turned into proactive's config, and what to tell the user about it. */
export interface CodelinkerConfig {
  config: LlmConfigFile;
  /** One line each: the role → alias mapping, then what was ignored. */
  notes: string[];
}

/** Whether `path` names a codelinker TOML file (by its extension). */
export function isCodelinkerPath(path: string): boolean {
  return path.toLowerCase().endsWith(".toml");
}

type Table = Record<string, unknown>;

const isTable = (value: unknown): value is Table =>
  value !== null && typeof value === "object" && !Array.isArray(value) &&
  !(value instanceof Date);

/** Reads a codelinker TOML file; `env` picks aliases as the reference's scripts do. */
export function parseCodelinkerConfig(
  source: ConfigSource,
  env: (name: string) => string | undefined = () => undefined,
): CodelinkerConfig {
  const where = (at: string) => `Invalid config "${source.path}" at ${at}`;
  let raw: Table;
  try {
    raw = parseToml(source.text) as Table;
  } catch (error) {
    const line = (error as { line?: number }).line;
    const reason = (error as Error).message.split("\n")[0];
    throw inputError(
      `Cannot parse the config "${source.path}": ${reason}${line ? ` (line ${line})` : ""}`,
    );
  }
  const models: LlmConfigFile["models"] = {};
  const keys = raw.api_keys;
  if (!isTable(keys) || Object.keys(keys).length === 0) {
    throw inputError(`${where("api_keys")}: expected [[api_keys.<alias>]] tables`);
  }
  for (const [alias, entries] of Object.entries(keys)) {
    models[alias] = modelOf(alias, entries, where);
  }
  const notes: string[] = [];
  const roles = rolesOf(models, raw, env, { path: source.path, where });
  for (const [role, alias] of Object.entries(roles)) {
    const m = models[alias];
    notes.push(
      `role ${role} → alias ${alias} (${m.model}${m.base_url ? ` at ${m.base_url}` : ""})`,
    );
  }
  notes.push(...ignoredKeys(raw));
  return { config: { models, roles }, notes };
}

function modelOf(
  alias: string,
  entries: unknown,
  where: (at: string) => string,
): LlmConfigFile["models"][string] {
  const list = Array.isArray(entries) ? entries : [entries];
  if (list.length === 0) throw inputError(`${where(`api_keys.${alias}`)}: no entry`);
  const checked = list.map((entry, i) => {
    const at = `api_keys.${alias}[${i}]`;
    if (!isTable(entry)) throw inputError(`${where(at)}: expected a table`);
    const { api_key: key, base_url: baseUrl, model } = entry;
    if (typeof model !== "string" || model.trim() === "") {
      throw inputError(`${where(`${at}.model`)}: expected the model's name`);
    }
    if (key !== undefined && typeof key !== "string") {
      throw inputError(`${where(`${at}.api_key`)}: expected text`);
    }
    if (baseUrl !== undefined && (typeof baseUrl !== "string" || !/^https?:\/\//.test(baseUrl))) {
      throw inputError(`${where(`${at}.base_url`)}: expected an http(s) URL`);
    }
    return { key, baseUrl: baseUrl?.replace(/\/+$/, ""), model };
  });
  const [first] = checked;
  const other = checked.find((e) => e.baseUrl !== first.baseUrl || e.model !== first.model);
  if (other) {
    throw inputError(
      `${where(`api_keys.${alias}`)}: its entries name different endpoints (${first.model} at ${
        first.baseUrl ?? "OpenAI"
      }, ${other.model} at ${other.baseUrl ?? "OpenAI"}); proactive sends one alias to one ` +
        `endpoint: give each its own alias`,
    );
  }
  const apiKeys = checked.map((e) => e.key).filter((k): k is string => !!k && k.trim() !== "");
  return {
    model: first.model,
    ...(first.baseUrl ? { base_url: first.baseUrl } : {}),
    ...(apiKeys.length > 0 ? { api_keys: apiKeys } : {}),
  };
}

function rolesOf(
  models: LlmConfigFile["models"],
  raw: Table,
  env: (name: string) => string | undefined,
  { path, where }: { path: string; where: (at: string) => string },
): NonNullable<LlmConfigFile["roles"]> {
  const roles: NonNullable<LlmConfigFile["roles"]> = {};
  const request = isTable(raw.request) ? raw.request : {};
  const fallback = request.default_completions_model;
  if (fallback !== undefined) {
    if (typeof fallback !== "string" || !(fallback in models)) {
      throw inputError(
        `${where("request.default_completions_model")}: ${JSON.stringify(fallback)} is not ` +
          `an alias under api_keys`,
      );
    }
    roles.default = fallback;
  }
  for (const [role, aliases] of Object.entries(REFERENCE_ALIASES) as [LlmRole, string[]][]) {
    const name = REFERENCE_ALIAS_ENV[role];
    const chosen = name ? env(name)?.trim() : undefined;
    if (chosen) {
      if (!(chosen in models)) {
        throw inputError(
          `${name}=${chosen} names no alias of "${path}": ` +
            `the aliases are ${Object.keys(models).join(", ")}`,
        );
      }
      roles[role] = chosen;
      continue;
    }
    const alias = aliases.find((a) => a in models);
    if (alias) roles[role] = alias;
  }
  return roles;
}

function ignoredKeys(raw: Table): string[] {
  const notes: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (key === "api_keys") continue;
    if (key === "request" && isTable(value)) {
      for (const inner of Object.keys(value)) {
        if (inner === "default_completions_model") continue;
        const why = IGNORED[`request.${inner}`];
        notes.push(`ignored request.${inner}: ${why ?? "not a setting proactive knows"}`);
      }
      continue;
    }
    notes.push(`ignored ${key}: ${IGNORED[key] ?? "not a setting proactive knows"}`);
  }
  return notes;
}
