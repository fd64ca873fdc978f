/**
 * The `proactive serve` command: its help text, its flags and environment variables
 * (`PROACTIVE_PORT`, `PROACTIVE_HOST`, `PROACTIVE_DATA`, `PROACTIVE_PASSWORD`), and `run`,
 * which `main.ts` loads for `proactive serve`. `parseServeOptions` is the pure parser into
 * `ServeOptions` (the browser tests' harness uses it too); `securityWarnings` words the
 * warnings about the default password, plain HTTP off loopback, an unchecked `Host` and
 * `--trust-proxy` (never containing the password). `run` starts the server (`startServer`,
 * `serve_server.ts`), prints "Listening on URL", waits for the abort signal (Ctrl-C or
 * SIGTERM) and shuts down; it exits 1 when result files are still stale.
 *
 * @module
 */
import { join } from "node:path";
import type { Command, CommandContext } from "../cli/command.ts";
import { usageError } from "../cli/errors.ts";
import { type FlagDecls, flagTable, parseCommandLine } from "../cli/flags.ts";
import { hostNameOf, isLoopbackHost } from "./host_check.ts";
import { type ServeOptions, startServer } from "./serve_server.ts";
import { DEFAULT_HELP_CHECKPOINTS } from "./trace_catalog.ts";

export const DEFAULT_PASSWORD = "password";
const DEFAULT_RECLAIM_MS = 2 * 3600 * 1000;

/** The flags of `proactive serve`, each declared once (see `cli/flags.ts`). */
export const FLAGS = {
  port: {
    kind: "integer",
    value: "N",
    default: 7860,
    min: 0,
    max: 65535,
    env: "PROACTIVE_PORT",
    help: ["Port to listen on; 0 picks a free one", "(default 7860, env PROACTIVE_PORT)"],
  },
  host: {
    kind: "string",
    value: "ADDR",
    default: "127.0.0.1",
    env: "PROACTIVE_HOST",
    help: [
      "Address to listen on (default 127.0.0.1, env PROACTIVE_HOST);",
      "anything but loopback exposes the server to the network",
    ],
  },
  data: {
    kind: "string",
    value: "DIR",
    env: "PROACTIVE_DATA",
    help: [
      "Trace files (*.json except splits.json; empty_*.json are",
      "help-mode traces) (default: the 12 embedded ProactiveBench",
      "traces and a help-mode one made from code_11; env PROACTIVE_DATA)",
    ],
  },
  out: {
    kind: "string",
    value: "DIR",
    default: "result",
    help: [
      "Result folder, created if missing (default result); labels a",
      "result file holds but the store lacks are imported at start-up",
    ],
  },
  password: {
    kind: "string",
    value: "TEXT",
    default: DEFAULT_PASSWORD,
    env: "PROACTIVE_PASSWORD",
    help: [
      "Shared annotator password (env PROACTIVE_PASSWORD; default",
      `"${DEFAULT_PASSWORD}" as in the reference, with a warning)`,
    ],
  },
  "admin-password": {
    kind: "string",
    value: "TEXT",
    env: "PROACTIVE_ADMIN_PASSWORD",
    help: [
      "Logging in with it opens the admin pages (/status: progress,",
      "every annotator, agreement); env PROACTIVE_ADMIN_PASSWORD;",
      "without it they are off. Must differ from --password",
    ],
  },
  guidelines: {
    kind: "string",
    value: "FILE.md",
    help: [
      "Annotation guidelines (Markdown), shown before the first trace",
      "and behind the ? button; its HTML is shown as text, no remote",
      "content is loaded",
    ],
  },
  "annotators-per-trace": {
    kind: "integer",
    value: "N",
    default: 3,
    min: 1,
    max: 1000,
    help: "Most annotators per trace, done + in progress (default 3)",
  },
  "reclaim-after": {
    kind: "duration",
    value: "DURATION",
    default: DEFAULT_RECLAIM_MS,
    help: [
      "Release an unfinished trace whose annotator submitted nothing",
      "for this long, e.g. 90m, 2h; 0 never releases (default 2h)",
    ],
  },
  kv: {
    kind: "string",
    value: "PATH",
    help: [
      "Deno KV store file (default <out>/.state/serve.kv); one server",
      "per --out and per --kv (locks <out>/.state/serve.lock, <kv>.lock)",
    ],
  },
  "help-checkpoints": {
    kind: "string",
    value: "LIST",
    help: [
      "0-based turns asked in help-mode traces; turns past a",
      `trace's end are skipped (default ${DEFAULT_HELP_CHECKPOINTS.join(",")})`,
    ],
  },
  cert: {
    kind: "string",
    value: "FILE",
    label: "--cert FILE --key FILE",
    help: [
      "Serve HTTPS with this PEM certificate (chain) and private",
      "key; session cookies are then marked Secure",
    ],
  },
  key: { kind: "string", value: "FILE", hidden: true, help: "The private key of --cert" },
  "trust-proxy": {
    kind: "boolean",
    help: [
      "Behind a reverse proxy: take the client address from the",
      "last X-Forwarded-For entry and the scheme (https → Secure",
      "cookies) from X-Forwarded-Proto. Off by default: without a",
      "proxy in front, clients could forge these headers",
    ],
  },
  "allowed-hosts": {
    kind: "string",
    value: "LIST",
    help: [
      "Host names the server answers, comma-separated (DNS",
      "rebinding protection). On a loopback --host only localhost,",
      "127.0.0.0/8 and [::1] are answered, plus LIST; on any other",
      "--host exactly LIST, or every name (with a warning) without it",
    ],
  },
} as const satisfies FlagDecls;

const HELP = `proactive serve — web annotation server

Usage: proactive serve [options]

Annotators log in with any username and the shared password, get a trace, and label its
questions step by step in the browser. Labels live in a Deno KV store and are mirrored as
one result file per trace (<out>/<trace>.json, the reference result format).

Options:
${flagTable(FLAGS, { column: 30 })}

Logins: usernames are case-folded (Alice = alice); 5 wrong passwords for one username, or
20 from one client address, within 15 minutes lock it (HTTP 429) until 15 minutes after
its first failure.

The server prints "Listening on http://HOST:PORT/" (https:// with --cert) once it is ready
and stops cleanly on Ctrl-C (SIGINT) or SIGTERM; it exits 1 when result files could not
be written (they are retried meanwhile and listed by GET /api/health, 503). Admins (log in
on the same page with --admin-password) see /status: progress, every annotator and the
agreement; annotators never see one another. JSON API: see README.md.

Examples:
  PROACTIVE_PASSWORD=s3cret proactive serve --port 7860 --out result
  PROACTIVE_PASSWORD=s3cret PROACTIVE_ADMIN_PASSWORD=lead-only proactive serve --out result
  proactive serve --guidelines guidelines.md --data my_traces/
  proactive serve --host 0.0.0.0 --cert cert.pem --key key.pem --allowed-hosts annot.lab
  proactive serve --trust-proxy --allowed-hosts annotate.example.org  # behind nginx/Caddy
`;

/** Parses `--help-checkpoints` ("3,7,10,14") into sorted unique turn numbers. */
export function parseCheckpoints(raw: string): number[] {
  const parts = raw.split(",").map((p) => p.trim());
  if (parts.some((p) => !/^\d{1,6}$/.test(p))) {
    throw usageError(
      `--help-checkpoints must be comma-separated turn numbers such as 3,7,10,14, got "${raw}"`,
    );
  }
  return [...new Set(parts.map(Number))].sort((a, b) => a - b);
}

/** The serve options from the command line and the environment (pure; tests call it). */
export function parseServeOptions(
  args: string[],
  env: (name: string) => string | undefined,
): ServeOptions {
  const { flags, sourceOf } = parseCommandLine(args, FLAGS, { env });
  const kvPath = flags.kv ?? join(flags.out, ".state", "serve.kv");
  const helpCheckpoints = flags.helpCheckpoints === undefined
    ? [...DEFAULT_HELP_CHECKPOINTS]
    : parseCheckpoints(flags.helpCheckpoints);
  if (flags.adminPassword !== undefined && flags.adminPassword === flags.password) {
    throw usageError("--admin-password must differ from the annotators' password");
  }
  const { cert: certFile, key: keyFile } = flags;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw usageError("--cert and --key go together: give both files or neither");
  }
  return {
    port: flags.port,
    host: flags.host,
    dataDir: flags.data,
    outDir: flags.out,
    password: flags.password,
    passwordSource: sourceOf("password"),
    ...(flags.adminPassword === undefined ? {} : { adminPassword: flags.adminPassword }),
    ...(flags.guidelines === undefined ? {} : { guidelinesFile: flags.guidelines }),
    annotatorsPerTrace: flags.annotatorsPerTrace,
    reclaimAfterMs: flags.reclaimAfter,
    kvPath,
    helpCheckpoints,
    trustProxy: flags.trustProxy,
    allowedHosts: parseAllowedHosts(flags.allowedHosts),
    ...(certFile && keyFile ? { tls: { certFile, keyFile } } : {}),
  };
}

/** Parses `--allowed-hosts` ("a.example,b.example:8443") into host names (ports dropped). */
export function parseAllowedHosts(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  const names = raw.split(",").map((part) => part.trim()).filter((part) => part !== "");
  const bad = names.find((name) => hostNameOf(name) === undefined);
  if (names.length === 0 || bad !== undefined) {
    throw usageError(
      `--allowed-hosts must be comma-separated host names such as annotate.example.org,10.0.0.5, got "${raw}"`,
    );
  }
  return [...new Set(names.map((name) => hostNameOf(name)!))];
}

export { isLoopbackHost };

/** Warnings about the password and the listening address (never containing the password). */
export function securityWarnings(options: ServeOptions): string[] {
  const warnings: string[] = [];
  const isDefault = options.passwordSource === "default";
  const loopback = isLoopbackHost(options.host);
  if (!loopback && !options.tls && !options.trustProxy) {
    const bar = "!".repeat(72);
    warnings.push(
      bar,
      `!!! The server listens on ${options.host}, reachable from other machines, over plain HTTP.`,
      isDefault
        ? "!!! It uses the DEFAULT password: anyone who can reach it can log in and label."
        : "!!! Passwords and session cookies cross the network unencrypted.",
      isDefault
        ? "!!! Set --password or PROACTIVE_PASSWORD, or listen on 127.0.0.1."
        : "!!! Use --cert/--key, an SSH tunnel or an HTTPS reverse proxy (--trust-proxy).",
      bar,
    );
  } else if (isDefault) {
    warnings.push(
      "Using the default password; set --password or PROACTIVE_PASSWORD before sharing this server",
    );
  }
  if (!loopback && options.allowedHosts.length === 0) {
    warnings.push(
      `Every Host name is answered on ${options.host}; set --allowed-hosts to the names annotators use (protects against DNS rebinding)`,
    );
  }
  if (!loopback && options.trustProxy) {
    warnings.push(
      `--trust-proxy while listening on ${options.host}: clients that reach the server directly can forge X-Forwarded-For; listen on 127.0.0.1 behind the proxy`,
    );
  }
  return warnings;
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
}

export const command: Command = {
  name: "serve",
  summary: "Web annotation server: annotators label agent traces in the browser",
  help: HELP,
  flags: FLAGS,
  async run(args: string[], ctx: CommandContext): Promise<number> {
    const options = parseServeOptions(args, ctx.env);
    for (const warning of securityWarnings(options)) ctx.logger.warn(warning);
    const server = await startServer(options, { logger: ctx.logger, now: ctx.now });
    ctx.stdout(`Listening on ${server.url}\n`);
    await aborted(ctx.signal);
    ctx.logger.info("Stopping (signal received)...");
    const { stale } = await server.shutdown();
    return stale.length > 0 ? 1 : 0;
  },
};
