/**
 * The routes of watching the server: `GET /api/health` (the result files' health,
 * `health.ts`; open to all, never shed, 503 when result files are stale) and
 * `GET /api/status` (per-trace progress, every annotator and agreement, `status.ts`; admins
 * only: an annotator never sees another's name, id or labels).
 * Mounted under `/api` by `createApp` (`serve_app.ts`).
 *
 * @module
 */
import { Hono, type MiddlewareHandler } from "hono";
import { healthStatus, HEALTHY } from "./health.ts";
import { jsonResponse, SECURITY_HEADERS } from "./http_guards.ts";
import { ADMIN_OFF, type RouteDeps, type ServeEnv } from "./serve_env.ts";
import { sessionTokenFromCookies } from "./sessions.ts";
import { buildStatus } from "./status.ts";

/** `/health` and `/status`. */
export function statusRoutes(deps: RouteDeps): Hono<ServeEnv> {
  const { app: options } = deps;
  const routes = new Hono<ServeEnv>();
  routes.get("/health", () => {
    const health = options.storageHealth?.() ?? HEALTHY;
    return jsonResponse(health, healthStatus(health));
  });
  routes.get("/status", deps.requireAdmin, async () => jsonResponse(await buildStatus(options)));
  return routes;
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
