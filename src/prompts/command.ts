/**
 * `proactive prompts`: the prompt sets. `export` writes the built-in set, documented, as
 * the starting point for editing; `show` prints what a set makes the stages send;
 * `import` reads the reference project's prompts from a checkout (`reference_import.ts`).
 *
 * @module
 */
import type { Command, CommandContext } from "../cli/command.ts";
import { usageError } from "../cli/errors.ts";
import { didYouMean } from "../cli/did_you_mean.ts";
import { type FlagDecls, flagTable, parseCommandLine } from "../cli/flags.ts";
import { writeFileAtomic } from "../store/atomic_write.ts";
import { withOutputLocks } from "../store/output_lock.ts";
import { PROMPT_ROLES, ROLE_NAMES, type RoleName } from "./prompt_roles.ts";
import { BUILTIN_PROMPT_SET, loadPromptSet, parsePromptSet, type PromptSet } from "./prompt_set.ts";
import { importReferencePrompts } from "./reference_import.ts";
import { promptSetYaml } from "./prompt_set_yaml.ts";

/** The flags of `proactive prompts` (see `cli/flags.ts`). */
export const FLAGS = {
  out: { kind: "string", value: "FILE", help: "The file export or import writes" },
  prompts: { kind: "string", value: "FILE", help: "The set show prints" },
} as const satisfies FlagDecls;

const HELP = `proactive prompts — the prompt sets: every text sent to a model

Usage:
  proactive prompts export --out FILE
  proactive prompts show [--prompts FILE] [ROLE]
  proactive prompts import DIR --out FILE

Every LLM stage takes --prompts FILE (or "prompts: FILE" in proactive.yaml): a YAML
prompt set replacing any of the texts it sends. A set's name and the SHA-256 of its texts
are in every summary, dataset card and gym setup record; a set other than the built-in
one is part of every cache key, so a changed text never reuses an old answer.

  export   Writes the built-in set to --out (replaced atomically), every role and field
           documented with its stages and placeholders: the starting point for editing.
  show     Prints the texts a set makes the stages send (default: the built-in set),
           for every role or for ROLE, one of:
           ${ROLE_NAMES.join(", ")}.
  import   Reads a checkout DIR of the reference project (ProactiveAgent) — its Python
           files as text; Python is not run — and writes its prompts to --out as a set
           with protocol: reference, named after the checked-out commit. Each text is
           the string Python builds (quotes, escapes, raw strings, concatenation,
           json.dumps of a dict literal); its variables become placeholders. A text it
           cannot find is named and the others are still written (exit status 0); a
           folder without any of the reference's files is an error.

Options:
${flagTable(FLAGS, { column: 19 })}

Examples:
  proactive prompts export --out my_prompts.yaml
  proactive prompts show --prompts my_prompts.yaml reward
  proactive prompts import ../ProactiveAgent --out reference_prompts.yaml
  proactive eval agent --model proactive-7b --prompts reference_prompts.yaml
  proactive eval judge --model reward-7b --prompts my_prompts.yaml
`;

const ACTIONS = ["export", "show", "import"] as const;

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
  await writeSet(out, text, "export", ctx);
  ctx.stdout(`Wrote the built-in prompt set (sha256 ${BUILTIN_PROMPT_SET.hash}) to "${out}"\n`);
  return 0;
}

async function writeSet(
  out: string,
  text: string,
  action: string,
  ctx: CommandContext,
): Promise<void> {
  await withOutputLocks([{ path: out, kind: "file" }], {
    command: `proactive prompts ${action}`,
    signal: ctx.signal,
    logger: ctx.logger,
  }, () => writeFileAtomic(out, text));
}

async function importSet(dir: string, out: string, ctx: CommandContext): Promise<number> {
  const found = await importReferencePrompts(dir);
  const text = promptSetYaml(found.document);
  // The set must read back as what the stages will load: a failure here is a bug of the
  // import, reported before anything is written.
  const set = parsePromptSet(text, out);
  await writeSet(out, text, "import", ctx);
  for (const { field, reason } of found.missing) {
    ctx.logger.warn(`Not imported: ${field}: ${reason}`);
  }
  const total = found.imported + found.missing.length;
  ctx.stdout(
    `Imported ${found.imported} of ${total} texts from "${dir}" as the prompt set "${set.name}" ` +
      `(protocol reference, sha256 ${set.hash}) to "${out}"` +
      (found.missing.length > 0
        ? `; not found: ${found.missing.map((m) => m.field).join(", ")}\n`
        : "\n"),
  );
  return 0;
}

export const command: Command = {
  name: "prompts",
  summary: "Export, show and import the prompt sets: every text sent to a model",
  help: HELP,
  flags: FLAGS,
  async run(args, ctx) {
    const { flags, positionals } = parseCommandLine(args, FLAGS, { positionals: 2 });
    const [action, role] = positionals;
    if (action === undefined) throw usageError(`Say what to do: ${ACTIONS.join(", ")}`);
    if (!(ACTIONS as readonly string[]).includes(action)) {
      throw usageError(`Unknown action "${action}"${didYouMean(action, ACTIONS)}`);
    }
    if (action === "export" || action === "import") {
      const out = flags.out;
      if (out === undefined) throw usageError(`prompts ${action} needs --out FILE`);
      if (action === "export") {
        if (role !== undefined) throw usageError(`Unexpected argument "${role}"`);
        return exportSet(out, ctx);
      }
      if (role === undefined) throw usageError("prompts import needs the checkout's folder DIR");
      return importSet(role, out, ctx);
    }
    if (role !== undefined && !Object.hasOwn(PROMPT_ROLES, role)) {
      throw usageError(`Unknown role "${role}"${didYouMean(role, ROLE_NAMES)}`);
    }
    ctx.stdout(showPromptSet(await loadPromptSet(flags.prompts), role as RoleName | undefined));
    return 0;
  },
};
