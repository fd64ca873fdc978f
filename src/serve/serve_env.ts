/**
 * The typed context of serve's routes (Hono's `Env`), what every route group is built
 * from, and the annotator middleware. `createApp` (`serve_app.ts`) builds one `RouteDeps`
 * and passes it to each group (`auth_routes.ts`, `annotation_routes.ts`,
 * `status_routes.ts`); a route that needs the annotator takes `deps.requireAnnotator` and
 * reads `c.var.annotator`, set once from the session cookie (401 without a session, 403
 * for an admin's); an admin route takes `deps.requireAdmin` (404 while admin pages are
 * off, 401 without a session, 403 for an annotator's); `deps.requireSession` takes either
 * and sets `c.var.user`.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { ApiError } from "./api_error.ts";
import type { Annotator } from "./annotators.ts";
import type { TransportOptions } from "./request_origin.ts";
import type { Blocklist } from "./blocklist.ts";
import type { Guidelines } from "./guidelines.ts";
import type { ServeContext } from "./serve_context.ts";
import { type Sessions, sessionTokenFromCookies, type SessionUser } from "./sessions.ts";

/**
 * Hono's `Env` of serve's routes: `c.var.annotator` once `requireAnnotator` has run,
 * `c.var.user` once `requireSession` or `requireAdmin` has, and `c.var.admin` (the admin's
 * user name) once `requireAdmin` has.
 */
export interface ServeEnv {
  Variables: { annotator: Annotator; user: SessionUser; admin: string };
}

/** The server's options that the routes read (`AppDeps` of `serve_app.ts`). */
export interface RouteOptions extends ServeContext {
  /** The shared annotator password (never logged). */
  password: string;
  /** `--admin-password`: logging in with it opens an admin session; absent, no admin pages. */
  adminPassword?: string;
  /** `--guidelines FILE.md`, parsed (`guidelines.ts`); absent, none. */
  guidelines?: Guidelines;
  /**
   * `--out`: the result folder (`<out>/<trace>.json`, `<out>/notes/`), which the admin
   * downloads as a zip (`result_zip.ts`); the routes only read it.
   */
  outDir: string;
}

/** What an admin route answers while no admin password is set. */
export const ADMIN_OFF =
  "Admin pages are off: start proactive serve with --admin-password (or PROACTIVE_ADMIN_PASSWORD) to turn them on";

/** What the route groups are built from. */
export interface RouteDeps {
  app: RouteOptions;
  sessions: Sessions;
  /** User names an admin blocked (`blocklist.ts`). */
  blocklist: Blocklist;
  /** Where the client address and scheme come from (`--trust-proxy`). */
  transport: TransportOptions;
  /** Sets `c.var.annotator` from the session cookie: 401 without a session, 403 an admin's. */
  requireAnnotator: MiddlewareHandler<ServeEnv>;
  /** Sets `c.var.user` of an admin session: 404 while admin pages are off, 403 others. */
  requireAdmin: MiddlewareHandler<ServeEnv>;
  /** Sets `c.var.user` of any session; 401 without one. */
  requireSession: MiddlewareHandler<ServeEnv>;
}

/** The answer to a blocked user name's requests and logins. */
export function blockedError(): ApiError {
  return new ApiError(403, {
    message: "This user name is blocked: ask the person running the server",
  });
}

/** The session middlewares over `sessions` (see `RouteDeps`). */
export function sessionMiddlewares(
  sessions: Sessions,
  { adminPassword, blocklist }: Pick<RouteOptions, "adminPassword"> & { blocklist: Blocklist },
): Pick<RouteDeps, "requireAnnotator" | "requireAdmin" | "requireSession"> {
  const userOf = async (header: string | undefined) => {
    const user = await sessions.user(sessionTokenFromCookies(header));
    if (!user) throw new ApiError(401, { message: "Not logged in" });
    return user;
  };
  return {
    async requireAnnotator(c, next) {
      const user = await userOf(c.req.header("Cookie"));
      if (user.role !== "annotator") {
        throw new ApiError(403, {
          message: "An admin session does not annotate: log in with the annotators' password",
        });
      }
      if (await blocklist.has(user.annotator.username)) throw blockedError();
      c.set("annotator", user.annotator);
      await next();
    },
    async requireAdmin(c, next) {
      if (adminPassword === undefined) throw new ApiError(404, { message: ADMIN_OFF });
      const user = await userOf(c.req.header("Cookie"));
      if (user.role !== "admin") throw new ApiError(403, { message: "Admins only" });
      c.set("user", user);
      c.set("admin", user.username);
      await next();
    },
    async requireSession(c, next) {
      c.set("user", await userOf(c.req.header("Cookie")));
      await next();
    },
  };
}
