/**
 * `eval agent --model A --judge-model R` and `eval judge --model R`: each names a model for
 * one role. A name that is a model alias of the config file (`--config`, or
 * `./proactive.yaml`) takes that model's endpoint; any other name is the model id, sent to
 * the endpoint of the flags and environment (or the config's role). The name also names
 * the folder of the agent's predictions (`<out-dir>/<modelFolder(name)>/`, one folder per
 * name: see `model_folder.ts`).
 */
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { ParsedFlags } from "../cli/parse_flags.ts";
import {
  type ConfigSource,
  type LlmOptions,
  type LlmRole,
  parseLlmConfig,
  parseLlmFlags,
} from "../llm/llm_config.ts";

/** LLM options with one endpoint per role, each from its model name. */
export function parseRoleModels(
  values: ParsedFlags["values"],
  env: (name: string) => string | undefined,
  config: ConfigSource | undefined,
  models: Partial<Record<LlmRole, string>>,
): LlmOptions {
  const aliases = config ? Object.keys(parseLlmConfig(config).models) : [];
  let merged: LlmOptions | undefined;
  for (const [role, name] of Object.entries(models) as [LlmRole, string][]) {
    let source = config;
    let flags: ParsedFlags["values"] = { ...values, model: name };
    if (config && aliases.includes(name)) {
      const raw = parseYaml(config.text) as Record<string, unknown>;
      source = { path: config.path, text: stringifyYaml({ ...raw, roles: { [role]: name } }) };
      flags = { ...values, model: undefined };
    }
    const options = parseLlmFlags(flags, env, { config: source, roles: [role] });
    const endpoint = options.endpoints[role]!;
    if (source === config && endpoint.alias === "default") {
      // A model named by flags: the server at the base URL is the endpoint, so the models
      // named this way share its --concurrency (eval agent --judge-model runs both at once).
      endpoint.alias = name;
      endpoint.limitKey = `flags ${endpoint.baseUrl}`;
    }
    merged = merged ? { ...merged, endpoints: { ...merged.endpoints, [role]: endpoint } } : options;
  }
  if (!merged) throw new Error("parseRoleModels: no role given");
  return merged;
}
