/**
 * Everything a stage needs from the LLM layer, built once in its `run()`. How a command
 * uses the layer:
 *
 * ```ts
 * // command.ts — flags, help and a pure options parser
 * const FLAGS = { ...LLM_FLAGS, in: { kind: "string", value: "FILE", help: "…" } } as const;
 * const help = `proactive reward [options]\n…\n${LLM_FLAGS_HELP}`;
 * export function parseRewardOptions(args, env, config?: ConfigSource) {
 *   const { flags, raw } = parseCommandLine(args, FLAGS);
 *   return { input: flags.in, llm: parseLlmFlags(raw, env, { config, roles: ["reward"] }) };
 * }
 * // run(): read the config, build the runtime, work, report
 * const config = await readLlmConfig(parseCommandLine(args, FLAGS).raw);
 * const options = parseRewardOptions(args, ctx.env, config);
 * const llm = createLlmRuntime(options.llm, { logger: ctx.logger, signal: ctx.signal });
 * const client = llm.client("reward");
 * const [value] = await client.chatJson(Schema, messages, { temperature: 0 }, {
 *   cacheTag: `attempt-${k}`, // a retried item gets a fresh sample, not the cached one:
 * });                          // the tag is in the cache key and in the derived seed sent
 * // per-item accounting besides the shared stats: requests sent (0 from the cache), tokens
 * await client.chatJson(Schema, messages, {}, { onUsage: (u) => item.requests += u.requests });
 * const progress = createCommandProgress(ctx, items.length, "reward"); // tick() per item
 * ctx.stdout(llm.stats.formatStats());   // accounting at the end of the stage
 * summary.llm = llm.stats.toJSON();      // and in the JSON summary beside the output
 * ```
 *
 * Roles that resolve to the same endpoint share one client; one server pool per endpoint
 * (alias and servers, or its `limitKey`: its concurrency limiter and, for an alias with
 * several `base_url`s, which server takes each request, `server_pool.ts`) is shared by all
 * its clients, and logs a server set aside or back; one cache and one stats object serve
 * them all.
 */
import { runtimeError } from "../cli/errors.ts";
import type { Logger } from "../cli/logger.ts";
import { type CompletionCache, openCompletionCache } from "./completion_cache.ts";
import { createLlmClient, type LlmClient, type LlmClientDeps, serverUrls } from "./llm_client.ts";
import { displayUrl } from "./redact.ts";
import { ServerPool, type ServerPoolOptions } from "./server_pool.ts";
import type { LlmOptions, LlmRole } from "./llm_config.ts";
import { LlmStats, type LlmStatsOptions } from "./llm_stats.ts";
import { type PromptSet, promptsOf } from "../prompts/prompt_set.ts";

export interface LlmRuntime {
  /** The client of `role`; the role must be among those given to `parseLlmFlags`. */
  client(role: LlmRole): LlmClient;
  readonly stats: LlmStats;
  readonly cache: CompletionCache;
  /** The stage's prompt set (`LlmOptions.prompts`, else the built-in one). */
  readonly prompts: PromptSet;
}

export type LlmRuntimeDeps =
  & {
    logger: Logger;
    /**
     * The completion cache to use instead of the one of `options.cacheDir` (a shared one,
     * e.g. in the work store's database: `store/work_store.ts`).
     */
    cache?: CompletionCache;
    /** Told of every change of the accounting (a usage journal's `record`). */
    onUsage?: LlmStatsOptions["onAdd"];
  }
  & Pick<LlmClientDeps, "now" | "sleep" | "random" | "signal" | "backoff" | "fetch">;

export function createLlmRuntime(options: LlmOptions, deps: LlmRuntimeDeps): LlmRuntime {
  for (const note of options.configNotes ?? []) {
    if (note.includes(": ignored ")) deps.logger.warn(note);
    else deps.logger.info(note);
  }
  const stats = new LlmStats({ onAdd: deps.onUsage });
  const prompts = promptsOf(options);
  const cache = deps.cache ??
    openCompletionCache({ dir: options.cacheDir, logger: deps.logger, now: deps.now });
  const pools = new Map<string, ServerPool>();
  const clients = new Map<string, LlmClient>();
  return {
    stats,
    cache,
    prompts,
    client(role) {
      const endpoint = options.endpoints[role];
      if (!endpoint) {
        throw runtimeError(`No LLM endpoint was configured for role "${role}"`);
      }
      const urls = serverUrls(endpoint);
      const endpointId = endpoint.limitKey ?? JSON.stringify([endpoint.alias, urls]);
      const clientId = JSON.stringify([endpoint.alias, urls, endpoint.model]);
      let client = clients.get(clientId);
      if (!client) {
        let pool = pools.get(endpointId);
        if (!pool) {
          pool = new ServerPool({
            urls,
            concurrency: endpoint.concurrency,
            now: deps.now,
            onChange: poolLog(endpoint.alias, deps),
          });
          pools.set(endpointId, pool);
        }
        client = createLlmClient({
          ...deps,
          endpoint,
          settings: options,
          cache,
          stats,
          pool,
          ...(prompts.builtin ? {} : { promptsTag: prompts.hash.slice(0, 16) }),
        });
        clients.set(clientId, client);
      }
      return client;
    },
  };
}

/** Logs a server of `alias` set aside (a warning) or back. */
function poolLog(
  alias: string,
  { logger, now = Date.now }: Pick<LlmRuntimeDeps, "logger" | "now">,
): ServerPoolOptions["onChange"] {
  return (server, change) => {
    const name = `Server ${displayUrl(server.url)} of "${alias}"`;
    if (change === "back") return logger.info(`${name} is back`);
    const seconds = Math.round((server.asideUntil - now()) / 1000);
    logger.warn(
      `${name} is not answering (${server.failures} failure(s) in a row): its requests go to ` +
        `the others for ${seconds} s`,
    );
  };
}
