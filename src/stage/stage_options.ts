/**
 * The options of an LLM command, ready before its first request: `readStageOptions` reads
 * the config (`--config FILE`, else `./proactive.yaml`), parses the command line with the
 * command's own pure parser, and loads and checks the prompt set (`--prompts FILE` or the
 * config's `prompts:`), so a bad config or prompt set fails before anything is sent.
 *
 * `stageOptions` builds a command's parser from its declarations: the command maps its
 * typed flags to its own options, and gets `onBusy` (`--wait`) and `llm` (the LLM flags,
 * the environment and the config, for its roles) added.
 *
 * @example
 * ```ts
 * const TRACES_OPTIONS = stageOptions({
 *   flags: FLAGS,
 *   roles: ["agent"],
 *   options: (flags) => ({ logs: flags.logs, out: flags.out }),
 * });
 * export const parseTracesOptions = TRACES_OPTIONS.parse; // pure: tests call it
 * const options = await readStageOptions(args, ctx.env, TRACES_OPTIONS); // in run()
 * ```
 *
 * @module
 */
import { type FlagDecls, type FlagValues, parseCommandLine } from "../cli/flags.ts";
import type { ParsedFlags } from "../cli/parse_flags.ts";
import {
  type ConfigSource,
  type LlmOptions,
  type LlmRole,
  parseLlmFlags,
  resolvePrompts,
} from "../llm/llm_config.ts";
import { readLlmConfig } from "../llm/llm_config_file.ts";
import { busyPolicyOf } from "../store/output_lock.ts";
import type { BusyPolicy } from "../store/process_lock.ts";

/** How a command reads its options. */
export interface StageOptionsReader<O extends { llm: LlmOptions }> {
  /** The command's flag declarations (only `--config` is read before `parse`). */
  flags: FlagDecls;
  /** Positional arguments the command takes (default 0). */
  positionals?: number;
  /** The command's pure parser: flags, environment and config to its options. */
  parse(
    args: string[],
    env: (name: string) => string | undefined,
    config?: ConfigSource,
  ): O;
}

/** The command's options with the prompt set loaded (see the module doc). */
export async function readStageOptions<O extends { llm: LlmOptions }>(
  args: string[],
  env: (name: string) => string | undefined,
  reader: StageOptionsReader<O>,
): Promise<O> {
  const { raw } = parseCommandLine(args, reader.flags, { positionals: reader.positionals });
  const parsed = reader.parse(args, env, await readLlmConfig(raw));
  return { ...parsed, llm: await resolvePrompts(parsed.llm) };
}

/** The options every stage has besides its own. */
export interface StageCommonOptions {
  /** `--wait`: when another run writes the same output, wait for it (else exit naming it). */
  onBusy?: BusyPolicy;
  llm: LlmOptions;
}

/** How a command's own options come from its flags (see `stageOptions`). */
export interface StageOptionsSpec<D extends FlagDecls, O extends StageCommonOptions> {
  flags: D;
  positionals?: number;
  /** The LLM roles the command uses; each must resolve to an endpoint. */
  roles: readonly LlmRole[] | ((flags: FlagValues<D>) => readonly LlmRole[]);
  /** The values the LLM layer reads, when the command renames one (default: as given). */
  llmValues?: (raw: ParsedFlags["values"]) => ParsedFlags["values"];
  /** The command's own options; usage errors throw. */
  options(
    flags: FlagValues<D>,
    parsed: { positionals: string[]; config?: ConfigSource },
  ): Omit<O, keyof StageCommonOptions>;
}

/** A command's pure parser from its declarations (see the module doc). */
export function stageOptions<D extends FlagDecls, O extends StageCommonOptions>(
  spec: StageOptionsSpec<D, O>,
): StageOptionsReader<O> {
  return {
    flags: spec.flags,
    positionals: spec.positionals,
    parse(args, env, config) {
      const { flags, raw, positionals } = parseCommandLine(args, spec.flags, {
        positionals: spec.positionals,
      });
      const own = spec.options(flags, { positionals, config });
      const roles = typeof spec.roles === "function" ? spec.roles(flags) : spec.roles;
      const values = spec.llmValues?.(raw) ?? raw;
      const wait = (flags as { wait?: boolean }).wait;
      return {
        ...own,
        ...(wait === undefined ? {} : { onBusy: busyPolicyOf({ wait }) }),
        llm: parseLlmFlags(values, env, { config, roles }),
      } as O;
    },
  };
}
