/**
 * The routes of logging in and out: `POST /api/login` (the shared password, throttled by
 * `LoginThrottle` of `login_throttle.ts`; one commit stores a new annotator and the
 * session; the admin password, when set, opens an admin session instead, with no
 * annotator record), `POST /api/logout`, `GET /api/me` (`{annotator}` or `{admin}`) and `GET /api/guidelines`
 * (the `--guidelines` file as blocks, `guidelines.ts`, or null). Mounted under `/api` by `createApp`
 * (`serve_app.ts`). Sessions and cookies are `sessions.ts`; annotators `annotators.ts`.
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import { describeError } from "../cli/errors.ts";
import { ApiError } from "./api_error.ts";
import {
  canonicalUsername,
  getOrCreateAnnotator,
  migrateLegacyUsernames,
  usernameProblem,
} from "./annotators.ts";
import { jsonResponse, readJsonBody } from "./http_guards.ts";
import { LoginThrottle, type LoginVerdict, minutesText } from "./login_throttle.ts";
import { clientAddress, requestScheme } from "./request_origin.ts";
import { blockedError, type RouteDeps, type RouteOptions, type ServeEnv } from "./serve_env.ts";
import {
  clearedSessionCookie,
  passwordMatches,
  sessionCookie,
  sessionTokenFromCookies,
} from "./sessions.ts";

const loginBody = z.object({ username: z.string().max(1024), password: z.string().max(4096) });

/** `/login`, `/logout` and `/me`. */
export function authRoutes(deps: RouteDeps): Hono<ServeEnv> {
  const { app: options, sessions, transport } = deps;
  const routes = new Hono<ServeEnv>();
  const throttle = new LoginThrottle(options.kv, options.now);
  const migrateOnce = legacyMigration(options);

  routes.post("/login", async (c) => {
    const body = await readJsonBody(c, loginBody);
    const problem = usernameProblem(body.username);
    if (problem !== undefined) throw new ApiError(400, { message: `username: ${problem}` });
    const client = clientAddress(c, transport);
    // Counting a wrong password and deciding whether the client may still try is one
    // atomic step (see LoginThrottle); the password is compared in constant time.
    const asAdmin = options.adminPassword !== undefined &&
      passwordMatches(body.password, options.adminPassword);
    const verdict = await throttle.attempt(
      canonicalUsername(body.username),
      client,
      asAdmin || passwordMatches(body.password, options.password),
    );
    refuseFailedLogin(options, { verdict, client, throttle });
    const secure = requestScheme(c, transport) === "https";
    if (asAdmin) {
      const username = body.username.trim();
      options.logger.info(`Admin "${username}" logged in from ${client}`);
      const token = await sessions.createAdmin(username);
      return jsonResponse({ admin: { username } }, 200, {
        "Set-Cookie": sessionCookie(token, secure),
      });
    }
    if (await deps.blocklist.has(body.username)) throw blockedError();
    await migrateOnce();
    // One durable commit: a new annotator's record and the session go in together.
    const { annotator, token } = await sessions.logIn((session) =>
      getOrCreateAnnotator(options.kv, body.username, options.now, options.commits, session)
    );
    return jsonResponse({ annotator }, 200, { "Set-Cookie": sessionCookie(token, secure) });
  });

  routes.post("/logout", async (c) => {
    await readJsonBody(c, z.object({}));
    await sessions.delete(sessionTokenFromCookies(c.req.header("Cookie")));
    const secure = requestScheme(c, transport) === "https";
    return jsonResponse({ ok: true }, 200, { "Set-Cookie": clearedSessionCookie(secure) });
  });

  routes.get(
    "/guidelines",
    deps.requireSession,
    () => jsonResponse({ guidelines: options.guidelines ?? null }),
  );

  routes.get("/me", deps.requireSession, (c) => {
    const user = c.var.user;
    return jsonResponse(
      user.role === "admin"
        ? { admin: { username: user.username } }
        : { annotator: user.annotator },
    );
  });
  return routes;
}

/** Throws the answer to a locked-out or wrong login (429, 401), logging what happened. */
function refuseFailedLogin(
  options: RouteOptions,
  { verdict, client, throttle }: {
    verdict: LoginVerdict & { persistError?: unknown };
    client: string;
    throttle: LoginThrottle;
  },
): void {
  if (verdict.kind === "locked") {
    const who = verdict.scope === "username" ? "for this username" : "from this address";
    throw new ApiError(429, {
      message: `Too many wrong passwords ${who}; try again in ${minutesText(verdict.retryAfterMs)}`,
      headers: { "Retry-After": String(Math.ceil(verdict.retryAfterMs / 1000)) },
    });
  }
  if (verdict.persistError !== undefined) {
    // A store that cannot record the attempt (disk full) must not turn a 401 into a 5xx.
    options.logger.error(
      `Cannot store the login attempt from ${client}: ${describeError(verdict.persistError)}`,
    );
  }
  if (verdict.kind !== "wrong") return;
  options.logger.warn(
    `Wrong password from ${client} (${verdict.addressFailures} from this address, ${verdict.usernameFailures} for this username in the last 15 minutes)`,
  );
  if (verdict.addressFailures === throttle.limits.perAddress) {
    options.logger.warn(
      `Logins from ${client} are locked for 15 minutes (too many wrong passwords)`,
    );
  }
  throw new ApiError(401, { message: "Wrong password" });
}

/** Case-folds the usernames stored by older versions, once (again after a failure). */
function legacyMigration(options: RouteOptions): () => Promise<void> {
  let migrated: Promise<void> | undefined;
  return () =>
    migrated ??= migrateLegacyUsernames(options.kv).then((added) => {
      if (added > 0) {
        options.logger.info(
          `${added} annotators stored under old usernames got case-folded names`,
        );
      }
    }, (error) => {
      migrated = undefined;
      throw error;
    });
}
