import { dirname } from "node:path";
import { describeError, runtimeError } from "../cli/errors.ts";
import type { Logger } from "../cli/logger.ts";
import { CommitBatcher } from "./commit_batcher.ts";
import { createResultWriter } from "./result_writer.ts";
import { allowedHostsFor } from "./host_check.ts";
import { createApp } from "./serve_app.ts";
import { loadCatalog } from "./trace_catalog.ts";
import { TraceRecords } from "./trace_records.ts";

export interface ServeOptions {
  port: number;
  host: string;
  /** Trace folder; undefined serves the embedded ProactiveBench traces. */
  dataDir?: string;
  outDir: string;
  password: string;
  passwordSource: "flag" | "env" | "default";
  annotatorsPerTrace: number;
  reclaimAfterMs: number;
  kvPath: string;
  helpCheckpoints: number[];
  /** `--trust-proxy`: client address and scheme from X-Forwarded-For / X-Forwarded-Proto. */
  trustProxy: boolean;
  /** `--allowed-hosts`: extra `Host` names answered (see `allowedHostsFor`). */
  allowedHosts: string[];
  /** `--cert` / `--key`: serve HTTPS with this PEM certificate chain and private key. */
  tls?: { certFile: string; keyFile: string };
}

export interface ServerDeps {
  logger: Logger;
  now: () => number;
}

export interface RunningServer {
  url: string;
  port: number;
  /** Stops accepting requests, finishes the result files and closes the store. */
  shutdown(): Promise<void>;
}

/** `http://host:port/` (or `https://`), with brackets around IPv6 addresses. */
export function serverUrl(host: string, port: number, scheme: "http" | "https" = "http"): string {
  return `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}/`;
}

/** Reads the PEM files of `--cert` and `--key`. */
export async function readTlsFiles(
  tls: { certFile: string; keyFile: string },
): Promise<{ cert: string; key: string }> {
  const read = async (path: string, what: string) => {
    try {
      return await Deno.readTextFile(path);
    } catch (error) {
      throw runtimeError(`Cannot read the TLS ${what} "${path}": ${describeError(error)}`);
    }
  };
  return { cert: await read(tls.certFile, "certificate"), key: await read(tls.keyFile, "key") };
}

/**
 * Loads the traces, opens the store, rewrites the result file of every trace the store
 * knows (so the folder matches KV even after a crash), then serves the app. Port 0 picks
 * a free port.
 */
export async function startServer(options: ServeOptions, deps: ServerDeps): Promise<RunningServer> {
  const { logger, now } = deps;
  const catalog = await loadCatalog(options.dataDir, options.helpCheckpoints, logger);
  const tls = options.tls ? await readTlsFiles(options.tls) : undefined;
  await mkdirs(options.outDir, "result folder");
  if (options.kvPath !== ":memory:") await mkdirs(dirname(options.kvPath), "store folder");

  let kv: Deno.Kv;
  try {
    kv = await Deno.openKv(options.kvPath);
  } catch (error) {
    throw runtimeError(`Cannot open the store "${options.kvPath}": ${describeError(error)}`);
  }
  const writer = createResultWriter({ kv, catalog, outDir: options.outDir, logger });
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    const records = new TraceRecords(kv);
    await records.load();
    const rewritten = await writer.regenerateAll();
    const questions = catalog.traces.reduce((sum, t) => sum + t.questions.length, 0);
    logger.info(
      `Loaded ${catalog.traces.length} traces with ${questions} questions from ${catalog.source}`,
    );
    logger.info(
      `Result files in "${options.outDir}" (${rewritten} rewritten from the store "${options.kvPath}")`,
    );
    logger.info(
      `${options.annotatorsPerTrace} annotators per trace; idle unfinished traces released after ${
        options.reclaimAfterMs > 0 ? `${options.reclaimAfterMs / 60000} min` : "never"
      }`,
    );
    const app = createApp({
      kv,
      commits: new CommitBatcher(kv),
      records,
      catalog,
      annotatorsPerTrace: options.annotatorsPerTrace,
      reclaimAfterMs: options.reclaimAfterMs,
      now,
      logger,
      traceChanged: writer.schedule,
      password: options.password,
      trustProxy: options.trustProxy,
      allowedHosts: allowedHostsFor(options.host, options.allowedHosts),
    });
    server = Deno.serve({
      hostname: options.host,
      port: options.port,
      ...tls,
      onListen: () => {},
      onError: (error) => {
        logger.error(`Request failed: ${describeError(error)}`);
        return new Response("Internal server error", { status: 500 });
      },
    }, (request, info) => app.fetch(request, info));
  } catch (error) {
    await writer.flush();
    kv.close();
    if (error instanceof Deno.errors.AddrInUse || error instanceof Deno.errors.PermissionDenied) {
      throw runtimeError(
        `Cannot listen on ${options.host}:${options.port}: ${describeError(error)}`,
      );
    }
    if (options.tls && error instanceof Deno.errors.InvalidData) {
      throw runtimeError(
        `Cannot use the TLS certificate "${options.tls.certFile}" with the key "${options.tls.keyFile}": ${
          describeError(error)
        }`,
      );
    }
    throw error;
  }

  const port = server.addr.port;
  let closing: Promise<void> | undefined;
  return {
    url: serverUrl(options.host, port, tls ? "https" : "http"),
    port,
    shutdown() {
      closing ??= (async () => {
        await server.shutdown();
        await writer.flush();
        kv.close();
        logger.info("Server stopped; result files are up to date");
      })();
      return closing;
    },
  };
}

async function mkdirs(path: string, what: string): Promise<void> {
  try {
    await Deno.mkdir(path, { recursive: true });
  } catch (error) {
    throw runtimeError(`Cannot create the ${what} "${path}": ${describeError(error)}`);
  }
}
