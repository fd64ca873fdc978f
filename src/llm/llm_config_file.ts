/**
 * The optional YAML config of the LLM layer: model aliases and the alias of each role
 * (see `llm_config.ts` for an example). Validated with zod; errors name the file and
 * the field, e.g. `Invalid config "proactive.yaml" at models.gpt.concurrency: …`.
 */
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { inputError, ProactiveError } from "../cli/errors.ts";
import type { ParsedFlags } from "../cli/parse_flags.ts";
import { isMissingFile, readInputText } from "../store/read_input.ts";
import { isCodelinkerPath, parseCodelinkerConfig } from "./codelinker_config.ts";

export const LLM_ROLES = ["default", "scenes", "env", "user", "agent", "reward"] as const;
export type LlmRole = typeof LLM_ROLES[number];

export const DEFAULT_CONFIG_FILE = "proactive.yaml";

const paramsSchema = z.strictObject({
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  max_tokens: z.number().int().positive().optional(),
  max_completion_tokens: z.number().int().positive().optional(),
  presence_penalty: z.number().min(-2).max(2).optional(),
  frequency_penalty: z.number().min(-2).max(2).optional(),
  seed: z.number().int().optional(),
  stop: z.union([z.string(), z.array(z.string())]).optional(),
  extra: z.record(z.string(), z.unknown()).optional(),
});

const envName = z.string().regex(
  /^[A-Za-z_][A-Za-z0-9_]*$/,
  "must be an environment variable name",
);

const httpUrl = z.url({ protocol: /^https?$/ });

const modelSchema = z.strictObject({
  /** One server, or several serving the same model (each request to the least busy). */
  base_url: z.union([
    httpUrl,
    z.array(httpUrl).min(1).refine((urls) => new Set(urls).size === urls.length, {
      error: "lists a server twice",
    }),
  ]).optional(),
  model: z.string().min(1),
  api_key_env: z.union([envName, z.array(envName).min(1)]).optional(),
  params: paramsSchema.optional(),
  concurrency: z.number().int().min(1).max(4096).optional(),
  response_format: z.enum(["json_schema", "json_object", "none"]).optional(),
  seed: z.boolean().optional(),
});

const configSchema = z.strictObject({
  models: z.record(z.string().min(1), modelSchema),
  roles: z.partialRecord(z.enum(LLM_ROLES), z.string()).optional(),
  /** A prompt set file, relative to the config file's folder (`--prompts` wins). */
  prompts: z.string().min(1).optional(),
  /** How `datagen` writes gym logs (`--log-format` wins). */
  log_format: z.enum(["proactive", "reference"]).optional(),
});

/** A model alias; `api_keys` only from a codelinker TOML file (literal keys, secrets). */
export type ConfigModel = z.infer<typeof modelSchema> & { api_keys?: string[] };

export type LlmConfigFile = Omit<z.infer<typeof configSchema>, "models"> & {
  models: Record<string, ConfigModel>;
};

/** A config file's text and where it came from (for error messages). */
export interface ConfigSource {
  path: string;
  text: string;
}

/**
 * Parses and validates a config file; errors name the file and the field. A `.toml` file
 * is the reference's codelinker format (`codelinker_config.ts`; `env` picks its aliases).
 */
export function parseLlmConfig(
  source: ConfigSource,
  env?: (name: string) => string | undefined,
): LlmConfigFile {
  if (isCodelinkerPath(source.path)) return parseCodelinkerConfig(source, env).config;
  let raw: unknown;
  try {
    raw = parseYaml(source.text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw inputError(`Cannot parse config "${source.path}": ${reason}`);
  }
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const at = issue.path.length ? issue.path.join(".") : "(top level)";
    throw inputError(`Invalid config "${source.path}" at ${at}: ${issue.message}`);
  }
  for (const [role, alias] of Object.entries(result.data.roles ?? {})) {
    if (!(alias in result.data.models)) {
      throw inputError(
        `Invalid config "${source.path}" at roles.${role}: "${alias}" is not a model under models`,
      );
    }
  }
  return result.data;
}

/**
 * How `readLlmConfig` reaches the file system (tests pass fakes). `readTextFile` is the
 * one input reader by default; a missing file is a `Deno.errors.NotFound` or an error of
 * that reader (`isMissingFile`).
 */
export interface ConfigReader {
  cwd: string;
  readTextFile: (path: string) => Promise<string>;
}

/**
 * Reads `--config FILE`, else `proactive.yaml` in `cwd` when it exists. A missing
 * `--config` file is an error; a missing `proactive.yaml` is not.
 */
export async function readLlmConfig(
  values: ParsedFlags["values"],
  reader: ConfigReader = { cwd: Deno.cwd(), readTextFile: readConfigText },
): Promise<ConfigSource | undefined> {
  const explicit = typeof values.config === "string" ? values.config : undefined;
  const path = explicit ?? `${reader.cwd.replace(/\/+$/, "")}/${DEFAULT_CONFIG_FILE}`;
  try {
    return { path: explicit ?? DEFAULT_CONFIG_FILE, text: await reader.readTextFile(path) };
  } catch (error) {
    if (explicit === undefined && isMissingFile(error)) return undefined;
    if (error instanceof ProactiveError) throw error; // it names the file already
    const reason = error instanceof Error ? error.message : String(error);
    throw inputError(`Cannot read config "${explicit ?? path}": ${reason}`);
  }
}

/** A config file's text, read by the one input reader. */
function readConfigText(path: string): Promise<string> {
  return readInputText(path, { what: "config" });
}
