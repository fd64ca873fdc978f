/**
 * Every command's help against its flag declarations (`src/cli/flags.ts`), in one loop:
 * each declared flag has its row (or, when hidden, a mention), each row names a declared
 * flag, defaults and environment variables are shown, and each flag parses.
 */
import { loadCommands } from "../main.ts";
import type { Command } from "../src/cli/command.ts";
import { camelCase, type FlagDecl, type FlagDecls, parseCommandLine } from "../src/cli/flags.ts";
import { assert, assertEquals } from "./assert.ts";

const commands = await loadCommands();

/** A command's flag sets by usage: `eval reward`, `eval agent`, … or the command's name. */
function flagSets(command: Command): [string, FlagDecls][] {
  const flags = command.flags as Record<string, FlagDecl | FlagDecls>;
  const first = Object.values(flags)[0];
  if (first !== undefined && typeof (first as FlagDecl).kind === "string") {
    return [[command.name, command.flags as FlagDecls]];
  }
  return Object.entries(flags as Record<string, FlagDecls>).map((
    [target, decls],
  ) => [`${command.name} ${target}`, decls]);
}

/** The table rows of a help text: indented lines that start with a flag, before examples. */
function rowFlags(help: string): string[] {
  const tables = help.split(/^Examples?:$/m)[0];
  return [...tables.matchAll(/^ {2,4}(--[a-z][a-z0-9-]*)(?= |$)/gm)].map((m) => m[1]);
}

/** A value each kind accepts, within the declaration's bounds. */
function sampleValue(decl: FlagDecl): string {
  switch (decl.kind) {
    case "integer":
    case "number":
      return String(Math.min(decl.max ?? Infinity, Math.max(decl.min ?? 0, 1)));
    case "bigint":
      return "7";
    case "duration":
      return "1m";
    case "choice":
      return decl.choices[decl.choices.length - 1];
    default:
      return "sample";
  }
}

/** The flags that must be given, with values. */
function requiredArgs(decls: FlagDecls): string[] {
  return Object.entries(decls).flatMap(([name, decl]) =>
    decl.kind === "string" && decl.required !== undefined ? [`--${name}`, "given"] : []
  );
}

for (const command of commands) {
  Deno.test(`${command.name} --help: one row per declared flag, each flag parses`, () => {
    const sets = flagSets(command);
    const declared = new Set(sets.flatMap(([, decls]) => Object.keys(decls)));
    for (const flag of rowFlags(command.help)) {
      assert(declared.has(flag.slice(2)), `${command.name} --help has a row for ${flag}`);
    }
    for (const [usage, decls] of sets) {
      for (const [name, decl] of Object.entries(decls)) {
        const where = `${usage} --${name}`;
        assert(command.help.includes(`--${name}`), `${where} is in the help`);
        if (decl.env !== undefined) assert(command.help.includes(decl.env), `${where}: env`);
        const shown = decl.kind === "string" || decl.kind === "integer" ||
          decl.kind === "choice" || decl.kind === "bigint";
        if (shown && decl.default !== undefined) {
          assert(command.help.includes(String(decl.default)), `${where}: its default`);
        }
        const args = decl.kind === "boolean" ? [`--${name}`] : [`--${name}`, sampleValue(decl)];
        const { flags } = parseCommandLine([...requiredArgs(decls), ...args], decls);
        const value = (flags as Record<string, unknown>)[camelCase(name)];
        assert(value !== undefined && value !== false, `${where} parses to a value`);
      }
    }
    for (const line of command.help.split("\n")) {
      assert(line.length <= 100, `${command.name} --help line: ${line}`);
    }
    assert(/^Examples?:$/m.test(command.help), `${command.name} --help has examples`);
  });
}

Deno.test("no flag has two rows in one help table", () => {
  for (const command of commands) {
    for (const [, decls] of flagSets(command)) {
      const rows = rowFlags(command.help).filter((flag) => Object.hasOwn(decls, flag.slice(2)));
      const twice = rows.filter((flag, i) => rows.indexOf(flag) !== i);
      // eval's sections each list their own flags; a flag shared by two targets is
      // listed once per section, never twice within one command's flag set.
      if (flagSets(command).length === 1) assertEquals(twice, [], command.name);
    }
  }
});
