/**
 * The `State` answer of `GET /api/state`, `POST /api/next` and `POST /api/label`
 * (`annotation_routes.ts`): what the annotation page shows of an annotator's trace. `buildState`
 * computes it from the assignment alone (`assignment.ts`, `progress.ts`) and reads nothing
 * from KV: the events revealed from the client's `since` on, the next unanswered question
 * with its tasks (`questionTasks`, `labels.ts`), the previous question's turn, and the
 * messages for a finished trace, no trace yet, or nothing left.
 *
 * @module
 */
import type { Annotator } from "./annotators.ts";
import type { Assignment, NothingLeft } from "./assignment.ts";
import { questionTasks, type QuestionView } from "./labels.ts";
import { isFinished, revealedCount } from "./progress.ts";
import type { OwnProgress, ProjectProgress } from "./progress_index.ts";

/** The `State` object of the JSON API (see README / api contract). */
export interface State {
  annotator: Annotator;
  trace: string | null;
  mode: "tasks" | "help" | null;
  totalTurns: number;
  since: number;
  events: { turn: number; time: string; event: string }[];
  revealed: number;
  question: null | Omit<QuestionView, "trace">;
  previousTurn: number | null;
  finished: boolean;
  /** Nothing is left for this annotator (`nothingLeft` says why). */
  allDone: boolean;
  /**
   * Why nothing is left, when so (see `NothingLeft`, `assignment.ts`).
   */
  nothingLeft: NothingLeft | null;
  message: string | null;
  /** The annotator's traces and the project's labels (see `progress_index.ts`). */
  progress: { traces: OwnProgress; labels: ProjectProgress } | null;
}

export const ALL_DONE_MESSAGE = "All traces are done. Thank you!";

/** What the page says when nothing is left, by reason (`annotatorsPerTrace` is N). */
export function nothingLeftMessage(reason: NothingLeft, annotatorsPerTrace: number): string {
  if (reason === "done") return ALL_DONE_MESSAGE;
  if (reason === "yours") {
    return "You have annotated every trace that still needs annotators. Thank you!";
  }
  const who = annotatorsPerTrace === 1 ? "an annotator" : `${annotatorsPerTrace} annotators`;
  return `Nothing left for you right now — the remaining traces already have ${who}. ` +
    "Press Next trace later: an unfinished one may be released.";
}
export const FINISHED_MESSAGE = "This trace is done. Press Next trace for another one.";
export const START_MESSAGE = "Press Next trace to get a trace to annotate.";

/**
 * The page's view of an annotator on their trace: events revealed so far (from `since`),
 * their next unanswered question (which never has a label yet: answers cover a prefix of
 * the questions) or `finished`.
 */
export function buildState(
  annotator: Annotator,
  assignment: Assignment | undefined,
  { since, nothingLeft, progress = null }: {
    /** Events of the trace the page already shows. */
    since: number;
    /** Why nothing is left for this annotator, with the trace limit N, when so. */
    nothingLeft?: { reason: NothingLeft; annotatorsPerTrace: number };
    /** The progress counts shown with the state. */
    progress?: State["progress"];
  },
): State {
  if (!assignment) {
    return {
      annotator,
      trace: null,
      mode: null,
      totalTurns: 0,
      since: 0,
      events: [],
      revealed: 0,
      question: null,
      previousTurn: null,
      finished: false,
      allDone: nothingLeft !== undefined,
      nothingLeft: nothingLeft?.reason ?? null,
      message: nothingLeft
        ? nothingLeftMessage(nothingLeft.reason, nothingLeft.annotatorsPerTrace)
        : START_MESSAGE,
      progress,
    };
  }
  const { trace, member } = assignment;
  const revealed = revealedCount(trace, member);
  const from = Math.min(Math.max(0, Math.trunc(since)), revealed);
  const events = [];
  for (let turn = from; turn < revealed; turn++) {
    const { time, event } = trace.turns[turn].observation;
    events.push({ turn, time, event });
  }
  const finished = isFinished(trace, member);
  const questionTurn = finished ? undefined : trace.questions[member.answered];
  return {
    annotator,
    trace: trace.name,
    mode: trace.mode,
    totalTurns: trace.turns.length,
    since: from,
    events,
    revealed,
    question: questionTurn === undefined ? null : {
      turn: questionTurn,
      kind: trace.mode,
      tasks: questionTasks(trace, questionTurn),
      label: null,
      version: null,
      number: member.answered + 1,
      count: trace.questions.length,
    },
    previousTurn: member.answered > 0 ? trace.questions[member.answered - 1] : null,
    finished,
    allDone: false,
    nothingLeft: null,
    message: finished ? FINISHED_MESSAGE : null,
    progress,
  };
}
