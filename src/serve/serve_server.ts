/**
 * Starting and stopping `proactive serve`. `startServer` (called by `run` in `command.ts`)
 * turns the parsed `ServeOptions` into a listening HTTP(S) server and returns its
 * `shutdown`; the start-up order is described on `startServer` (the port first, then the
 * traces, the locks `<out>/.state/serve.lock` and `<kv>.lock`, the store, the import of
 * result files, the rewrite of every known result file, and only then `Deno.serve`).
 * `shutdown` stops accepting requests, closes the result writer (one last try for stale
 * files), closes the store and releases the locks; it resolves to the files still stale
 * (the command then exits 1).
 *
 * This is where the label path is wired together. The store is opened with `openStore`
 * over `openSplitStore` (`open_store.ts`, `split_store.ts`); `createApp` (`serve_app.ts`)
 * gets it with a `CommitBatcher` over it as `commits`, the `TraceRecords` mirror as
 * `records`, and the result writer's `schedule` as `traceChanged`. A label then goes:
 * `POST /api/label` (`annotation_routes.ts`: session, body shape `labelBody`, trace
 * name `traceNamed`) → `submitLabel` (`labels.ts`: the label must fit the question,
 * `labelProblem`, and the annotator must have reached it) → one atomic operation, checked
 * against `["trace", T]`, that sets `["trace", T]`, `["label", T, A, turn]` and, on a
 * change, `["history", T, at, id]` (`kv_schema.ts`) → committed by the `CommitBatcher`
 * (`commit_batcher.ts`: operations arriving during a commit are merged into the next one;
 * each caller resolves once its writes are durable) → `traceChanged(T)`, so about 2 s later
 * the writer from `createResultWriter` (`result_writer.ts`) rebuilds `<out>/<trace>.json`
 * from KV and replaces it with `writeFileAtomic` (temporary file, fsync, rename).
 *
 * @module
 */
import { dirname, join } from "node:path";
import { describeError, runtimeError } from "../cli/errors.ts";
import type { Logger } from "../cli/logger.ts";
import { acquireProcessLock, currentOwner, type ProcessLock } from "../store/process_lock.ts";
import { readInputText } from "../store/read_input.ts";
import { CommitBatcher } from "./commit_batcher.ts";
import { shutdownLine, storageHealth } from "./health.ts";
import { allowedHostsFor } from "./host_check.ts";
import { damagedStoreError, isDamagedStoreError, openStore } from "./open_store.ts";
import { type Guidelines, readGuidelines } from "./guidelines.ts";
import { importResultFiles } from "./result_import.ts";
import { createResultWriter, type StaleFile } from "./result_writer.ts";
import { createApp } from "./serve_app.ts";
import { openSplitStore } from "./split_store.ts";
import { type Catalog, loadCatalog } from "./trace_catalog.ts";
import { TraceRecords } from "./trace_records.ts";

export interface ServeOptions {
  port: number;
  host: string;
  /** Trace folder; undefined serves the embedded ProactiveBench traces. */
  dataDir?: string;
  outDir: string;
  password: string;
  passwordSource: "flag" | "env" | "default";
  /** `--admin-password`: opens the admin pages (`/status`); absent, they are off. */
  adminPassword?: string;
  /** `--guidelines FILE.md`: read at start-up (`guidelines.ts`). */
  guidelinesFile?: string;
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
  /**
   * Stops accepting requests, finishes the result files (one last try for stale ones),
   * closes the store and releases the locks; resolves to the files still stale.
   */
  shutdown(): Promise<ShutdownReport>;
}

/** `http://host:port/` (or `https://`), with brackets around IPv6 addresses. */
export function serverUrl(host: string, port: number, scheme: "http" | "https" = "http"): string {
  return `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}/`;
}

/** Reads the PEM files of `--cert` and `--key`. */
export async function readTlsFiles(
  tls: { certFile: string; keyFile: string },
): Promise<{ cert: string; key: string }> {
  return {
    cert: await readInputText(tls.certFile, { what: "TLS certificate" }),
    key: await readInputText(tls.keyFile, { what: "TLS key" }),
  };
}

/** What `shutdown` leaves behind: result files that could not be brought up to date. */
export interface ShutdownReport {
  stale: StaleFile[];
}

/**
 * Takes the port first (so a busy port creates no folder or store), loads the traces,
 * locks the result folder (`<out>/.state/serve.lock`) and the store (`<kv>.lock`) for the
 * server's lifetime, opens the store (refusing a damaged one), imports labels that only
 * the result files still hold (`result_import.ts`: a result file that is a symbolic link
 * fails the start, naming it), rewrites the result file of every trace the store knows (so
 * the folder matches KV even after a crash), then serves the app. Port 0 picks a free port.
 */
export async function startServer(options: ServeOptions, deps: ServerDeps): Promise<RunningServer> {
  const { logger, now } = deps;
  const opened = await openResources(options, logger);
  const { kv, catalog } = opened;
  const writer = createResultWriter({ kv, catalog, outDir: options.outDir, logger, now });
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    const records = await loadStore(options, { opened, writer, logger, now });
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
      storageHealth: () => storageHealth(writer.stale()),
      password: options.password,
      ...(options.adminPassword === undefined ? {} : { adminPassword: options.adminPassword }),
      ...(opened.guidelines ? { guidelines: opened.guidelines } : {}),
      outDir: options.outDir,
      trustProxy: options.trustProxy,
      allowedHosts: allowedHostsFor(options.host, options.allowedHosts),
    });
    opened.probe?.close();
    server = listen(options, {
      tls: opened.tls,
      handler: (request, info) => app.fetch(request, info),
      logger,
    });
  } catch (error) {
    opened.probe?.close();
    await writer.close();
    kv.close();
    opened.releaseLocks();
    throw listenError(options, error);
  }
  return runningServer(options, { server, opened, writer, logger });
}

/** What the start opens before the store is read: released again if the start fails. */
interface OpenedResources {
  /** The port, held until the server takes it (none for port 0). */
  probe?: Deno.Listener;
  tls?: { cert: string; key: string };
  catalog: Catalog;
  guidelines?: Guidelines;
  kv: Deno.Kv;
  releaseLocks: () => void;
}

/** The port, the TLS files, the traces, the locks and the store, in that order. */
async function openResources(options: ServeOptions, logger: Logger): Promise<OpenedResources> {
  const probe = options.port === 0 ? undefined : takePort(options.host, options.port);
  const locks: ProcessLock[] = [];
  const releaseLocks = () => locks.splice(0).forEach((lock) => lock.release());
  try {
    const tls = options.tls ? await readTlsFiles(options.tls) : undefined;
    const catalog = await loadCatalog(options.dataDir, options.helpCheckpoints, logger);
    const guidelines = options.guidelinesFile === undefined
      ? undefined
      : await readGuidelines(options.guidelinesFile);
    await mkdirs(options.outDir, "result folder");
    const serveLock = {
      owner: currentOwner("proactive serve"),
      hint: "stop that server first, or use another --out / --kv",
    };
    const resultFolder = `The result folder "${options.outDir}"`;
    locks.push(
      await acquireProcessLock(
        join(options.outDir, ".state", "serve.lock"),
        resultFolder,
        serveLock,
      ),
    );
    if (options.kvPath !== ":memory:") {
      await mkdirs(dirname(options.kvPath), "store folder");
      const store = `The store "${options.kvPath}"`;
      locks.push(await acquireProcessLock(`${options.kvPath}.lock`, store, serveLock));
    }
    const kv = await openStore(options.kvPath, openSplitStore);
    return { probe, tls, catalog, kv, releaseLocks, ...(guidelines ? { guidelines } : {}) };
  } catch (error) {
    probe?.close();
    releaseLocks();
    throw error;
  }
}

/**
 * Imports the labels only result files hold, loads the trace records and rewrites every
 * known result file; logs what is served.
 */
async function loadStore(
  options: ServeOptions,
  { opened, writer, logger, now }: {
    opened: OpenedResources;
    writer: ReturnType<typeof createResultWriter>;
    logger: Logger;
    now: () => number;
  },
): Promise<TraceRecords> {
  const { kv, catalog } = opened;
  const records = new TraceRecords(kv);
  let rewritten: number;
  try {
    await importResultFiles({ kv, catalog, outDir: options.outDir, logger, now });
    await records.load();
    rewritten = await writer.regenerateAll();
  } catch (error) {
    if (isDamagedStoreError(error)) throw damagedStoreError(options.kvPath, error);
    throw error;
  }
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
  return records;
}

/** `Deno.serve` on the options' host and port; a request that fails is a logged 500. */
function listen(
  options: ServeOptions,
  { tls, handler, logger }: {
    tls: OpenedResources["tls"];
    handler: Deno.ServeHandler<Deno.NetAddr>;
    logger: Logger;
  },
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({
    hostname: options.host,
    port: options.port,
    ...tls,
    onListen: () => {},
    onError: (error) => {
      logger.error(`Request failed: ${describeError(error)}`);
      return new Response("Internal server error", { status: 500 });
    },
  }, handler);
}

/** A failed start's error: a busy or forbidden port, a certificate that does not fit. */
function listenError(options: ServeOptions, error: unknown): unknown {
  if (error instanceof Deno.errors.AddrInUse || error instanceof Deno.errors.PermissionDenied) {
    return runtimeError(
      `Cannot listen on ${options.host}:${options.port}: ${describeError(error)}`,
    );
  }
  if (options.tls && error instanceof Deno.errors.InvalidData) {
    return runtimeError(
      `Cannot use the TLS certificate "${options.tls.certFile}" with the key "${options.tls.keyFile}": ${
        describeError(error)
      }`,
    );
  }
  return error;
}

/** The server as `startServer` returns it; `shutdown` runs once however often it is called. */
function runningServer(
  options: ServeOptions,
  { server, opened, writer, logger }: {
    server: Deno.HttpServer<Deno.NetAddr>;
    opened: OpenedResources;
    writer: ReturnType<typeof createResultWriter>;
    logger: Logger;
  },
): RunningServer {
  const port = server.addr.port;
  let closing: Promise<ShutdownReport> | undefined;
  return {
    url: serverUrl(options.host, port, opened.tls ? "https" : "http"),
    port,
    shutdown() {
      closing ??= (async () => {
        await server.shutdown();
        const stale = await writer.close();
        opened.kv.close();
        opened.releaseLocks();
        if (stale.length > 0) logger.error(shutdownLine(stale));
        else logger.info(shutdownLine(stale));
        return { stale };
      })();
      return closing;
    },
  };
}

/**
 * Listens on the port until the server takes it over, so a busy port is reported before
 * any folder or store is created.
 */
function takePort(host: string, port: number): Deno.Listener {
  try {
    return Deno.listen({ hostname: host, port, transport: "tcp" });
  } catch (error) {
    throw runtimeError(`Cannot listen on ${host}:${port}: ${describeError(error)}`);
  }
}

async function mkdirs(path: string, what: string): Promise<void> {
  try {
    await Deno.mkdir(path, { recursive: true });
  } catch (error) {
    throw runtimeError(`Cannot create the ${what} "${path}": ${describeError(error)}`);
  }
}
