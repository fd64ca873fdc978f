/**
 * proactive — the data pipeline behind proactive LLM agents, as one executable.
 * This file only dispatches to `src/<command>/command.ts` and maps errors to exit codes.
 */
import denoJson from "./deno.json" with { type: "json" };
import type { Command, CommandContext } from "./src/cli/command.ts";
import { didYouMean } from "./src/cli/did_you_mean.ts";
import { describeError, interruptedError, ProactiveError } from "./src/cli/errors.ts";
import { createLogger } from "./src/cli/logger.ts";

export const VERSION: string = denoJson.version;

/**
 * The command modules by name, in the order the data flows. They are imported on demand:
 * running a command loads its own code only (start-up time matters for `convert`).
 */
const COMMAND_MODULES: Record<string, () => Promise<{ command: Command }>> = {
  serve: () => import("./src/serve/command.ts"),
  convert: () => import("./src/convert/command.ts"),
  reward: () => import("./src/reward/command.ts"),
  scenes: () => import("./src/scenes/command.ts"),
  datagen: () => import("./src/datagen/command.ts"),
  "agent-trainset": () => import("./src/agent_trainset/command.ts"),
  traces: () => import("./src/traces/command.ts"),
  eval: () => import("./src/eval/command.ts"),
  prompts: () => import("./src/prompts/command.ts"),
};

/** Loads the command called `name`, or resolves to undefined for an unknown name. */
export async function loadCommand(name: string): Promise<Command | undefined> {
  if (!Object.hasOwn(COMMAND_MODULES, name)) return undefined;
  return (await COMMAND_MODULES[name]()).command;
}

/** Every command, in the order the data flows (loads all their modules). */
export function loadCommands(): Promise<Command[]> {
  return Promise.all(Object.values(COMMAND_MODULES).map(async (load) => (await load()).command));
}

export function mainHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `proactive ${VERSION} — data pipeline for proactive LLM agents

Usage: proactive <command> [options]

Commands (in the order the data flows):
${lines.join("\n")}

Options:
  -h, --help     Show help (also: proactive <command> --help)
  -V, --version  Show the version
  --verbose      Debug logging; failures print their stack

Run 'proactive <command> --help' for a command's options.
`;
}

export interface MainIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: (name: string) => string | undefined;
  isTerminal: boolean;
  signal: AbortSignal;
  now: () => number;
}

/**
 * The one line printed for a failure. A stage stopped by Ctrl-C or SIGTERM says what it
 * saved (`interruptedError`); one that did not catch its interruption still gets a
 * sentence rather than the runtime's "The signal has been aborted".
 */
export function describeFailure(error: unknown, signal: AbortSignal): string {
  const message = describeError(error);
  if (!signal.aborted || message.startsWith("Interrupted")) return message;
  return interruptedError("what was finished before is kept").message;
}

/** Runs the program with `args`; resolves to the process exit code. */
export async function main(args: string[], io: MainIo): Promise<number> {
  const verbose = args.includes("--verbose");
  const rest = args.filter((a) => a !== "--verbose");
  const [name, ...commandArgs] = rest;

  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    const helpFor = name === "help" ? await loadCommand(commandArgs[0]) : undefined;
    io.stdout(helpFor ? helpFor.help : mainHelp(await loadCommands()));
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-V") {
    io.stdout(`proactive ${VERSION}\n`);
    return 0;
  }
  const command = await loadCommand(name);
  if (!command) {
    const hint = didYouMean(name, [...Object.keys(COMMAND_MODULES), "help"]);
    io.stderr(`proactive: unknown command "${name}"${hint}\n\n${mainHelp(await loadCommands())}`);
    return 2;
  }
  if (commandArgs.includes("--help") || commandArgs.includes("-h")) {
    io.stdout(command.help);
    return 0;
  }

  const ctx: CommandContext = {
    env: io.env,
    stdout: io.stdout,
    logger: createLogger({ verbose, write: io.stderr, timestamps: !io.isTerminal, now: io.now }),
    stderr: io.stderr,
    isTerminal: io.isTerminal,
    signal: io.signal,
    now: io.now,
  };
  try {
    return await command.run(commandArgs, ctx);
  } catch (error) {
    if (error instanceof ProactiveError && error.kind === "usage") {
      io.stderr(`proactive ${command.name}: ${error.message}\n\n${command.help}`);
      return 2;
    }
    io.stderr(`proactive ${command.name}: ${describeFailure(error, io.signal)}\n`);
    if (verbose && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    return 1;
  }
}

if (import.meta.main) {
  const controller = new AbortController();
  const stop = () => controller.abort();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  const encoder = new TextEncoder();
  const writeAll = (file: typeof Deno.stdout, text: string) => {
    const bytes = encoder.encode(text);
    for (let n = 0; n < bytes.length;) n += file.writeSync(bytes.subarray(n));
  };
  const code = await main(Deno.args, {
    stdout: (text) => writeAll(Deno.stdout, text),
    stderr: (text) => writeAll(Deno.stderr, text),
    env: (key) => Deno.env.get(key),
    isTerminal: Deno.stderr.isTerminal(),
    signal: controller.signal,
    now: Date.now,
  });
  Deno.exit(code);
}
