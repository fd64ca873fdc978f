/**
 * The HTTP surface of `proactive serve`: `createApp` builds the Hono app that `startServer`
 * (`serve_server.ts`) serves and that tests call with `app.request()`. It owns the order of
 * the middleware, the error answers and the mounting of the route groups, each its own
 * module under `/api` (Hono's `app.route()`):
 * - `auth_routes.ts`: `POST /api/login`, `POST /api/logout`, `GET /api/me`;
 * - `annotation_routes.ts`: `GET /api/state`, `POST /api/next`, `POST /api/label`,
 *   `GET /api/question`, `GET /api/answers`;
 * - `status_routes.ts`: `GET /api/health`, `GET /api/status` and the admin's downloads,
 *   release and block;
 * - `review_routes.ts`: the admin's review queue and decisions (`/api/admin/review`,
 *   `/api/admin/decision`).
 *
 * The groups share one `RouteDeps` (`serve_env.ts`); a route that needs the annotator puts
 * `requireAnnotator` before its handler and reads `c.var.annotator` (401 without a
 * session). Pages and scripts come from `static_assets.ts`.
 *
 * Every request first passes `hostGuard` (`host_check.ts`: a `Host` not allowed gets 403);
 * API requests then pass the load shedder (`load_shedder.ts`: 503 when busy, never for
 * `/api/health`) and `postGuards` (`http_guards.ts`: a POST must be same-origin, JSON and
 * at most 1 MiB). Errors become JSON in `app.onError`: an `ApiError` (`api_error.ts`) with
 * its status, a full disk 507 (`disk_full.ts`), anything else a logged 500.
 *
 * How a label is stored, from `POST /api/label` to the result file, is told in `labels.ts`.
 *
 * @module
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { describeError } from "../cli/errors.ts";
import { annotationRoutes } from "./annotation_routes.ts";
import { ApiError } from "./api_error.ts";
import { authRoutes } from "./auth_routes.ts";
import { diskFullApiError, isDiskFullError } from "./disk_full.ts";
import { hostGuard } from "./host_check.ts";
import { jsonResponse, postGuards, SECURITY_HEADERS } from "./http_guards.ts";
import { createLoadShedder, type LoadLimits } from "./load_shedder.ts";
import { type RouteDeps, type RouteOptions, sessionMiddlewares } from "./serve_env.ts";
import { Blocklist } from "./blocklist.ts";
import { createSessions } from "./sessions.ts";
import { STATIC_ASSETS } from "./static_assets.ts";
import { reviewRoutes } from "./review_routes.ts";
import { statusPageGuard, statusRoutes } from "./status_routes.ts";

export interface AppDeps extends RouteOptions {
  /** `--trust-proxy`: client address and scheme from X-Forwarded-For / -Proto. */
  trustProxy?: boolean;
  /** The `Host` names answered (see `allowedHostsFor`); undefined answers every name. */
  allowedHosts?: { loopback: boolean; names: string[] };
  /** When API requests are shed with 503 (defaults: `DEFAULT_LOAD_LIMITS`). */
  load?: Partial<LoadLimits>;
}

/**
 * The annotation server as a Hono app: pages, assets and the JSON API (see README). Tests
 * call `app.request()`; `startServer` serves it over HTTP.
 */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const sessions = createSessions(deps.kv, deps.now, deps.commits);
  const blocklist = new Blocklist(deps.kv, deps.now);
  const routeDeps: RouteDeps = {
    app: deps,
    sessions,
    blocklist,
    transport: { trustProxy: deps.trustProxy ?? false },
    ...sessionMiddlewares(sessions, { adminPassword: deps.adminPassword, blocklist }),
  };
  app.onError((error, c) => errorResponse(deps, error, `${c.req.method} ${c.req.path}`));
  app.notFound((c) => jsonResponse({ error: `Not found: ${c.req.path}` }, 404));
  app.use("*", hostGuard(deps.allowedHosts));
  app.use("/status", statusPageGuard(routeDeps));
  app.use("/review", statusPageGuard(routeDeps));
  serveStaticAssets(app);

  const shedder = createLoadShedder(deps.load, deps.commits);
  // Health is never shed: its 503 must mean stale result files, not a busy server.
  app.use(
    "/api/*",
    (c, next) => c.req.path === "/api/health" ? next() : shedder.middleware(c, next),
  );
  app.use("/api/*", ...postGuards(routeDeps.transport));
  app.route("/api", authRoutes(routeDeps));
  app.route("/api", annotationRoutes(routeDeps));
  app.route("/api", statusRoutes(routeDeps));
  app.route("/api", reviewRoutes(routeDeps));
  return app;
}

/** The pages, scripts and styles, embedded (`static_assets.ts`). */
function serveStaticAssets(app: Hono): void {
  for (const [path, asset] of STATIC_ASSETS) {
    app.get(path, () =>
      new Response(asset.body, {
        headers: {
          "Content-Type": asset.contentType,
          "Cache-Control": "no-cache",
          ...SECURITY_HEADERS,
        },
      }));
  }
}

/**
 * The JSON answer to a failed request: an `ApiError` with its status, headers and details,
 * Hono's own `HTTPException` with its status, a full disk 507, anything else a logged 500.
 */
function errorResponse(deps: AppDeps, error: Error, request: string): Response {
  if (error instanceof ApiError) {
    return jsonResponse({ error: error.message, ...error.details }, error.status, error.headers);
  }
  if (error instanceof HTTPException) {
    return jsonResponse({ error: error.message || "Bad request" }, error.status);
  }
  deps.logger.error(`${request} failed: ${describeError(error)}`);
  if (isDiskFullError(error)) {
    const full = diskFullApiError(error);
    return jsonResponse({ error: full.message }, full.status);
  }
  return jsonResponse({ error: "Internal server error" }, 500);
}
