/**
 * The typed context of serve's routes (Hono's `Env`), what every route group is built
 * from, and the annotator middleware. `createApp` (`serve_app.ts`) builds one `RouteDeps`
 * and passes it to each group (`auth_routes.ts`, `annotation_routes.ts`,
 * `status_routes.ts`); a route that needs the annotator takes `deps.requireAnnotator` and
 * reads `c.var.annotator`, set once from the session cookie (401 without a session).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { ApiError } from "./api_error.ts";
import type { Annotator } from "./annotators.ts";
import type { TransportOptions } from "./request_origin.ts";
import type { ServeContext } from "./serve_context.ts";
import { type Sessions, sessionTokenFromCookies } from "./sessions.ts";

/** Hono's `Env` of serve's routes: `c.var.annotator` once `requireAnnotator` has run. */
export interface ServeEnv {
  Variables: { annotator: Annotator };
}

/** The server's options that the routes read (`AppDeps` of `serve_app.ts`). */
export interface RouteOptions extends ServeContext {
  /** The shared annotator password (never logged). */
  password: string;
}

/** What the route groups are built from. */
export interface RouteDeps {
  app: RouteOptions;
  sessions: Sessions;
  /** Where the client address and scheme come from (`--trust-proxy`). */
  transport: TransportOptions;
  /** Sets `c.var.annotator` from the session cookie; 401 when there is no session. */
  requireAnnotator: MiddlewareHandler<ServeEnv>;
}

/** The annotator middleware over `sessions`. */
export function annotatorMiddleware(sessions: Sessions): MiddlewareHandler<ServeEnv> {
  return async (c, next) => {
    const annotator = await sessions.get(sessionTokenFromCookies(c.req.header("Cookie")));
    if (!annotator) throw new ApiError(401, { message: "Not logged in" });
    c.set("annotator", annotator);
    await next();
  };
}
