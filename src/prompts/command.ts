/**
 * `proactive prompts`: the prompt sets. `export` writes the built-in set, documented, as
 * the starting point for editing; `show` prints what a set makes the stages send.
 *
 * @module
 */
import type { Command, CommandContext } from "../cli/command.ts";
import { usageError } from "../cli/errors.ts";
import { didYouMean } from "../cli/did_you_mean.ts";
import { nonEmptyFlag, parseFlags, stringFlag } from "../cli/parse_flags.ts";
import { writeFileAtomic } from "../store/atomic_write.ts";
import { withOutputLocks } from "../store/output_lock.ts";
import { PROMPT_ROLES, ROLE_NAMES, type RoleName } from "./prompt_roles.ts";
import { BUILTIN_PROMPT_SET, loadPromptSet, type PromptSet } from "./prompt_set.ts";
import { promptSetYaml } from "./prompt_set_yaml.ts";

const HELP = `proactive prompts — the prompt sets: every text sent to a model

Usage:
  proactive prompts export --out FILE
  proactive prompts show [--prompts FILE] [ROLE]

Every LLM stage takes --prompts FILE (or "prompts: FILE" in proactive.yaml): a YAML
prompt set replacing any of the texts it sends. A set's name and the SHA-256 of its texts
are in every summary, dataset card and gym setup record; a set other than the built-in
one is part of every cache key, so a changed text never reuses an old answer.

  export   Writes the built-in set to --out (replaced atomically), every role and field
           documented with its stages and placeholders: the starting point for editing.
  show     Prints the texts a set makes the stages send (default: the built-in set),
           for every role or for ROLE (${ROLE_NAMES.join(", ")}).

Options:
  --out FILE       The file export writes
  --prompts FILE   The set show prints
  -h, --help       Show this help

Examples:
  proactive prompts export --out my_prompts.yaml
  proactive prompts show --prompts my_prompts.yaml reward
  proactive eval judge --model reward-7b --prompts my_prompts.yaml
`;

const FLAGS = {
  out: { type: "string" },
  prompts: { type: "string" },
} as const;

const ACTIONS = ["export", "show"] as const;

/** The text `show` prints for `set` (all roles, or one). */
export function showPromptSet(set: PromptSet, role?: RoleName): string {
  const { name, protocol, hash, file } = set.label;
  const lines = [
    `# prompt set "${name}" (protocol ${protocol}, sha256 ${hash}${file ? `, from ${file}` : ""})`,
  ];
  const values = set.values();
  for (const r of role ? [role] : ROLE_NAMES) {
    for (const [field, value] of Object.entries(values[r] ?? {})) {
      const own = set.sets(r, field as never) ? "" : " (built-in)";
      lines.push("", `## ${r}.${field}${own}`);
      lines.push(typeof value === "string" ? value : JSON.stringify(value, null, 2));
    }
  }
  return lines.join("\n") + "\n";
}

async function exportSet(out: string, ctx: CommandContext): Promise<number> {
  const text = promptSetYaml({
    name: "builtin",
    protocol: "proactive",
    roles: BUILTIN_PROMPT_SET.values() as Record<string, Record<string, unknown>>,
  });
  await withOutputLocks([{ path: out, kind: "file" }], {
    command: "proactive prompts export",
    signal: ctx.signal,
    logger: ctx.logger,
  }, () => writeFileAtomic(out, text));
  ctx.stdout(`Wrote the built-in prompt set (sha256 ${BUILTIN_PROMPT_SET.hash}) to "${out}"\n`);
  return 0;
}

export const command: Command = {
  name: "prompts",
  summary: "Export, show (and import) the prompt sets: every text sent to a model",
  help: HELP,
  async run(args, ctx) {
    const { values, positionals } = parseFlags(args, FLAGS, { positionals: 2 });
    const [action, role] = positionals;
    if (action === undefined) throw usageError(`Say what to do: ${ACTIONS.join(", ")}`);
    if (!(ACTIONS as readonly string[]).includes(action)) {
      throw usageError(`Unknown action "${action}"${didYouMean(action, ACTIONS)}`);
    }
    if (action === "export") {
      if (role !== undefined) throw usageError(`Unexpected argument "${role}"`);
      const out = nonEmptyFlag("out", stringFlag(values, "out"));
      if (out === undefined) throw usageError("prompts export needs --out FILE");
      return exportSet(out, ctx);
    }
    if (role !== undefined && !Object.hasOwn(PROMPT_ROLES, role)) {
      throw usageError(`Unknown role "${role}"${didYouMean(role, ROLE_NAMES)}`);
    }
    const file = nonEmptyFlag("prompts", stringFlag(values, "prompts"));
    ctx.stdout(showPromptSet(await loadPromptSet(file), role as RoleName | undefined));
    return 0;
  },
};
