/**
 * The `Status` answer of `GET /api/status` (shown by the `/status` page): progress per trace
 * and per annotator, Krippendorff's alpha on task labels (`agreement.ts`) and the health of
 * the result files (`health.ts`). `buildStatus` releases idle reservations first
 * (`releaseAllStale`, `releases.ts`), so the counts match what Next would see, then reads
 * the whole store (trace records, annotators and every label): it is meant for the status
 * page, not the annotation hot path.
 *
 * @module
 */
import { type Agreement, agreementUnits, krippendorffAlphaNominal } from "./agreement.ts";
import { listAnnotators } from "./annotators.ts";
import { readTraceRecords } from "./assignment.ts";
import { releaseAllStale } from "./releases.ts";
import { HEALTHY, type StorageHealth } from "./health.ts";
import { KEY, type LabelRecord, type Member } from "./kv_schema.ts";
import { isFinished } from "./progress.ts";
import type { TraceLabels } from "./result_writer.ts";
import type { ServeContext } from "./serve_context.ts";
import type { CatalogTrace } from "./trace_catalog.ts";

/** The `Status` object of the JSON API. */
export interface Status {
  annotatorsPerTrace: number;
  traces: {
    trace: string;
    mode: "tasks" | "help";
    questions: number;
    done: number;
    inProgress: number;
    annotators: {
      id: string;
      username: string;
      status: "done" | "in progress";
      answered: number;
    }[];
  }[];
  annotators: {
    id: string;
    username: string;
    done: number;
    inProgress: number;
    labels: number;
    /** Of their answers: questions skipped, and answers with a comment. */
    skips: number;
    comments: number;
    /** Labels per hour between their first and their last label; null before two. */
    labelsPerHour: number | null;
    /** Krippendorff's alpha over the units they share with other annotators. */
    agreement: Agreement;
  }[];
  /** The project at a glance, and the time left at the pace of the last hour. */
  totals: {
    traces: { done: number; inProgress: number; untouched: number };
    labels: { done: number; needed: number };
    /** Labels given in the last hour; 0 when nobody labelled. */
    labelsLastHour: number;
    /** Hours left at that pace; null when the pace is 0 (or nothing is left: 0). */
    hoursLeft: number | null;
  };
  agreement: Agreement;
  /** The latest skips and comments (newest first, at most `MAX_NOTES`), and how many. */
  notes: { count: number; latest: StatusNote[] };
  /** Whether every result file is current (as `GET /api/health`). */
  storage: StorageHealth;
}

/** A skip or a comment, as the status page lists it. */
export interface StatusNote {
  trace: string;
  turn: number;
  question: number;
  annotator: string;
  username: string;
  skip?: string;
  comment?: string;
  at: number;
}

/** The most skips and comments `Status.notes` lists. */
export const MAX_NOTES = 200;

/** The skips and comments of a trace's current annotators. */
function traceNotes(
  trace: CatalogTrace,
  members: readonly Member[],
  { labels, usernames }: { labels: TraceLabels; usernames: Map<string, string> },
): StatusNote[] {
  const notes: StatusNote[] = [];
  for (const member of members) {
    for (const [turn, record] of labels.get(member.id) ?? []) {
      if (record.reservation !== member.reservation) continue;
      if (record.skip === undefined && record.comment === undefined) continue;
      notes.push({
        trace: trace.name,
        turn,
        question: (trace.questionIndex.get(turn) ?? 0) + 1,
        annotator: member.id,
        username: usernames.get(member.id) ?? "",
        ...(record.skip !== undefined && { skip: record.skip }),
        ...(record.comment !== undefined && { comment: record.comment }),
        at: record.at,
      });
    }
  }
  return notes;
}

/** Every label record in the store: trace → annotator → turn → record. */
export async function readAllLabels(kv: Deno.Kv): Promise<Map<string, TraceLabels>> {
  const byTrace = new Map<string, TraceLabels>();
  for await (const entry of kv.list<LabelRecord>({ prefix: KEY.labels })) {
    const [, trace, annotator, turn] = entry.key as [string, string, string, number];
    let traceLabels = byTrace.get(trace);
    if (!traceLabels) byTrace.set(trace, traceLabels = new Map());
    let own = traceLabels.get(annotator);
    if (!own) traceLabels.set(annotator, own = new Map());
    own.set(turn, entry.value);
  }
  return byTrace;
}

/**
 * Progress of every trace and annotator, and the agreement on task labels. Idle
 * reservations are released first, so the counts match what Next would see. This reads
 * the whole store; it is meant for the status page, not the annotation hot path.
 */
export async function buildStatus(ctx: ServeContext): Promise<Status> {
  await releaseAllStale(ctx);
  const [records, usernames, labels] = await Promise.all([
    readTraceRecords(ctx.kv),
    listAnnotators(ctx.kv),
    readAllLabels(ctx.kv),
  ]);
  type Counts = {
    done: number;
    inProgress: number;
    labels: number;
    skips: number;
    comments: number;
  };
  const none = (): Counts => ({ done: 0, inProgress: 0, labels: 0, skips: 0, comments: 0 });
  const perAnnotator = new Map<string, Counts>();
  for (const id of usernames.keys()) perAnnotator.set(id, none());
  const notes: StatusNote[] = [];
  const units: boolean[][] = [];

  const traces = ctx.catalog.traces.map((trace) => {
    const members = records.get(trace.name)?.value.members ?? [];
    const annotators = members.map((member) => {
      const done = isFinished(trace, member);
      let counts = perAnnotator.get(member.id);
      if (!counts) perAnnotator.set(member.id, counts = none());
      if (done) counts.done++;
      else counts.inProgress++;
      counts.labels += member.answered;
      return {
        id: member.id,
        username: usernames.get(member.id) ?? "",
        status: done ? "done" as const : "in progress" as const,
        answered: member.answered,
      };
    });
    const traceLabels = labels.get(trace.name) ?? new Map();
    units.push(...agreementUnits(trace, members, traceLabels));
    for (const note of traceNotes(trace, members, { labels: traceLabels, usernames })) {
      const counts = perAnnotator.get(note.annotator)!;
      if (note.skip !== undefined) counts.skips++;
      if (note.comment !== undefined) counts.comments++;
      notes.push(note);
    }
    const done = annotators.filter((a) => a.status === "done").length;
    return {
      trace: trace.name,
      mode: trace.mode,
      questions: trace.questions.length,
      done,
      inProgress: annotators.length - done,
      annotators,
    };
  });

  const shared = sharedUnits(ctx, { records, labels });
  const speeds = labelsPerHour(labels);
  const annotators = [...perAnnotator].map(([id, counts]) => ({
    id,
    username: usernames.get(id) ?? "",
    ...counts,
    labelsPerHour: speeds.get(id) ?? null,
    agreement: krippendorffAlphaNominal(shared.get(id) ?? []),
  })).sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));

  return {
    annotatorsPerTrace: ctx.annotatorsPerTrace,
    traces,
    annotators,
    totals: statusTotals(ctx, { traces, labels }),
    agreement: krippendorffAlphaNominal(units),
    notes: {
      count: notes.length,
      latest: notes.sort((a, b) => b.at - a.at).slice(0, MAX_NOTES),
    },
    storage: ctx.storageHealth?.() ?? HEALTHY,
  };
}

type AllLabels = Map<string, TraceLabels>;

/**
 * The units each annotator shares with others, over every task-mode trace, in one pass
 * over the traces' members (so it costs what the labels do, not annotators × traces).
 */
function sharedUnits(
  ctx: ServeContext,
  { records, labels }: {
    records: Awaited<ReturnType<typeof readTraceRecords>>;
    labels: AllLabels;
  },
): Map<string, boolean[][]> {
  const shared = new Map<string, boolean[][]>();
  for (const trace of ctx.catalog.traces) {
    const members = records.get(trace.name)?.value.members ?? [];
    const traceLabels = labels.get(trace.name) ?? new Map();
    for (const member of members) {
      const units = agreementUnits(trace, members, traceLabels, { sharedWith: member.id });
      let own = shared.get(member.id);
      if (!own) shared.set(member.id, own = []);
      own.push(...units);
    }
  }
  return shared;
}

/**
 * Each annotator's labels per hour, between their first and their last label (at least a
 * minute apart); absent before two labels. One pass over the labels.
 */
function labelsPerHour(labels: AllLabels): Map<string, number> {
  const spans = new Map<string, { first: number; last: number; count: number }>();
  for (const byAnnotator of labels.values()) {
    for (const [id, own] of byAnnotator) {
      for (const { at } of own.values()) {
        const span = spans.get(id);
        if (!span) spans.set(id, { first: at, last: at, count: 1 });
        else {
          span.first = Math.min(span.first, at);
          span.last = Math.max(span.last, at);
          span.count++;
        }
      }
    }
  }
  const speeds = new Map<string, number>();
  for (const [id, { first, last, count }] of spans) {
    if (count < 2) continue;
    const hours = Math.max(last - first, 60_000) / 3_600_000;
    speeds.set(id, Math.round((count / hours) * 10) / 10);
  }
  return speeds;
}

/** Traces done / in progress / untouched, labels done / needed, and the time left. */
function statusTotals(
  ctx: ServeContext,
  { traces, labels }: { traces: Status["traces"]; labels: AllLabels },
): Status["totals"] {
  const n = ctx.annotatorsPerTrace;
  const done = traces.filter((t) => t.done >= n).length;
  const untouched = traces.filter((t) => t.done + t.inProgress === 0).length;
  const project = ctx.records.progressIndex(ctx.catalog, n).project();
  const since = ctx.now() - 3_600_000;
  let labelsLastHour = 0;
  for (const byAnnotator of labels.values()) {
    for (const own of byAnnotator.values()) {
      for (const record of own.values()) if (record.at >= since) labelsLastHour++;
    }
  }
  const left = project.needed - project.done;
  return {
    traces: { done, inProgress: traces.length - done - untouched, untouched },
    labels: project,
    labelsLastHour,
    hoursLeft: left === 0
      ? 0
      : labelsLastHour === 0
      ? null
      : Math.round(left / labelsLastHour * 10) / 10,
  };
}
