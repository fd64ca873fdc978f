import { dirname } from "node:path";
import { describeError, runtimeError } from "../cli/errors.ts";
import type { Logger } from "../cli/logger.ts";
import { CommitBatcher } from "./commit_batcher.ts";
import { createResultWriter } from "./result_writer.ts";
import { createApp } from "./serve_app.ts";
import { openSplitStore } from "./split_store.ts";
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

/** `http://host:port/`, with brackets around IPv6 addresses. */
export function serverUrl(host: string, port: number): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}/`;
}

/**
 * Loads the traces, opens the store, rewrites the result file of every trace the store
 * knows (so the folder matches KV even after a crash), then serves the app. Port 0 picks
 * a free port.
 */
export async function startServer(options: ServeOptions, deps: ServerDeps): Promise<RunningServer> {
  const { logger, now } = deps;
  const catalog = await loadCatalog(options.dataDir, options.helpCheckpoints, logger);
  await mkdirs(options.outDir, "result folder");
  if (options.kvPath !== ":memory:") await mkdirs(dirname(options.kvPath), "store folder");

  let kv: Deno.Kv;
  try {
    kv = await openSplitStore(options.kvPath);
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
    });
    server = Deno.serve({
      hostname: options.host,
      port: options.port,
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
    throw error;
  }

  const port = server.addr.port;
  let closing: Promise<void> | undefined;
  return {
    url: serverUrl(options.host, port),
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
