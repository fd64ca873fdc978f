/**
 * Labels: checking an annotator's answer to a question and storing it. `submitLabel` is
 * called by the `POST /api/label` route (`annotation_routes.ts`, which has checked
 * the session, the body's shape against `labelBody` and the trace name), `getQuestion` by
 * `GET /api/question` ("change answer"); `labelProblem` also decides which labels
 * `result_import.ts` takes from a result file.
 *
 * An answer is a label or a skip (no label, the reason why), either with an optional
 * comment (`Answer`); skips and comments never reach the result file (the notes side file
 * has them, `formats/notes_file.ts`). A skip moves the annotator on like a label does.
 *
 * `submitLabel` checks, in order: the turn is a question of the trace (`questionNumber`,
 * else 409); the answer is a label or a skip (400); a label fits it (`labelProblem`, else 400: `HELP_NEED` or `HELP_NO_NEED` in
 * a help-mode trace, otherwise `REJECT_ALL` or a non-empty, sorted, duplicate-free list of
 * task indices in range); the trace is the annotator's and the question is reached
 * (`reachedMember`: 403 or 409, confirmed against KV before refusing, since the mirror may
 * lag); and, when the client sends `replaces`, the stored answer is the one it saw (else
 * 409 with the current one; the same answer again is accepted as a retry).
 *
 * Storing (`tryStore`) is one atomic operation, checked against the versionstamp of the
 * trace record: set `["trace", T]` (the member's `answered` and `lastActivity`), set
 * `["label", T, A, turn]` to `{label, skip?, comment?, at, reservation}`, and, when the
 * answer changed, set
 * `["history", T, at, id]` (the keys are `KEY` of `kv_schema.ts`). It is committed through
 * `ctx.commits`, the `CommitBatcher` (`commit_batcher.ts`), which merges the operations
 * arriving while a commit runs into the next one and resolves each once its writes are
 * durable. This process's writers of one trace queue on `TraceRecords.lock`; a failed check
 * refreshes the mirror and tries again (up to 50 times, then 503). After the commit the
 * mirror is updated (`TraceRecords.committed`) and `ctx.traceChanged(T)` calls
 * `ResultWriter.schedule` (`result_writer.ts`, wired by `startServer` in `serve_server.ts`):
 * about 2 s later `<out>/<trace>.json` is rebuilt from KV (`readTraceLabels`,
 * `buildResultFile`) and replaced with `writeFileAtomic` (temporary file, fsync, rename).
 *
 * @module
 */
import { HELP_NEED, HELP_NO_NEED, type Label, REJECT_ALL } from "../formats/result_file.ts";
import { ApiError } from "./api_error.ts";
import { type Assignment, busy } from "./assignment.ts";
import { refreshRecord } from "./releases.ts";
import {
  type HistoryRecord,
  KEY,
  type LabelRecord,
  type Member,
  type TraceRecord,
  traceRecordOf,
} from "./kv_schema.ts";
import type { ServeContext } from "./serve_context.ts";
import { type CatalogTrace, HELP_TASKS } from "./trace_catalog.ts";

/** Why `label` cannot answer question `turn` of `trace`, or undefined when it can. */
export function labelProblem(trace: CatalogTrace, turn: number, label: Label): string | undefined {
  if (trace.mode === "help") {
    if (label === HELP_NEED || label === HELP_NO_NEED) return undefined;
    return `label: expected "${HELP_NEED}" or "${HELP_NO_NEED}" for the help-mode trace "${trace.name}"`;
  }
  if (label === REJECT_ALL) return undefined;
  if (!Array.isArray(label)) {
    return `label: expected a list of task indices or "${REJECT_ALL}" for the trace "${trace.name}"`;
  }
  const tasks = trace.turns[turn].agent_response.candidate_task.length;
  if (label.length === 0) {
    return `label: choose at least one task, or "${REJECT_ALL}"`;
  }
  for (let i = 0; i < label.length; i++) {
    if (label[i] >= tasks) {
      return `label: task index ${label[i]} is out of range (turn ${turn} has ${tasks} tasks)`;
    }
    if (i > 0 && label[i] <= label[i - 1]) {
      return "label: task indices must be sorted and unique";
    }
  }
  return undefined;
}

/** The tasks shown for a question. */
export function questionTasks(trace: CatalogTrace, turn: number): string[] {
  return trace.mode === "help" ? [...HELP_TASKS] : trace.turns[turn].agent_response.candidate_task;
}

/**
 * An annotator's answer to a question: a label, or a skip (`label` null, `skip` the
 * reason), either with an optional comment.
 */
export interface Answer {
  label: Label | null;
  skip?: string;
  comment?: string;
}

/** The answer as stored and compared: absent fields left out. */
export function answerOf({ label, skip, comment }: Answer): Answer {
  return {
    label,
    ...(skip !== undefined && { skip }),
    ...(comment !== undefined && { comment }),
  };
}

function sameAnswer(a: Answer | null, b: Answer): boolean {
  return a !== null && JSON.stringify(answerOf(a)) === JSON.stringify(answerOf(b));
}

/** Why an answer is not a label or a skip, if so (`labelProblem` checks the label). */
function answerProblem(answer: Answer): string | undefined {
  if (answer.label === null && answer.skip === undefined) {
    return "label: expected a label, or skip with a reason";
  }
  if (answer.label !== null && answer.skip !== undefined) {
    return "skip: a skipped question has no label; send one or the other";
  }
  return undefined;
}

/** The question number (0-based) of `turn`, or a 409 when the turn is not a question. */
export function questionNumber(trace: CatalogTrace, turn: number): number {
  const index = trace.questionIndex.get(turn);
  if (index === undefined) {
    throw new ApiError(409, { message: `Turn ${turn} of "${trace.name}" is not a question` });
  }
  return index;
}

/** A question of a trace, as one annotator asks for it. */
export interface QuestionRef {
  /** The annotator's id. */
  annotator: string;
  trace: CatalogTrace;
  /** The question's turn: an index into the trace's turns. */
  turn: number;
}

/** A question located in its trace: `index` is its number among the questions (0-based). */
type LocatedQuestion = QuestionRef & { index: number };

/** Locates `question` in its trace; a 409 when its turn is not a question. */
function locate<Q extends QuestionRef>(question: Q): Q & { index: number } {
  return { ...question, index: questionNumber(question.trace, question.turn) };
}

/** Why the annotator may not answer the question in the record, if so. */
function memberProblem(record: TraceRecord, question: LocatedQuestion): ApiError | Member {
  const { annotator, trace, turn, index } = question;
  const member = record.members.find((m) => m.id === annotator);
  if (!member) {
    return new ApiError(403, { message: `The trace "${trace.name}" is not assigned to you` });
  }
  if (index > member.answered) {
    return new ApiError(409, {
      message: `Turn ${turn} of "${trace.name}" is not reached yet; answer question ${
        member.answered + 1
      } first`,
    });
  }
  return member;
}

/**
 * The annotator's reservation of the question's trace, checked to have reached it: 403
 * when the trace is not theirs, 409 when the question is ahead of them. A refusal is
 * confirmed against KV first (the mirror may lag behind another writer).
 */
async function reachedMember(
  ctx: ServeContext,
  question: LocatedQuestion,
): Promise<{ member: Member; entry: Deno.KvEntryMaybe<TraceRecord> }> {
  let entry = ctx.records.get(question.trace.name);
  let outcome = memberProblem(traceRecordOf(entry), question);
  if (outcome instanceof ApiError) {
    entry = await refreshRecord(ctx, question.trace);
    outcome = memberProblem(traceRecordOf(entry), question);
    if (outcome instanceof ApiError) throw outcome;
  }
  return { member: outcome, entry };
}

/** `replaces` of a label that answers a question for the first time. */
export const NEW_ANSWER = "new";

/** The answer a label replaces: its version (the label's KV versionstamp) or "new". */
export type Replaces = string;

/** One annotator's answer to one question, as `POST /api/label` carries it. */
export interface LabelSubmission extends QuestionRef, Answer {
  /** The version of the answer the client saw (see `submitLabel`); absent for old clients. */
  replaces?: Replaces;
}

/**
 * Stores the annotator's label for question `turn` and keeps the change in history. The
 * label, the member's progress and the history entry are one atomic KV commit (checked
 * against the trace record, so a concurrent release cannot interleave); it is durable
 * before this resolves.
 *
 * `replaces` is the version of the answer the client saw (`NEW_ANSWER` when it saw none).
 * When the stored answer is another one (a stale tab), nothing is written and a 409 carries
 * `current: {label, version}`; the same label as the stored one is accepted as is (a
 * retried request). Without `replaces` (older clients) the label is written regardless.
 */
export async function submitLabel(
  ctx: ServeContext,
  submission: LabelSubmission,
): Promise<Assignment> {
  const located = locate(submission);
  const { trace, turn, label } = located;
  const problem = answerProblem(located) ??
    (label === null ? undefined : labelProblem(trace, turn, label));
  if (problem) throw new ApiError(400, { message: problem });
  const unlock = await ctx.records.lock(trace.name);
  try {
    for (let attempt = 0; attempt < 50; attempt++) {
      // A mismatch is confirmed against a fresh record (attempt > 0) before it is refused.
      const outcome = await tryStore(ctx, located, attempt > 0);
      if (outcome) return outcome;
      await refreshRecord(ctx, trace);
    }
  } finally {
    unlock();
  }
  throw busy(`The server is too busy to store the label for "${trace.name}"`);
}

type LocatedSubmission = LabelSubmission & { index: number };

/** The member's stored answer to the question, with its version (`NEW_ANSWER` if none). */
async function storedAnswer(
  ctx: ServeContext,
  question: LocatedQuestion,
  member: Member,
): Promise<{ old: Answer | null; version: Replaces }> {
  const labelEntry = question.index < member.answered
    ? await ctx.kv.get<LabelRecord>(
      KEY.label(question.trace.name, question.annotator, question.turn),
    )
    : undefined; // the current question has no label yet
  const stored = labelEntry?.value?.reservation === member.reservation ? labelEntry : undefined;
  return {
    old: stored?.value ? answerOf(stored.value) : null,
    version: stored?.versionstamp ?? NEW_ANSWER,
  };
}

/**
 * One attempt of `submitLabel`: undefined when the trace record changed meanwhile (or a
 * stale `replaces` is not yet `confirmed` against a fresh record).
 */
async function tryStore(
  ctx: ServeContext,
  submission: LocatedSubmission,
  confirmed: boolean,
): Promise<Assignment | undefined> {
  const { trace, replaces, index } = submission;
  const { member, entry: recordEntry } = await reachedMember(ctx, submission);
  const { old, version } = await storedAnswer(ctx, submission, member);
  if (replaces !== undefined && replaces !== version) {
    if (sameAnswer(old, submission)) return { trace, member }; // already stored (a retry)
    if (!confirmed) return undefined;
    throw new ApiError(409, {
      message: `Question ${index + 1} of "${trace.name}" was answered meanwhile (another tab?); ` +
        "send it again with the current version to replace that answer",
      details: { current: { ...(old ?? { label: null }), version } },
    });
  }
  const at = ctx.now();
  const updated: Member = {
    ...member,
    lastActivity: at,
    answered: index === member.answered ? member.answered + 1 : member.answered,
  };
  const members = traceRecordOf(recordEntry).members;
  const record: TraceRecord = { members: members.map((m) => (m === member ? updated : m)) };
  const mutations = labelMutations({ submission, record, member, old, at });
  const result = await ctx.commits.commit({ checks: [recordEntry], mutations });
  if (!result.ok) return undefined;
  ctx.records.committed(trace.name, record, result.versionstamp, at + ctx.reclaimAfterMs);
  ctx.traceChanged(trace.name);
  return { trace, member: updated };
}

/**
 * The writes of one label: the trace record, the label and, when it changed, a history
 * entry. The trace record's check covers the label too: every label write rewrites it.
 */
function labelMutations(
  { submission, record, member, old, at }: {
    submission: LabelSubmission;
    record: TraceRecord;
    member: Member;
    old: Answer | null;
    at: number;
  },
): Deno.KvMutation[] {
  const { annotator, trace, turn } = submission;
  const answer = answerOf(submission);
  const mutations: Deno.KvMutation[] = [
    { type: "set", key: KEY.trace(trace.name), value: record },
    {
      type: "set",
      key: KEY.label(trace.name, annotator, turn),
      value: { ...answer, at, reservation: member.reservation } satisfies LabelRecord,
    },
  ];
  if (!sameAnswer(old, answer)) {
    const { label, ...notes } = answer;
    const change: HistoryRecord = {
      annotator,
      trace: trace.name,
      turn,
      old: old?.label ?? null,
      new: label,
      ...notes,
      at,
    };
    mutations.push({
      type: "set",
      key: KEY.history(trace.name, at, crypto.randomUUID()),
      value: change,
    });
  }
  return mutations;
}

export interface QuestionView {
  trace: string;
  turn: number;
  kind: "tasks" | "help";
  tasks: string[];
  label: Label | null;
  /** Why the annotator skipped it, when they did. */
  skip?: string;
  /** The annotator's comment on their answer. */
  comment?: string;
  /** Version of the stored answer (send it as `replaces`), or null when unanswered. */
  version: string | null;
  number: number;
  count: number;
}

/** A question the annotator has reached, with their current label (for "change answer"). */
export async function getQuestion(
  ctx: ServeContext,
  question: QuestionRef,
): Promise<QuestionView> {
  const located = locate(question);
  const { annotator, trace, turn, index } = located;
  const { member } = await reachedMember(ctx, located);
  const labelEntry = await ctx.kv.get<LabelRecord>(KEY.label(trace.name, annotator, turn));
  const stored = labelEntry.value?.reservation === member.reservation;
  return {
    trace: trace.name,
    turn,
    kind: trace.mode,
    tasks: questionTasks(trace, turn),
    ...(stored ? answerOf(labelEntry.value!) : { label: null }),
    version: stored ? labelEntry.versionstamp : null,
    number: index + 1,
    count: trace.questions.length,
  };
}

/** One answer of the annotator's, as the review list shows it. */
export interface AnswerView extends Answer {
  turn: number;
  /** The question's number in the trace (1-based). */
  number: number;
}

/**
 * The annotator's answers to the questions of `trace` they have answered, in order (for
 * reviewing them): 403 when the trace is not theirs. Labels of an earlier, released
 * reservation are left out.
 */
export async function listAnswers(
  ctx: ServeContext,
  { annotator, trace }: Omit<QuestionRef, "turn">,
): Promise<{ trace: string; count: number; answers: AnswerView[] }> {
  // The first question is reached by every member: this checks membership only (403,
  // confirmed against KV as for any answer).
  const first = { annotator, trace, turn: trace.questions[0], index: 0 };
  const { member } = await reachedMember(ctx, first);
  const answers: AnswerView[] = [];
  const prefix = KEY.labelsOfMember(trace.name, annotator);
  for await (const entry of ctx.kv.list<LabelRecord>({ prefix })) {
    if (entry.value.reservation !== member.reservation) continue;
    const turn = entry.key[3] as number;
    const index = trace.questionIndex.get(turn);
    if (index === undefined || index >= member.answered) continue;
    answers.push({ turn, number: index + 1, ...answerOf(entry.value) });
  }
  answers.sort((a, b) => a.number - b.number);
  return { trace: trace.name, count: trace.questions.length, answers };
}

/** The history of one trace, oldest first. */
export async function listHistory(kv: Deno.Kv, trace: string): Promise<HistoryRecord[]> {
  const out: HistoryRecord[] = [];
  for await (const entry of kv.list<HistoryRecord>({ prefix: KEY.historyOfTrace(trace) })) {
    out.push(entry.value);
  }
  return out;
}
