/**
 * The routes of annotating, all behind the annotator middleware (`serve_env.ts`):
 * `GET /api/state` and `POST /api/next` (`assignment.ts`: the annotator's trace, and the
 * next one), `POST /api/label`, `GET /api/question` and `GET /api/answers` (`labels.ts`:
 * storing an answer, showing one again to change it, and the list of one's answers to
 * review). Each answers the annotator's `State` (`state.ts`), a `QuestionView` or the
 * answers. Mounted under `/api` by `createApp` (`serve_app.ts`).
 *
 * A label's body is checked here for its shape only (`labelBody`, whose `label` is
 * `labelSchema` of `formats/result_file.ts`, the schema result files use too; or, instead of
 * a label, `skip` with the reason; and an optional `comment`) and its trace name by
 * `traceNamed`; `submitLabel` checks the rest and stores it (see `labels.ts`).
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import { MAX_NOTE_LENGTH } from "../formats/notes_file.ts";
import { labelSchema } from "../formats/result_file.ts";
import { isValidTraceName } from "../formats/trace.ts";
import { ApiError } from "./api_error.ts";
import { currentAssignment, nextAssignment, nothingLeftFor } from "./assignment.ts";
import { jsonResponse, readJsonBody } from "./http_guards.ts";
import { getQuestion, listAnswers, NEW_ANSWER, submitLabel } from "./labels.ts";
import type { RouteDeps, RouteOptions, ServeEnv } from "./serve_env.ts";
import { buildState, type State } from "./state.ts";
import type { CatalogTrace } from "./trace_catalog.ts";

const since = z.number().int().nonnegative();
const nextBody = z.object({ since: since.optional() });
/** A skip reason or comment: trimmed, at most `MAX_NOTE_LENGTH` characters; empty: none. */
const noteText = (what: string) =>
  z.string().trim().max(MAX_NOTE_LENGTH, {
    error: `${what}: at most ${MAX_NOTE_LENGTH} characters`,
  }).transform((text) => text === "" ? undefined : text);

const labelBody = z.object({
  trace: z.string().max(1024),
  turn: z.number().int().nonnegative(),
  /** The label; absent (or null) with `skip`. */
  label: labelSchema.nullish().transform((label) => label ?? null),
  skip: noteText("skip").optional(),
  comment: noteText("comment").optional(),
  since: since.optional(),
  replaces: z.union([z.literal(NEW_ANSWER), z.string().regex(/^[0-9a-f]{20}$/)], {
    error: `expected "${NEW_ANSWER}" or the version of the answer shown`,
  }).optional(),
});

/** The progress counts of the annotator's State (constant time: `progress_index.ts`). */
function progressOf(options: RouteOptions, annotator: string): State["progress"] {
  const index = options.records.progressIndex(options.catalog, options.annotatorsPerTrace);
  return { traces: index.own(annotator), labels: index.project() };
}

/** `/state`, `/next`, `/label` and `/question`. */
export function annotationRoutes(deps: RouteDeps): Hono<ServeEnv> {
  const { app: options, requireAnnotator } = deps;
  const routes = new Hono<ServeEnv>();

  routes.get("/state", requireAnnotator, async (c) => {
    const from = sinceParam(c.req.query("since"));
    const assignment = await currentAssignment(options, c.var.annotator.id);
    const progress = progressOf(options, c.var.annotator.id);
    return jsonResponse(buildState(c.var.annotator, assignment, { since: from, progress }));
  });

  routes.post("/next", requireAnnotator, async (c) => {
    const body = await readJsonBody(c, nextBody);
    const next = await nextAssignment(options, c.var.annotator.id);
    // `since` counts events of the trace the page shows; a new trace starts from 0.
    const from = next?.resumed ? body.since ?? 0 : 0;
    const nothingLeft = next === undefined
      ? {
        reason: nothingLeftFor(options, c.var.annotator.id),
        annotatorsPerTrace: options.annotatorsPerTrace,
      }
      : undefined;
    const progress = progressOf(options, c.var.annotator.id);
    return jsonResponse(buildState(c.var.annotator, next, { since: from, nothingLeft, progress }));
  });

  routes.post("/label", requireAnnotator, async (c) => {
    const body = await readJsonBody(c, labelBody);
    const assignment = await submitLabel(options, {
      annotator: c.var.annotator.id,
      trace: traceNamed(options, body.trace),
      turn: body.turn,
      label: body.label,
      skip: body.skip,
      comment: body.comment,
      replaces: body.replaces,
    });
    const progress = progressOf(options, c.var.annotator.id);
    return jsonResponse(
      buildState(c.var.annotator, assignment, { since: body.since ?? 0, progress }),
    );
  });

  routes.get("/question", requireAnnotator, async (c) => {
    const name = c.req.query("trace");
    if (name === undefined) throw new ApiError(400, { message: "trace: required" });
    const question = await getQuestion(options, {
      annotator: c.var.annotator.id,
      trace: traceNamed(options, name),
      turn: turnParam(c.req.query("turn")),
    });
    return jsonResponse(question);
  });

  routes.get("/answers", requireAnnotator, async (c) => {
    const name = c.req.query("trace");
    if (name === undefined) throw new ApiError(400, { message: "trace: required" });
    const trace = traceNamed(options, name);
    return jsonResponse(await listAnswers(options, { annotator: c.var.annotator.id, trace }));
  });

  return routes;
}

/** The `turn` query parameter: 400 unless a whole number ≥ 0. */
export function turnParam(raw: string | undefined): number {
  if (raw === undefined || !/^\d{1,9}$/.test(raw)) {
    throw new ApiError(400, { message: "turn: expected a whole number ≥ 0" });
  }
  return Number(raw);
}

/** The trace named in a request: 400 when the name is path-like or malformed, 404 unknown. */
export function traceNamed(options: RouteOptions, name: string): CatalogTrace {
  if (!isValidTraceName(name)) {
    throw new ApiError(400, {
      message: `trace: ${JSON.stringify(name.slice(0, 80))} is not a valid trace name`,
    });
  }
  const trace = options.catalog.get(name);
  if (!trace) throw new ApiError(404, { message: `Unknown trace "${name}"` });
  return trace;
}

function sinceParam(raw: string | undefined): number {
  if (raw === undefined || raw === "") return 0;
  if (!/^\d{1,9}$/.test(raw)) {
    throw new ApiError(400, { message: "since: expected a whole number ≥ 0" });
  }
  return Number(raw);
}
