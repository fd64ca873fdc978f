/**
 * The Deno KV layout of `proactive serve` (the store is `<out>/.state/serve.kv` unless
 * `--kv` says otherwise). Every key the server reads or writes is built by `KEY` here, so
 * the whole storage model is visible in one place:
 *
 * - `["trace", T]` → {@link TraceRecord}: the annotators of trace T in reservation order.
 *   It is the one record every reservation, release and label of T checks and rewrites
 *   (`atomic().check(versionstamp)`), so no trace ever gets more than N annotators.
 * - `["current", A]` → trace name: annotator A's current trace (the per-annotator index).
 * - `["label", T, A, turn]` → {@link LabelRecord}; its versionstamp is the answer's
 *   version (what a label request names in `replaces`).
 * - `["history", T, at, id]` → {@link HistoryRecord}: every change of an answer (label, skip,
 *   comment), every removal and every admin decision.
 * - `["decision", T, turn]` → {@link DecisionRecord}: an admin's final label of a question.
 * - `["annotator", username]` → {@link AnnotatorRecord}: stable identities.
 * - `["session", sha256(token)]` → {@link SessionRecord} (expires after 7 days).
 * - `["blocked", canonical username]` → {@link BlockedRecord}: user names an admin blocked.
 * - `["login_failures", "username" | "address", name]` → {@link LoginFailures} (expires
 *   after the window).
 *
 * How a label is stored: `POST /api/label` (`annotation_routes.ts`) checks the
 * session (`c.var.annotator`), the body's shape (`labelBody`) and the trace name
 * (`traceNamed`); `submitLabel` (`labels.ts`) checks the label against the question
 * (`labelProblem`) and the annotator's progress, then writes one atomic operation that
 * checks the versionstamp of `["trace", T]` and sets it (the member's `answered` and
 * `lastActivity`), `["label", T, A, turn]` and, when the label changed, a
 * `["history", T, at, id]` entry. The operation is committed by the `CommitBatcher`
 * (`commit_batcher.ts`), which merges the operations arriving while a commit runs into the
 * next commit and resolves each once it is durable. Then `traceChanged(T)` schedules the
 * result writer (`result_writer.ts`, wired by `startServer` in `serve_server.ts`): about
 * 2 s later `<out>/<trace>.json` is rebuilt from `["trace", T]` and the `["label", T]` range
 * (`readTraceLabels`, `buildResultFile`) and replaced with `writeFileAtomic` (temporary
 * file, fsync, rename). A label counts only while its `reservation` is the member's: labels
 * of a released reservation are ignored, and deleted by the release (`releases.ts`).
 *
 * Writers of the keys: reservations `assignment.ts`, releases `releases.ts`, labels `labels.ts`, the
 * start-up import `result_import.ts`, decisions `decisions.ts`, annotators `annotators.ts`, sessions `sessions.ts`,
 * login failures `login_throttle.ts`. Besides the keys this module holds only the record
 * types, `traceRecordOf` and `MAX_MUTATIONS`.
 *
 * @module
 */
import type { Label } from "../formats/result_file.ts";

/** The key of every record the server stores (see the module doc for what each holds). */
export const KEY = {
  trace: (trace: string): Deno.KvKey => ["trace", trace],
  traces: ["trace"] as Deno.KvKey,
  current: (annotator: string): Deno.KvKey => ["current", annotator],
  label: (trace: string, annotator: string, turn: number): Deno.KvKey => [
    "label",
    trace,
    annotator,
    turn,
  ],
  labelsOfTrace: (trace: string): Deno.KvKey => ["label", trace],
  labelsOfMember: (trace: string, annotator: string): Deno.KvKey => ["label", trace, annotator],
  labels: ["label"] as Deno.KvKey,
  history: (trace: string, at: number, id: string): Deno.KvKey => ["history", trace, at, id],
  historyOfTrace: (trace: string): Deno.KvKey => ["history", trace],
  allHistory: ["history"] as Deno.KvKey,
  decision: (trace: string, turn: number): Deno.KvKey => ["decision", trace, turn],
  decisionsOfTrace: (trace: string): Deno.KvKey => ["decision", trace],
  decisions: ["decision"] as Deno.KvKey,
  annotator: (username: string): Deno.KvKey => ["annotator", username],
  annotators: ["annotator"] as Deno.KvKey,
  session: (tokenHash: string): Deno.KvKey => ["session", tokenHash],
  blocked: (username: string): Deno.KvKey => ["blocked", username],
  allBlocked: ["blocked"] as Deno.KvKey,
  loginFailures: (scope: "username" | "address", name: string): Deno.KvKey => [
    "login_failures",
    scope,
    name,
  ],
  loginFailuresAll: ["login_failures"] as Deno.KvKey,
};

/** One annotator's reservation of a trace. */
export interface Member {
  /** Annotator id (32 hex chars). */
  id: string;
  /** Random id of this reservation; labels from an earlier, released reservation are ignored. */
  reservation: string;
  reservedAt: number;
  /** Reservation time or the time of the last submitted label (ms since the epoch). */
  lastActivity: number;
  /** Questions answered; labels always cover a prefix of the questions, so this is the position. */
  answered: number;
}

export interface TraceRecord {
  members: Member[];
}

/** One annotator's answer to one question: a label, or a skip with its reason. */
export interface LabelRecord {
  /** The label; null when the question was skipped (`skip` says why). */
  label: Label | null;
  /** Why the annotator skipped the question ("not sure", "trace unclear", their words). */
  skip?: string;
  /** The annotator's comment on this answer. */
  comment?: string;
  at: number;
  reservation: string;
}

export interface HistoryRecord {
  annotator: string;
  trace: string;
  turn: number;
  old: Label | null;
  /** The new label; null for a removal or a skip (`skip` set). */
  new: Label | null;
  /** The new answer's skip reason, when it is a skip. */
  skip?: string;
  /** The new answer's comment, when it has one. */
  comment?: string;
  at: number;
  /**
   * "released": removed because the reservation was released; "imported": read back
   * from a result file at start-up (see `importResultFiles`); "adjudicated": an admin's
   * decision (`annotator` is then `"admin"` and `by` the admin's user name; `new` null
   * when the decision was withdrawn, `comment` the decision's note).
   */
  reason?: "released" | "imported" | "adjudicated";
  /** The admin who made a decision. */
  by?: string;
}

/** An admin's final label of one question where the annotators disagree. */
export interface DecisionRecord {
  label: Label;
  /** Why, in the admin's words. */
  note?: string;
  /** The admin's user name. */
  by: string;
  at: number;
}

export interface AnnotatorRecord {
  id: string;
  username: string;
  createdAt: number;
}

export interface SessionRecord {
  /** "admin" for an admin session (`--admin-password`, no annotator id); absent: annotator. */
  role?: "admin";
  annotatorId: string;
  username: string;
  createdAt: number;
  expiresAt: number;
}

/** A user name an admin blocked: its sessions are refused, its labels stay. */
export interface BlockedRecord {
  at: number;
  /** The admin who blocked it. */
  by: string;
}

export interface LoginFailures {
  count: number;
  firstAt: number;
}

/** A trace record, or an empty one when the trace was never touched. */
export function traceRecordOf(entry: Deno.KvEntryMaybe<TraceRecord>): TraceRecord {
  return entry.value ?? { members: [] };
}

/** Deno KV allows at most 1000 mutations per atomic operation; stay well below. */
export const MAX_MUTATIONS = 900;
