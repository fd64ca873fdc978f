/**
 * The routes of watching the server: `GET /api/health` (the result files' health,
 * `health.ts`; open to all, never shed, 503 when result files are stale) and
 * `GET /api/status` (totals, per-trace progress, every annotator with their speed and
 * agreement, `status.ts`), `GET /api/admin/history.jsonl` (every label change, as a
 * download), `GET /api/admin/results.zip` (the result folder, `<out>/*.json` and
 * `<out>/notes/`, as a streamed zip, `result_zip.ts`) and `POST /api/admin/release`
 * (`{annotator}`: their unfinished traces released now, `releaseAnnotator` of
 * `releases.ts`): admins only, so an annotator never sees another's name, id or labels.
 * Mounted under `/api` by `createApp` (`serve_app.ts`).
 *
 * @module
 */
import { Hono, type MiddlewareHandler } from "hono";
import { healthStatus, HEALTHY } from "./health.ts";
import { z } from "zod";
import { releaseAnnotator } from "./releases.ts";
import { jsonResponse, readJsonBody, SECURITY_HEADERS } from "./http_guards.ts";
import { ADMIN_OFF, type RouteDeps, type ServeEnv } from "./serve_env.ts";
import { type HistoryRecord, KEY } from "./kv_schema.ts";
import { sessionTokenFromCookies } from "./sessions.ts";
import { resultZipResponse } from "./result_zip.ts";
import { buildStatus } from "./status.ts";

const releaseBody = z.object({ annotator: z.string().regex(/^[0-9a-f]{32}$/) });
const blockBody = z.object({ username: z.string().min(1).max(1024), blocked: z.boolean() });

/** `/health`, `/status` and the admin's `/admin/…` routes. */
export function statusRoutes(deps: RouteDeps): Hono<ServeEnv> {
  const { app: options } = deps;
  const routes = new Hono<ServeEnv>();
  routes.get("/health", () => {
    const health = options.storageHealth?.() ?? HEALTHY;
    return jsonResponse(health, healthStatus(health));
  });
  routes.get("/status", deps.requireAdmin, async () => {
    const status = await buildStatus(options);
    return jsonResponse({ ...status, blocked: await deps.blocklist.names() });
  });
  routes.get("/admin/history.jsonl", deps.requireAdmin, () => historyDownload(options.kv));
  routes.get("/admin/results.zip", deps.requireAdmin, () => resultZipResponse(options));
  routes.post("/admin/release", deps.requireAdmin, async (c) => {
    const { annotator } = await readJsonBody(c, releaseBody);
    const released = await releaseAnnotator(options, annotator);
    options.logger.info(
      `Admin "${c.var.admin}" released ${released.length} trace(s) of annotator ${annotator}`,
    );
    return jsonResponse({ released });
  });
  routes.post("/admin/block", deps.requireAdmin, async (c) => {
    const { username, blocked } = await readJsonBody(c, blockBody);
    await deps.blocklist.set(username, blocked, c.var.admin);
    options.logger.info(
      `Admin "${c.var.admin}" ${blocked ? "blocked" : "unblocked"} "${username}"`,
    );
    return jsonResponse({ blocked: await deps.blocklist.names() });
  });
  return routes;
}

/**
 * Every label change ever made (`HistoryRecord`s, `kv_schema.ts`), one JSON line each, by
 * trace and time, as a download; streamed from KV, never held whole in memory.
 */
function historyDownload(kv: Deno.Kv): Response {
  const encoder = new TextEncoder();
  const entries = kv.list<HistoryRecord>({ prefix: KEY.allHistory })[Symbol.asyncIterator]();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await entries.next();
      if (next.done) return controller.close();
      controller.enqueue(encoder.encode(JSON.stringify(next.value.value) + "\n"));
    },
  });
  return new Response(body, {
    headers: {
      "Content-Type": "application/x-ndjson; charset=utf-8",
      "Content-Disposition": 'attachment; filename="label_history.jsonl"',
      "Cache-Control": "no-store",
      ...SECURITY_HEADERS,
    },
  });
}

/**
 * The guard of the `/status` page itself: 404 while admin pages are off, 403 for an
 * annotator's session (the page shows every annotator); an admin, or nobody yet (the
 * page then asks to log in with the admin password), gets the page.
 */
export function statusPageGuard(deps: RouteDeps): MiddlewareHandler {
  return async (c, next) => {
    if (deps.app.adminPassword === undefined) return textPage(404, ADMIN_OFF);
    const user = await deps.sessions.user(sessionTokenFromCookies(c.req.header("Cookie")));
    if (user?.role === "annotator") {
      return textPage(
        403,
        "Admins only: log out and log in with the admin password to see this page.",
      );
    }
    return await next();
  };
}

function textPage(status: 403 | 404, message: string): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<title>proactive — status</title><link rel="stylesheet" href="/app.css"></head>` +
    `<body><main><p class="card">${message}</p><p><a href="/">Back to annotating</a></p>` +
    `</main></body></html>\n`;
  return new Response(html, {
    status,
    headers: { "Content-Type": "text/html; charset=utf-8", ...SECURITY_HEADERS },
  });
}
