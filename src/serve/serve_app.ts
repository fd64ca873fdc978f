import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import { describeError } from "../cli/errors.ts";
import { HELP_NEED, HELP_NO_NEED, REJECT_ALL } from "../formats/result_file.ts";
import { isValidTraceName } from "../formats/trace.ts";
import { ApiError } from "./api_error.ts";
import { type Annotator, getOrCreateAnnotator, normalizeUsername } from "./annotators.ts";
import { currentAssignment, nextAssignment } from "./assignment.ts";
import {
  clientAddress,
  jsonResponse,
  postGuards,
  readJsonBody,
  SECURITY_HEADERS,
} from "./http_guards.ts";
import { getQuestion, NEW_ANSWER, submitLabel } from "./labels.ts";
import { createLoadShedder, type LoadLimits } from "./load_shedder.ts";
import { clearLoginFailures, loginRetryAfter, recordLoginFailure } from "./login_throttle.ts";
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
    return jsonResponse({ error: "Internal server error" }, 500);
  });
  app.notFound((c) => jsonResponse({ error: `Not found: ${new URL(c.req.url).pathname}` }, 404));

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

  app.use("/api/*", createLoadShedder(deps.load, deps.commits).middleware, ...postGuards());

  app.post("/api/login", async (c) => {
    const body = await readJsonBody(c, loginBody);
    const client = clientAddress(c);
    const wait = await loginRetryAfter(deps.kv, client, deps.now);
    if (wait > 0) {
      throw new ApiError(
        429,
        `Too many wrong passwords from this client; try again in ${wait} seconds`,
        { "Retry-After": String(wait) },
      );
    }
    if (!passwordMatches(body.password, deps.password)) {
      const failures = await recordLoginFailure(deps.kv, client, deps.now);
      deps.logger.warn(`Wrong password from ${client} (${failures} in the last 15 minutes)`);
      throw new ApiError(401, "Wrong password");
    }
    const username = normalizeUsername(body.username);
    if (username === undefined) {
      throw new ApiError(400, "username: expected 1 to 64 characters without control characters");
    }
    const annotator = await getOrCreateAnnotator(deps.kv, username, deps.now, deps.commits);
    const token = await sessions.create(annotator);
    await clearLoginFailures(deps.kv, client);
    return jsonResponse({ annotator }, 200, { "Set-Cookie": sessionCookie(token) });
  });

  app.post("/api/logout", async (c) => {
    await readJsonBody(c, z.object({}));
    await sessions.delete(sessionTokenFromCookies(c.req.header("Cookie")));
    return jsonResponse({ ok: true }, 200, { "Set-Cookie": clearedSessionCookie() });
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

  app.get("/api/status", async (c) => {
    await annotatorOf(c);
    return jsonResponse(await buildStatus(deps));
  });

  return app;
}
