/**
 * Test support: a throwaway PostgreSQL cluster. `initdb` into a temporary folder (as the
 * `postgres` user when the tests run as root, since PostgreSQL refuses to run as root),
 * `pg_ctl` on a free port of 127.0.0.1 with its unix socket in that folder, trust
 * authentication, no fsync; `close()` stops it and removes the folder. `stop()` /
 * `start()` take it down and up again on the same port (connection-loss tests); `kill()`
 * stops it the hard way (`pg_ctl -m immediate`).
 *
 * `postgresMissing()` says why the PostgreSQL tests cannot run here (no `initdb` found),
 * or undefined; with `PROACTIVE_REQUIRE_POSTGRES=1` (set by `.ci/run`) a missing
 * PostgreSQL is an error instead, so CI never skips them.
 *
 * ```ts
 * Deno.test({ name: "…", ignore: postgresMissing() !== undefined, fn: async () => {
 *   await using cluster = await startPostgresCluster();
 *   const sql = postgres(cluster.url);
 * } });
 * ```
 */
import { join } from "node:path";

export interface PostgresCluster extends AsyncDisposable {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust: no password). */
  readonly url: string;
  readonly port: number;
  /** Stops the server (fast shutdown); `start()` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server at once, as a crash would (`-m immediate`). */
  kill(): Promise<void>;
  /** Stops the server and removes its folder. */
  close(): Promise<void>;
}

/** The folder of `initdb` and `pg_ctl`, or undefined when PostgreSQL is not installed. */
export function postgresBinDir(): string | undefined {
  const candidates: string[] = [];
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) candidates.push(dir);
  try {
    const versions = [...Deno.readDirSync("/usr/lib/postgresql")].map((e) => e.name)
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) candidates.push(`/usr/lib/postgresql/${version}/bin`);
  } catch {
    // not Debian's layout
  }
  return candidates.find((dir) => {
    try {
      return Deno.statSync(join(dir, "initdb")).isFile && Deno.statSync(join(dir, "pg_ctl")).isFile;
    } catch {
      return false;
    }
  });
}

/** Why the PostgreSQL tests cannot run here, or undefined when they can. */
export function postgresMissing(): string | undefined {
  if (postgresBinDir() !== undefined) return undefined;
  const why = "PostgreSQL is not installed (no initdb): the PostgreSQL tests are skipped";
  if (Deno.env.get("PROACTIVE_REQUIRE_POSTGRES") === "1") {
    throw new Error(`${why}, but PROACTIVE_REQUIRE_POSTGRES=1 requires them`);
  }
  console.error(why);
  return why;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Runs a PostgreSQL program, as `postgres` when this process is root. */
async function runAs(asPostgres: boolean, program: string, args: string[]): Promise<void> {
  const command = asPostgres
    ? new Deno.Command("runuser", { args: ["-u", "postgres", "--", program, ...args] })
    : new Deno.Command(program, { args });
  const { code, stdout, stderr } = await command.output();
  if (code !== 0) {
    const text = new TextDecoder().decode(new Uint8Array([...stdout, ...stderr]));
    throw new Error(`${program} ${args.join(" ")} failed (${code}): ${text.trim()}`);
  }
}

/** Starts a fresh cluster (see the module doc). */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  if (!bin) throw new Error("PostgreSQL is not installed (no initdb found)");
  const asPostgres = Deno.uid() === 0;
  const dir = await Deno.makeTempDir({ prefix: "proactive_pg_" });
  const data = join(dir, "data");
  if (asPostgres) {
    const { stdout } = await new Deno.Command("id", { args: ["-u", "postgres"] }).output();
    const uid = Number(new TextDecoder().decode(stdout).trim());
    await Deno.chown(dir, uid, null);
  }
  const port = freePort();
  const pgCtl = join(bin, "pg_ctl");
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off ` +
    "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200";
  const start = () =>
    runAs(asPostgres, pgCtl, ["-D", data, "-o", options, "-l", join(dir, "log"), "-w", "start"]);
  const stopWith = (mode: string) =>
    runAs(asPostgres, pgCtl, ["-D", data, "-m", mode, "-w", "stop"]);
  let running = false;
  try {
    await runAs(asPostgres, join(bin, "initdb"), [
      "-D",
      data,
      "-A",
      "trust",
      "-U",
      "postgres",
      "-E",
      "UTF8",
      "--no-sync",
    ]);
    await start();
    running = true;
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
  const close = async () => {
    if (running) await stopWith("immediate").catch(() => {});
    running = false;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      await stopWith("fast");
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async kill() {
      await stopWith("immediate");
      running = false;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
