/**
 * The HTTP surface of `proactive serve`: `createApp` builds the Hono app that `startServer`
 * (`serve_server.ts`) serves and that tests call with `app.request()`. It owns the routes,
 * the order of the middleware and the zod schemas of the request bodies; the logic behind
 * each route lives in its own module: `sessions.ts` and `login_throttle.ts` (login,
 * logout, who is asking), `annotators.ts`, `assignment.ts` (`POST /api/next`,
 * `GET /api/state`), `labels.ts` (`POST /api/label`, `GET /api/question`), `state.ts` (the
 * answer of those), `status.ts` and `health.ts`. Pages and scripts come from
 * `static_assets.ts`.
 *
 * Every request first passes `hostGuard` (`host_check.ts`: a `Host` not allowed gets 403);
 * API requests then pass the load shedder (`load_shedder.ts`: 503 when busy, never for
 * `/api/health`) and `postGuards` (`http_guards.ts`: a POST must be same-origin, JSON and
 * at most 1 MiB). Errors become JSON in `app.onError`: an `ApiError` (`api_error.ts`) with
 * its status, a full disk 507 (`disk_full.ts`), anything else a logged 500.
 *
 * A label arrives as `POST /api/label` with `{trace, turn, label, since?, replaces?}`. Here
 * the session cookie names the annotator (`annotatorOf`, 401 without a session),
 * `readJsonBody` checks the body against `labelBody` (its shape only: 400 naming the
 * field) and `traceNamed` the trace name (400 when malformed or path-like, 404 when
 * unknown). `submitLabel` (`labels.ts`) then checks that the label fits the question
 * (`labelProblem`) and that the annotator has reached it, and stores it as one atomic
 * operation, checked against `["trace", T]`, that sets `["trace", T]`,
 * `["label", T, A, turn]` and, on a change, `["history", T, at, id]` (`kv_schema.ts`),
 * committed through `deps.commits` (the `CommitBatcher` of `commit_batcher.ts`, which merges
 * the operations arriving during a commit into the next one and resolves each once
 * durable). It then calls `deps.traceChanged(T)`: the result writer (`result_writer.ts`)
 * rebuilds `<out>/<trace>.json` from KV about 2 s later and replaces it atomically
 * (`writeFileAtomic`). The route answers the annotator's new `State` (`buildState`,
 * `state.ts`).
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import { describeError } from "../cli/errors.ts";
import { HELP_NEED, HELP_NO_NEED, REJECT_ALL } from "../formats/result_file.ts";
import { isValidTraceName } from "../formats/trace.ts";
import { ApiError } from "./api_error.ts";
import {
  type Annotator,
  canonicalUsername,
  getOrCreateAnnotator,
  migrateLegacyUsernames,
  usernameProblem,
} from "./annotators.ts";
import { currentAssignment, nextAssignment } from "./assignment.ts";
import { diskFullApiError, isDiskFullError } from "./disk_full.ts";
import { healthStatus, HEALTHY } from "./health.ts";
import { hostGuard } from "./host_check.ts";
import { jsonResponse, postGuards, readJsonBody, SECURITY_HEADERS } from "./http_guards.ts";
import { getQuestion, NEW_ANSWER, submitLabel } from "./labels.ts";
import { createLoadShedder, type LoadLimits } from "./load_shedder.ts";
import { LoginThrottle, minutesText } from "./login_throttle.ts";
import { clientAddress, requestScheme } from "./request_origin.ts";
import type { ServeContext } from "./serve_context.ts";
import {
  clearedSessionCookie,
  createSessions,
  passwordMatches,
  sessionCookie,
  sessionTokenFromCookies,
} from "./sessions.ts";
import { buildState } from "./state.ts";
import { STATIC_ASSETS } from "./static_assets.ts";
import { buildStatus } from "./status.ts";
import type { CatalogTrace } from "./trace_catalog.ts";

export interface AppDeps extends ServeContext {
  /** The shared annotator password (never logged). */
  password: string;
  /** `--trust-proxy`: client address and scheme from X-Forwarded-For / -Proto. */
  trustProxy?: boolean;
  /** The `Host` names answered (see `allowedHostsFor`); undefined answers every name. */
  allowedHosts?: { loopback: boolean; names: string[] };
  /** When API requests are shed with 503 (defaults: `DEFAULT_LOAD_LIMITS`). */
  load?: Partial<LoadLimits>;
}

const since = z.number().int().nonnegative();
const turn = z.number().int().nonnegative();
const labelInput = z.union([
  z.array(z.number().int().nonnegative()),
  z.literal(REJECT_ALL),
  z.literal(HELP_NEED),
  z.literal(HELP_NO_NEED),
], {
  error:
    `expected a sorted list of task indices, "${REJECT_ALL}", "${HELP_NEED}" or "${HELP_NO_NEED}"`,
});
const loginBody = z.object({ username: z.string().max(1024), password: z.string().max(4096) });
const nextBody = z.object({ since: since.optional() });
const labelBody = z.object({
  trace: z.string().max(1024),
  turn,
  label: labelInput,
  since: since.optional(),
  replaces: z.union([z.literal(NEW_ANSWER), z.string().regex(/^[0-9a-f]{20}$/)], {
    error: `expected "${NEW_ANSWER}" or the version of the answer shown`,
  }).optional(),
});

/** The trace named in a request: 400 when the name is path-like or malformed, 404 unknown. */
function traceNamed(deps: AppDeps, name: string): CatalogTrace {
  if (!isValidTraceName(name)) {
    throw new ApiError(
      400,
      `trace: ${JSON.stringify(name.slice(0, 80))} is not a valid trace name`,
    );
  }
  const trace = deps.catalog.get(name);
  if (!trace) throw new ApiError(404, `Unknown trace "${name}"`);
  return trace;
}

function sinceParam(raw: string | undefined): number {
  if (raw === undefined || raw === "") return 0;
  if (!/^\d{1,9}$/.test(raw)) throw new ApiError(400, "since: expected a whole number ≥ 0");
  return Number(raw);
}

/**
 * The annotation server as a Hono app: pages, assets and the JSON API (see README). Tests
 * call `app.request()`; `startServer` serves it over HTTP.
 */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const sessions = createSessions(deps.kv, deps.now, deps.commits);
  const transport = { trustProxy: deps.trustProxy ?? false };
  const throttle = new LoginThrottle(deps.kv, deps.now);
  let migrated: Promise<void> | undefined;
  const migrateOnce = () =>
    migrated ??= migrateLegacyUsernames(deps.kv).then((added) => {
      if (added > 0) {
        deps.logger.info(`${added} annotators stored under old usernames got case-folded names`);
      }
    }, (error) => {
      migrated = undefined;
      throw error;
    });

  async function annotatorOf(c: Context): Promise<Annotator> {
    const annotator = await sessions.get(sessionTokenFromCookies(c.req.header("Cookie")));
    if (!annotator) throw new ApiError(401, "Not logged in");
    return annotator;
  }

  app.onError((error, c) => {
    if (error instanceof ApiError) {
      return jsonResponse({ error: error.message, ...error.details }, error.status, error.headers);
    }
    if (error instanceof HTTPException) {
      return jsonResponse({ error: error.message || "Bad request" }, error.status);
    }
    deps.logger.error(
      `${c.req.method} ${new URL(c.req.url).pathname} failed: ${describeError(error)}`,
    );
    if (isDiskFullError(error)) {
      const full = diskFullApiError(error);
      return jsonResponse({ error: full.message }, full.status);
    }
    return jsonResponse({ error: "Internal server error" }, 500);
  });
  app.notFound((c) => jsonResponse({ error: `Not found: ${new URL(c.req.url).pathname}` }, 404));

  app.use("*", hostGuard(deps.allowedHosts));

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

  const shedder = createLoadShedder(deps.load, deps.commits);
  // Health is never shed: its 503 must mean stale result files, not a busy server.
  app.use(
    "/api/*",
    (c, next) => c.req.path === "/api/health" ? next() : shedder.middleware(c, next),
  );
  app.use("/api/*", ...postGuards(transport));

  app.post("/api/login", async (c) => {
    const body = await readJsonBody(c, loginBody);
    const problem = usernameProblem(body.username);
    if (problem !== undefined) throw new ApiError(400, `username: ${problem}`);
    const client = clientAddress(c, transport);
    // Counting a wrong password and deciding whether the client may still try is one
    // atomic step (see LoginThrottle); the password is compared in constant time.
    const verdict = await throttle.attempt(
      canonicalUsername(body.username),
      client,
      passwordMatches(body.password, deps.password),
    );
    if (verdict.kind === "locked") {
      const who = verdict.scope === "username" ? "for this username" : "from this address";
      throw new ApiError(
        429,
        `Too many wrong passwords ${who}; try again in ${minutesText(verdict.retryAfterMs)}`,
        { "Retry-After": String(Math.ceil(verdict.retryAfterMs / 1000)) },
      );
    }
    if (verdict.persistError !== undefined) {
      // A store that cannot record the attempt (disk full) must not turn a 401 into a 5xx.
      deps.logger.error(
        `Cannot store the login attempt from ${client}: ${describeError(verdict.persistError)}`,
      );
    }
    if (verdict.kind === "wrong") {
      deps.logger.warn(
        `Wrong password from ${client} (${verdict.addressFailures} from this address, ${verdict.usernameFailures} for this username in the last 15 minutes)`,
      );
      if (verdict.addressFailures === throttle.limits.perAddress) {
        deps.logger.warn(
          `Logins from ${client} are locked for 15 minutes (too many wrong passwords)`,
        );
      }
      throw new ApiError(401, "Wrong password");
    }
    await migrateOnce();
    // One durable commit: a new annotator's record and the session go in together.
    const { annotator, token } = await sessions.logIn((session) =>
      getOrCreateAnnotator(deps.kv, body.username, deps.now, deps.commits, session)
    );
    const secure = requestScheme(c, transport) === "https";
    return jsonResponse({ annotator }, 200, { "Set-Cookie": sessionCookie(token, secure) });
  });

  app.post("/api/logout", async (c) => {
    await readJsonBody(c, z.object({}));
    await sessions.delete(sessionTokenFromCookies(c.req.header("Cookie")));
    const secure = requestScheme(c, transport) === "https";
    return jsonResponse({ ok: true }, 200, { "Set-Cookie": clearedSessionCookie(secure) });
  });

  app.get("/api/me", async (c) => jsonResponse({ annotator: await annotatorOf(c) }));

  app.get("/api/state", async (c) => {
    const annotator = await annotatorOf(c);
    const from = sinceParam(c.req.query("since"));
    const assignment = await currentAssignment(deps, annotator.id);
    return jsonResponse(buildState(annotator, assignment, from));
  });

  app.post("/api/next", async (c) => {
    const annotator = await annotatorOf(c);
    const body = await readJsonBody(c, nextBody);
    const next = await nextAssignment(deps, annotator.id);
    // `since` counts events of the trace the page shows; a new trace starts from 0.
    const from = next?.resumed ? body.since ?? 0 : 0;
    return jsonResponse(buildState(annotator, next, from, next === undefined));
  });

  app.post("/api/label", async (c) => {
    const annotator = await annotatorOf(c);
    const body = await readJsonBody(c, labelBody);
    const trace = traceNamed(deps, body.trace);
    const assignment = await submitLabel(
      deps,
      annotator.id,
      trace,
      body.turn,
      body.label,
      body.replaces,
    );
    return jsonResponse(buildState(annotator, assignment, body.since ?? 0));
  });

  app.get("/api/question", async (c) => {
    const annotator = await annotatorOf(c);
    const name = c.req.query("trace");
    const rawTurn = c.req.query("turn");
    if (name === undefined) throw new ApiError(400, "trace: required");
    if (rawTurn === undefined || !/^\d{1,9}$/.test(rawTurn)) {
      throw new ApiError(400, "turn: expected a whole number ≥ 0");
    }
    const trace = traceNamed(deps, name);
    return jsonResponse(await getQuestion(deps, annotator.id, trace, Number(rawTurn)));
  });

  app.get("/api/health", () => {
    const health = deps.storageHealth?.() ?? HEALTHY;
    return jsonResponse(health, healthStatus(health));
  });

  app.get("/api/status", async (c) => {
    await annotatorOf(c);
    return jsonResponse(await buildStatus(deps));
  });

  return app;
}
