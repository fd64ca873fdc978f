/**
 * Which endpoints an LLM stage talks to, and how: the flags every LLM command shares
 * (`LLM_FLAGS`, `LLM_FLAGS_HELP`), an optional YAML config, and the pure `parseLlmFlags`
 * that turns both (plus the environment) into `LlmOptions`.
 *
 * The config (`--config FILE`, else `proactive.yaml` in the working directory) names
 * model aliases and the alias each role uses:
 *
 * ```yaml
 * models:
 *   gpt:
 *     base_url: https://api.openai.com/v1
 *     model: gpt-4o-2024-08-06
 *     api_key_env: [OPENAI_KEY_A, OPENAI_KEY_B]   # one name, or several keys to rotate
 *     params: { temperature: 0.7, max_tokens: 2048 }
 *     concurrency: 32
 *   cluster:                                      # one model on several servers:
 *     base_url: [http://gpu1:8000/v1, http://gpu2:8000/v1]   # each request to the least busy
 *     model: Qwen/Qwen2.5-72B-Instruct
 *     concurrency: 16                             # per server
 *   local:
 *     base_url: http://127.0.0.1:8000/v1
 *     model: Qwen/Qwen2.5-7B-Instruct
 *     params: { extra: { top_k: 20 } }           # sent as-is (endpoint-specific)
 *     response_format: json_object               # json_schema (default), json_object, none
 *     seed: false                                 # send no per-request seed
 * roles: { default: gpt, reward: local }
 * ```
 *
 * Every request carries a `seed` derived from what it asks and its cache tag (see
 * `sampleSeed`), so a retried item is a new sample even on a deterministic endpoint;
 * `seed: false` is for endpoints that refuse the parameter. `params.seed`, when set,
 * is mixed into every derived seed (another set of samples), not sent as it is.
 *
 * Precedence: flags, then the config, then `OPENAI_BASE_URL` / `OPENAI_API_KEY`.
 * `--base-url`, `--model`, `--api-key` and `--concurrency` apply to every role.
 * A role without an entry uses `roles.default`, else the only alias.
 */
import { isCodelinkerPath, parseCodelinkerConfig } from "./codelinker_config.ts";
import { dirname, resolve } from "node:path";
import { loadPromptSet, type PromptSet } from "../prompts/prompt_set.ts";
import { inputError, usageError } from "../cli/errors.ts";
import { type FlagDecls, flagTable, readFlags } from "../cli/flags.ts";
import type { ParsedFlags } from "../cli/parse_flags.ts";
import {
  type ConfigSource,
  DEFAULT_CONFIG_FILE,
  type LlmConfigFile,
  type LlmRole,
  parseLlmConfig,
} from "./llm_config_file.ts";

export {
  type ConfigReader,
  type ConfigSource,
  DEFAULT_CONFIG_FILE,
  LLM_ROLES,
  type LlmRole,
  parseLlmConfig,
  readLlmConfig,
} from "./llm_config_file.ts";

/** Sampling parameters, with the names of the chat completions API. */
export interface SamplingParams {
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  seed?: number;
  stop?: string | string[];
  /** Number of choices. */
  n?: number;
  /** Endpoint-specific fields sent as they are (e.g. vLLM's `top_k`). */
  extra?: Record<string, unknown>;
}

/** What a structured request carries (per model `response_format`, flag `--response-format`). */
export const RESPONSE_FORMAT_MODES = ["json_schema", "json_object", "none"] as const;
export type ResponseFormatMode = typeof RESPONSE_FORMAT_MODES[number];

/** One resolved endpoint. `apiKeys` are secrets: never print or store them. */
export interface EndpointConfig {
  /** The config alias ("default" when only flags and environment are used). */
  alias: string;
  /** The server, or the first of several. */
  baseUrl: string;
  /**
   * Every server of the alias when it lists several (`base_url: [a, b, …]`): the same model
   * on several machines, each request to the least busy (`server_pool.ts`); `baseUrl` is
   * the first. Absent: the one `baseUrl`.
   */
  baseUrls?: string[];
  model: string;
  /** Zero keys (a local server), one, or several used in turn. */
  apiKeys: string[];
  /** Default sampling parameters; a call's own parameters win. */
  params: SamplingParams;
  /** Requests in flight at once on this endpoint. */
  concurrency: number;
  /**
   * Endpoints with the same key share one concurrency limit (default: alias and base URL),
   * e.g. two models named by flags on one `--base-url`.
   */
  limitKey?: string;
  /** The model's `response_format` mode (default "json_schema"); `--response-format` wins. */
  responseFormat?: ResponseFormatMode;
  /** Send a derived `seed` with every request (default true). */
  seed?: boolean;
}

/** How requests are made, shared by all endpoints. */
export interface LlmSettings {
  maxRetries: number;
  timeoutMs: number;
  retryAfterCapMs: number;
  /**
   * `--response-format MODE` (`--no-response-format` is "none"): overrides every model's
   * `response_format`; undefined leaves each model its own (default "json_schema").
   */
  responseFormat?: ResponseFormatMode;
  maxRepairs: number;
}

export interface LlmOptions extends LlmSettings {
  /** `--prompts FILE` (or the config's `prompts:`): the prompt set to load. */
  promptsFile?: string;
  /** The prompt set, once loaded (`resolvePrompts`); absent: the built-in set. */
  prompts?: PromptSet;
  /** The endpoint of each role the command asked for. */
  endpoints: Partial<Record<LlmRole, EndpointConfig>>;
  /** Completion cache folder, or null with `--no-cache`. */
  cacheDir: string | null;
  /**
   * `--db`: the completion cache of the shared work store (`store/open_work_store.ts`)
   * instead of `cacheDir`; `stage/shared_cache.ts` opens it.
   */
  db?: string;
  /** `--limit N`: process only the first N items. */
  limit: number | undefined;
  /**
   * What the runtime tells the user once about the config (a codelinker TOML file's role
   * mapping and ignored keys); never a key.
   */
  configNotes?: string[];
}

export const DEFAULT_BASE_URL = "https://api.openai.com/v1";
export const DEFAULT_CACHE_DIR = ".proactive/cache";
export const LLM_DEFAULTS = {
  concurrency: 16,
  maxRetries: 5,
  timeoutMs: 300_000,
  retryAfterCapMs: 600_000,
  maxRepairs: 2,
} as const;

/**
 * Flags every LLM command accepts, declared once (`cli/flags.ts`); spread into the
 * command's own declarations. `parseLlmFlags` reads them with the environment and config.
 */
export const LLM_FLAGS = {
  "base-url": {
    kind: "string",
    value: "URL",
    help: ["OpenAI-compatible endpoint (env OPENAI_BASE_URL;", `default ${DEFAULT_BASE_URL})`],
  },
  "api-key": {
    kind: "string",
    value: "KEY",
    help: "API key (env OPENAI_API_KEY, preferred: flags show in 'ps')",
  },
  model: { kind: "string", value: "ID", help: "Model id, for every role" },
  config: {
    kind: "string",
    value: "FILE",
    help: [
      "YAML naming model aliases and the alias of each role",
      `(default: ./${DEFAULT_CONFIG_FILE} when it exists), or the`,
      "reference's codelinker private.toml",
    ],
  },
  concurrency: {
    kind: "integer",
    value: "N",
    min: 1,
    max: 4096,
    help: `Requests in flight per endpoint (default ${LLM_DEFAULTS.concurrency})`,
  },
  "max-retries": {
    kind: "integer",
    value: "N",
    default: LLM_DEFAULTS.maxRetries,
    min: 0,
    max: 100,
    help: [
      "Retries of a request after 429, 5xx, a timeout or a",
      `connection error (default ${LLM_DEFAULTS.maxRetries})`,
    ],
  },
  timeout: {
    kind: "duration",
    value: "DURATION",
    default: LLM_DEFAULTS.timeoutMs,
    help: "Deadline of one request, response body included (default 5m)",
  },
  "retry-after-cap": {
    kind: "duration",
    value: "DUR",
    default: LLM_DEFAULTS.retryAfterCapMs,
    help: "Longest Retry-After wait honoured (default 10m)",
  },
  "response-format": {
    kind: "choice",
    value: "MODE",
    choices: RESPONSE_FORMAT_MODES,
    help: [
      "What structured requests carry, for every model: json_schema",
      "(strict JSON schema; the default), json_object, or none",
      "(config: response_format per model); e.g.",
      "--response-format json_object for a server without",
      "JSON-schema support",
    ],
  },
  "no-response-format": { kind: "boolean", help: "Same as --response-format none" },
  "max-repairs": {
    kind: "integer",
    value: "N",
    default: LLM_DEFAULTS.maxRepairs,
    min: 0,
    max: 20,
    help: `Re-asks after an invalid JSON answer (default ${LLM_DEFAULTS.maxRepairs})`,
  },
  "cache-dir": {
    kind: "string",
    value: "DIR",
    default: DEFAULT_CACHE_DIR,
    help: `Completion cache (default ${DEFAULT_CACHE_DIR})`,
  },
  "no-cache": { kind: "boolean", help: "Neither read nor write the completion cache" },
  db: {
    kind: "string",
    value: "URL",
    env: "PROACTIVE_DATABASE_URL",
    help: [
      "The completion cache in PostgreSQL (postgres://…) or a Deno KV",
      "file, shared by machines: an answer is paid for once (env",
      "PROACTIVE_DATABASE_URL; instead of --cache-dir)",
    ],
  },
  limit: { kind: "integer", value: "N", min: 1, help: "Process only the first N items" },
  prompts: {
    kind: "string",
    value: "FILE",
    help: [
      "A prompt set (YAML) replacing any of the texts sent (config:",
      "prompts: FILE); see 'proactive prompts export'",
    ],
  },
} as const satisfies FlagDecls;

/** The help text of `LLM_FLAGS`, to embed in a command's `--help`. */
export function llmFlagsHelp(flags: FlagDecls = LLM_FLAGS): string {
  return `LLM options:\n${flagTable(flags, { column: 26, helpRow: false })}\n`;
}

export const LLM_FLAGS_HELP: string = llmFlagsHelp();

export interface ParseLlmFlagsOptions {
  /** The config file, already read (see `readLlmConfig`). */
  config?: ConfigSource;
  /** The roles the command uses; each must resolve to an endpoint. Default: ["default"]. */
  roles?: readonly LlmRole[];
}

/**
 * Flags (the values of `parseFlags` with `LLM_FLAGS`), environment and config to
 * `LlmOptions`. Pure: commands call it from their options parser, tests call it directly.
 */
export function parseLlmFlags(
  values: ParsedFlags["values"],
  env: (name: string) => string | undefined,
  { config, roles = ["default"] }: ParseLlmFlagsOptions = {},
): LlmOptions {
  // A codelinker TOML file is read once: its config and the notes to print come together.
  const codelinker = config && isCodelinkerPath(config.path)
    ? parseCodelinkerConfig(config, env)
    : undefined;
  const parsedConfig = codelinker?.config ?? (config ? parseLlmConfig(config, env) : undefined);
  const flags = readFlags(LLM_FLAGS, values);
  const endpoints: Partial<Record<LlmRole, EndpointConfig>> = {};
  for (const role of roles) {
    const endpoint = parsedConfig
      ? endpointFromConfig(role, parsedConfig, config!.path, env)
      : endpointFromEnvironment(env);
    const baseUrl = flags.baseUrl ?? endpoint.baseUrl;
    const model = flags.model ?? endpoint.model;
    const apiKey = flags.apiKey;
    if (!model) {
      throw usageError(
        `No model for role "${role}": pass --model or name one in ${DEFAULT_CONFIG_FILE}`,
      );
    }
    const { baseUrls, ...rest } = endpoint;
    endpoints[role] = {
      ...rest,
      // --base-url names the one server of every role.
      ...(flags.baseUrl === undefined && baseUrls && { baseUrls: baseUrls.map(checkBaseUrl) }),
      baseUrl: checkBaseUrl(baseUrl),
      model,
      apiKeys: apiKey !== undefined ? [apiKey] : endpoint.apiKeys,
      concurrency: flags.concurrency ?? endpoint.concurrency,
    };
  }
  const promptsFile = flags.prompts ??
    (parsedConfig?.prompts === undefined
      ? undefined
      : resolve(dirname(config!.path), parsedConfig.prompts));
  const configNotes = codelinker?.notes.map((note) =>
    `Config "${config!.path}" (the reference's codelinker format): ${note}`
  );
  if (flags.timeout <= 0) throw usageError("--timeout must be longer than zero");
  return {
    ...(promptsFile === undefined ? {} : { promptsFile }),
    ...(configNotes ? { configNotes } : {}),
    endpoints,
    maxRetries: flags.maxRetries,
    timeoutMs: flags.timeout,
    retryAfterCapMs: flags.retryAfterCap,
    responseFormat: responseFormatOf(flags),
    maxRepairs: flags.maxRepairs,
    cacheDir: flags.noCache ? null : flags.cacheDir,
    ...(flags.db !== undefined && !flags.noCache && { db: flags.db }),
    limit: flags.limit,
  };
}

function endpointFromEnvironment(env: (name: string) => string | undefined): EndpointConfig {
  const key = env("OPENAI_API_KEY");
  return {
    alias: "default",
    baseUrl: env("OPENAI_BASE_URL") || DEFAULT_BASE_URL,
    model: "",
    apiKeys: key ? [key] : [],
    params: {},
    concurrency: LLM_DEFAULTS.concurrency,
  };
}

function endpointFromConfig(
  role: LlmRole,
  config: LlmConfigFile,
  path: string,
  env: (name: string) => string | undefined,
): EndpointConfig {
  const aliases = Object.keys(config.models);
  const alias = config.roles?.[role] ?? config.roles?.default ??
    (aliases.length === 1 ? aliases[0] : undefined);
  if (alias === undefined) {
    throw inputError(
      `Config "${path}" names no model for role "${role}": add roles.${role} or roles.default`,
    );
  }
  const entry = config.models[alias];
  const fallback = endpointFromEnvironment(env);
  let apiKeys = entry.api_keys ?? fallback.apiKeys;
  if (entry.api_key_env !== undefined) {
    const names = typeof entry.api_key_env === "string" ? [entry.api_key_env] : entry.api_key_env;
    apiKeys = names.map((name) => {
      const value = env(name)?.trim();
      if (!value) {
        throw usageError(
          `Environment variable ${name} (api_key_env of model "${alias}" in "${path}") is not set`,
        );
      }
      return value;
    });
  }
  const urls = entry.base_url === undefined
    ? [fallback.baseUrl]
    : typeof entry.base_url === "string"
    ? [entry.base_url]
    : entry.base_url;
  return {
    alias,
    baseUrl: urls[0],
    ...(urls.length > 1 && { baseUrls: urls }),
    model: entry.model,
    apiKeys,
    params: entry.params ?? {},
    concurrency: entry.concurrency ?? LLM_DEFAULTS.concurrency,
    ...(entry.response_format !== undefined ? { responseFormat: entry.response_format } : {}),
    ...(entry.seed !== undefined ? { seed: entry.seed } : {}),
  };
}

function responseFormatOf(
  flags: { responseFormat?: ResponseFormatMode; noResponseFormat: boolean },
): ResponseFormatMode | undefined {
  const mode = flags.responseFormat;
  if (!flags.noResponseFormat) return mode;
  if (mode !== undefined && mode !== "none") {
    throw usageError(`--no-response-format contradicts --response-format ${mode}`);
  }
  return "none";
}

function checkBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usageError(`--base-url must be an http(s) URL, got "${url.replace(/\/\/.*@/, "//")}"`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw usageError(`--base-url must be an http(s) URL, got "${parsed.protocol}…"`);
  }
  return url.replace(/\/+$/, "");
}

/**
 * `options` with its prompt set loaded (`--prompts FILE` or the config's `prompts:`); the
 * file is read and checked here, before any request is sent.
 */
export async function resolvePrompts(options: LlmOptions): Promise<LlmOptions> {
  if (options.prompts !== undefined) return options;
  return { ...options, prompts: await loadPromptSet(options.promptsFile) };
}
