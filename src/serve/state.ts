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
import type { Assignment } from "./assignment.ts";
import { questionTasks, type QuestionView } from "./labels.ts";
import { isFinished, revealedCount } from "./progress.ts";

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
  allDone: boolean;
  message: string | null;
}

export const ALL_DONE_MESSAGE = "All traces are done. Thank you!";
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
  { since, allDone = false }: {
    /** Events of the trace the page already shows. */
    since: number;
    /** Nothing is left for this annotator (the "all done" message). */
    allDone?: boolean;
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
      allDone,
      message: allDone ? ALL_DONE_MESSAGE : START_MESSAGE,
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
    message: finished ? FINISHED_MESSAGE : null,
  };
}
