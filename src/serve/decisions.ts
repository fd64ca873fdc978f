/**
 * Review and adjudication (admins only, `review_routes.ts`): `reviewQueue` lists the
 * questions where the current annotators' labels disagree (and those already decided),
 * each with every annotator's answer and how split the vote is; `decide` stores an admin's
 * final label of a question with an optional note, or withdraws it. A decision is one
 * atomic write of `["decision", T, turn]` and a history entry of reason "adjudicated"
 * (`kv_schema.ts`); then the result writer rewrites the trace's notes side file
 * (`trace_notes.ts`), from which `proactive convert --adjudicated prefer` takes it. The
 * result file itself never changes: decisions are not in the reference format.
 *
 * @module
 */
import type { Label } from "../formats/result_file.ts";
import { listAnnotators } from "./annotators.ts";
import { ApiError } from "./api_error.ts";
import { readTraceRecords } from "./assignment.ts";
import { type DecisionRecord, type HistoryRecord, KEY, type Member } from "./kv_schema.ts";
import { answerOf, labelProblem, questionNumber, questionTasks } from "./labels.ts";
import { currentRecord, type TraceLabels } from "./result_writer.ts";
import type { ServeContext } from "./serve_context.ts";
import { readAllLabels } from "./status.ts";
import type { CatalogTrace } from "./trace_catalog.ts";

/** One annotator's answer, as the review shows it. */
export interface ReviewAnswer {
  annotator: string;
  username: string;
  /** null when they skipped the question (`skip` says why). */
  label: Label | null;
  skip?: string;
  comment?: string;
}

/** A question to review: where the labels disagree, or one an admin decided. */
export interface ReviewUnit {
  trace: string;
  turn: number;
  /** The question's number in the trace (1-based). */
  question: number;
  mode: "tasks" | "help";
  tasks: string[];
  answers: ReviewAnswer[];
  /** Labels (skips apart) in the largest group of identical labels, and all labels. */
  majority: number;
  labels: number;
  decision: { label: Label; note?: string; by: string; at: number } | null;
}

/** The current answers of a question, in reservation order. */
function answersOf(
  { members, labels, usernames }: {
    members: readonly Member[];
    labels: TraceLabels;
    usernames: Map<string, string>;
  },
  turn: number,
): ReviewAnswer[] {
  return members.flatMap((member) => {
    const record = currentRecord(labels, member, turn);
    if (!record) return [];
    return [{
      annotator: member.id,
      username: usernames.get(member.id) ?? "",
      ...answerOf(record),
    }];
  });
}

/** The size of the largest group of identical labels among `answers` (skips apart). */
function largestGroup(answers: readonly ReviewAnswer[]): { majority: number; labels: number } {
  const counts = new Map<string, number>();
  for (const { label } of answers) {
    if (label === null) continue;
    const key = JSON.stringify(label);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const sizes = [...counts.values()];
  return { majority: Math.max(0, ...sizes), labels: sizes.reduce((a, b) => a + b, 0) };
}

/**
 * The review queue: every question with at least two labels that are not all the same, and
 * every question an admin decided, in trace and turn order (the page sorts it otherwise).
 * Reads the whole store: for the admin's page, not the annotation hot path.
 */
export async function reviewQueue(ctx: ServeContext): Promise<ReviewUnit[]> {
  const [records, usernames, labels, decisions] = await Promise.all([
    readTraceRecords(ctx.kv),
    listAnnotators(ctx.kv),
    readAllLabels(ctx.kv),
    readAllDecisions(ctx.kv),
  ]);
  const queue: ReviewUnit[] = [];
  for (const trace of ctx.catalog.traces) {
    const members = records.get(trace.name)?.value.members ?? [];
    const traceLabels = labels.get(trace.name) ?? new Map();
    for (const [index, turn] of trace.questions.entries()) {
      const answers = answersOf({ members, labels: traceLabels, usernames }, turn);
      const { majority, labels: count } = largestGroup(answers);
      const decision = decisions.get(trace.name)?.get(turn) ?? null;
      if (!decision && (count < 2 || majority === count)) continue;
      queue.push({
        trace: trace.name,
        turn,
        question: index + 1,
        mode: trace.mode,
        tasks: questionTasks(trace, turn),
        answers,
        majority,
        labels: count,
        decision,
      });
    }
  }
  return queue;
}

async function readAllDecisions(kv: Deno.Kv): Promise<Map<string, Map<number, DecisionRecord>>> {
  const byTrace = new Map<string, Map<number, DecisionRecord>>();
  for await (const entry of kv.list<DecisionRecord>({ prefix: KEY.decisions })) {
    const [, trace, turn] = entry.key as [string, string, number];
    let own = byTrace.get(trace);
    if (!own) byTrace.set(trace, own = new Map());
    own.set(turn, entry.value);
  }
  return byTrace;
}

/** The events of `trace` up to and including question `turn` (what its annotators saw). */
export function eventsUpTo(
  trace: CatalogTrace,
  turn: number,
): { turn: number; time: string; event: string }[] {
  questionNumber(trace, turn); // 409 when not a question
  return trace.turns.slice(0, turn + 1).map(({ observation }, index) => ({
    turn: index,
    time: observation.time,
    event: observation.event,
  }));
}

/** An admin's decision on a question: its final `label` (null withdraws it) and a note. */
export interface DecisionRequest {
  trace: CatalogTrace;
  turn: number;
  label: Label | null;
  note?: string;
  /** The admin's user name. */
  by: string;
}

/**
 * Stores (or, with a null label, withdraws) the final label of a question, with a history
 * entry of reason "adjudicated"; 400 when the label does not fit the question, 409 when the
 * turn is not a question. The trace's notes side file is rewritten after it.
 */
export async function decide(ctx: ServeContext, request: DecisionRequest): Promise<void> {
  const { trace, turn, label, note, by } = request;
  questionNumber(trace, turn);
  const problem = label === null ? undefined : labelProblem(trace, turn, label);
  if (problem) throw new ApiError(400, { message: problem });
  const key = KEY.decision(trace.name, turn);
  const at = ctx.now();
  for (let attempt = 0; attempt < 10; attempt++) {
    const current = await ctx.kv.get<DecisionRecord>(key);
    const change: HistoryRecord = {
      annotator: "admin",
      trace: trace.name,
      turn,
      old: current.value?.label ?? null,
      new: label,
      ...(note !== undefined && { comment: note }),
      at,
      reason: "adjudicated",
      by,
    };
    const operation = ctx.kv.atomic().check(current)
      .set(KEY.history(trace.name, at, crypto.randomUUID()), change);
    if (label === null) operation.delete(key);
    else {
      operation.set(key, { label, ...(note !== undefined && { note }), by, at } as DecisionRecord);
    }
    if ((await operation.commit()).ok) {
      ctx.traceChanged(trace.name);
      return;
    }
  }
  throw new ApiError(503, { message: `The decision on "${trace.name}" keeps changing; try again` });
}
