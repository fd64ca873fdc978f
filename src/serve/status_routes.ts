/**
 * The routes of watching the server: `GET /api/health` (the result files' health,
 * `health.ts`; open to all, never shed, 503 when result files are stale) and
 * `GET /api/status` (per-trace progress and agreement, `status.ts`; annotators only).
 * Mounted under `/api` by `createApp` (`serve_app.ts`).
 *
 * @module
 */
import { Hono } from "hono";
import { healthStatus, HEALTHY } from "./health.ts";
import { jsonResponse } from "./http_guards.ts";
import type { RouteDeps, ServeEnv } from "./serve_env.ts";
import { buildStatus } from "./status.ts";

/** `/health` and `/status`. */
export function statusRoutes(deps: RouteDeps): Hono<ServeEnv> {
  const { app: options } = deps;
  const routes = new Hono<ServeEnv>();
  routes.get("/health", () => {
    const health = options.storageHealth?.() ?? HEALTHY;
    return jsonResponse(health, healthStatus(health));
  });
  routes.get(
    "/status",
    deps.requireAnnotator,
    async () => jsonResponse(await buildStatus(options)),
  );
  return routes;
}
