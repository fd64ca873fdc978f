/**
 * The admin's review and adjudication routes (`decisions.ts`), all behind
 * `deps.requireAdmin` (404 while admin pages are off, 401 without a session, 403 for an
 * annotator): `GET /api/admin/review` (the queue of questions where the annotators
 * disagree, and those decided), `GET /api/admin/review/events?trace=T&turn=N` (the events
 * up to that question) and `POST /api/admin/decision` (`{trace, turn, label, note?}`; a
 * null label withdraws the decision). The page is `/review` (`static/review.html`), guarded
 * like `/status` (`statusPageGuard`). Mounted under `/api` by `createApp` (`serve_app.ts`).
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import { MAX_NOTE_LENGTH } from "../formats/notes_file.ts";
import { labelSchema } from "../formats/result_file.ts";
import { ApiError } from "./api_error.ts";
import { decide, eventsUpTo, reviewQueue } from "./decisions.ts";
import { jsonResponse, readJsonBody } from "./http_guards.ts";
import { traceNamed, turnParam } from "./annotation_routes.ts";
import type { RouteDeps, ServeEnv } from "./serve_env.ts";

const decisionBody = z.object({
  trace: z.string().max(1024),
  turn: z.number().int().nonnegative(),
  label: labelSchema.nullable(),
  note: z.string().trim().max(MAX_NOTE_LENGTH, {
    error: `note: at most ${MAX_NOTE_LENGTH} characters`,
  }).transform((text) => text === "" ? undefined : text).optional(),
});

/** `/admin/review`, `/admin/review/events` and `/admin/decision`. */
export function reviewRoutes(deps: RouteDeps): Hono<ServeEnv> {
  const { app: options, requireAdmin } = deps;
  const routes = new Hono<ServeEnv>();
  routes.get("/admin/review", requireAdmin, async () => {
    return jsonResponse({ units: await reviewQueue(options) });
  });
  routes.get("/admin/review/events", requireAdmin, (c) => {
    const name = c.req.query("trace");
    if (name === undefined) throw new ApiError(400, { message: "trace: required" });
    const trace = traceNamed(options, name);
    const turn = turnParam(c.req.query("turn"));
    return jsonResponse({ trace: trace.name, turn, events: eventsUpTo(trace, turn) });
  });
  routes.post("/admin/decision", requireAdmin, async (c) => {
    const body = await readJsonBody(c, decisionBody);
    const trace = traceNamed(options, body.trace);
    await decide(options, { ...body, trace, by: c.var.admin });
    options.logger.info(
      `Admin "${c.var.admin}" ${body.label === null ? "withdrew the decision on" : "decided"} ` +
        `turn ${body.turn} of "${trace.name}"`,
    );
    return jsonResponse({ ok: true });
  });
  return routes;
}
