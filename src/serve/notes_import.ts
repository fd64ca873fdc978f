/**
 * The notes side files read back at start-up, beside the result files (`result_import.ts`):
 * after a lost store, `<out>/notes/<trace>.json` gives back what the result file cannot —
 * the skipped questions (so an imported annotator's answered prefix runs through them), the
 * comments on imported labels, and the admins' decisions. Read as the result files are: no
 * symbolic link followed (a link is refused, naming it), no byte of the file quoted in a
 * message, and only turns that are questions of the trace (the same turn and question
 * number) taken. Where the store already has a decision, the store wins.
 *
 * @module
 */
import { join } from "node:path";
import {
  type Decision,
  NOTES_FOLDER,
  type NotesFile,
  notesFileSchema,
} from "../formats/notes_file.ts";
import { jsonPath } from "../formats/trace.ts";
import { refuseSymlink } from "../store/no_follow.ts";
import { readImportJson } from "./import_file.ts";
import { type DecisionRecord, type HistoryRecord, KEY } from "./kv_schema.ts";
import { labelProblem } from "./labels.ts";
import type { Logger } from "../cli/logger.ts";
import { readTraceLabels } from "./result_writer.ts";
import { buildNotesFile, readTraceDecisions } from "./trace_notes.ts";
import type { CatalogTrace } from "./trace_catalog.ts";

const NOTES_WHAT = "notes side file";

/** What reading a trace's notes side file for the import found. */
export type ImportNotes =
  | { kind: "missing" }
  | { kind: "unreadable"; error: string }
  | { kind: "invalid"; bytes: Uint8Array; problem: string }
  | { kind: "parsed"; bytes: Uint8Array; notes: NotesFile };

/** The path of the notes side file of `trace` in the result folder `outDir`. */
export function notesPath(outDir: string, trace: string): string {
  return join(outDir, NOTES_FOLDER, `${trace}.json`);
}

/** Reads the notes side file of `trace`; throws `SymlinkRefusedError` for a link. */
export async function readImportNotes(outDir: string, trace: CatalogTrace): Promise<ImportNotes> {
  await refuseSymlink(join(outDir, NOTES_FOLDER), "folder of the notes side files");
  const read = await readImportJson(
    notesPath(outDir, trace.name),
    `notes side file of the trace "${trace.name}"`,
  );
  if (read.kind !== "json") return read;
  const { bytes, value } = read;
  const parsed = notesFileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { kind: "invalid", bytes, problem: `at ${jsonPath(issue.path)}: ${issue.message}` };
  }
  if (parsed.data.trace !== trace.name) {
    return { kind: "invalid", bytes, problem: "it is the notes file of another trace" };
  }
  return { kind: "parsed", bytes, notes: parsed.data };
}

/** A skip or a comment of one annotator on one question, as the import takes it. */
export interface NotedAnswer {
  skip?: string;
  comment?: string;
}

/** What the import takes from a notes side file. */
export interface NotesForImport {
  /** Annotator id → question turn → their skip (reason) or the comment on their label. */
  answers: Map<string, Map<number, NotedAnswer>>;
  /** Question turn → the admin's decision. */
  decisions: Map<number, Decision>;
  /** Turns of the file that are not the trace's questions (nothing taken from them). */
  foreign: number;
}

/** The answers and decisions of `notes` on the questions of `trace` (none without notes). */
export function notesForImport(trace: CatalogTrace, notes: NotesFile | undefined): NotesForImport {
  const taken: NotesForImport = { answers: new Map(), decisions: new Map(), foreign: 0 };
  for (const noted of notes?.turns ?? []) {
    if (trace.questionIndex.get(noted.turn) !== noted.question - 1) {
      taken.foreign++;
      continue;
    }
    for (const answer of noted.answers) {
      let own = taken.answers.get(answer.annotator);
      if (!own) taken.answers.set(answer.annotator, own = new Map());
      own.set(noted.turn, {
        ...(answer.skipped !== undefined && { skip: answer.skipped }),
        ...(answer.comment !== undefined && { comment: answer.comment }),
      });
    }
    if (noted.decision) taken.decisions.set(noted.turn, noted.decision);
  }
  return taken;
}

/**
 * Stores the decisions the store does not have (the store wins where it has one), each
 * with a history entry of reason "imported"; a decision whose label does not fit its
 * question is left out. Resolves to how many were imported.
 */
export async function importDecisions(
  kv: Deno.Kv,
  trace: CatalogTrace,
  { decisions, at }: { decisions: ReadonlyMap<number, Decision>; at: number },
): Promise<number> {
  let imported = 0;
  for (const [turn, decision] of decisions) {
    if (labelProblem(trace, turn, decision.label) !== undefined) continue;
    const key = KEY.decision(trace.name, turn);
    const decidedAt = Date.parse(decision.at);
    const record: DecisionRecord = {
      label: decision.label,
      ...(decision.note !== undefined && { note: decision.note }),
      by: decision.by,
      at: Number.isFinite(decidedAt) ? decidedAt : at,
    };
    const history: HistoryRecord = {
      annotator: "admin",
      trace: trace.name,
      turn,
      old: null,
      new: decision.label,
      ...(decision.note !== undefined && { comment: decision.note }),
      at,
      reason: "imported",
      by: decision.by,
    };
    const result = await kv.atomic().check({ key, versionstamp: null }).set(key, record)
      .set(KEY.history(trace.name, at, crypto.randomUUID()), history).commit();
    if (result.ok) imported++;
  }
  return imported;
}

/** Keeps a copy of a file's bytes in `.state/replaced/` and logs why (`result_import.ts`). */
export type SaveCopy = (
  trace: string,
  path: string,
  bytes: Uint8Array,
  why: string,
  /** What the file is, for the log (default "result file"). */
  what?: string,
) => Promise<void>;

/**
 * Copies the notes side file of `trace` to `.state/replaced/` when the store, after the
 * import, does not hold all of it (or it is not a valid notes file): the writer is about to
 * rewrite it from the store.
 */
export async function keepNotesNotHeld(
  trace: CatalogTrace,
  read: Awaited<ReturnType<typeof readImportNotes>>,
  { kv, outDir, logger, saveCopy }: {
    kv: Deno.Kv;
    outDir: string;
    logger: Logger;
    saveCopy: SaveCopy;
  },
): Promise<void> {
  const path = notesPath(outDir, trace.name);
  const copyName = `${trace.name}.notes`;
  if (read.kind === "unreadable") {
    logger.warn(`Cannot read the notes side file "${path}" to import it: ${read.error}`);
    return;
  }
  if (read.kind === "invalid") {
    await saveCopy(copyName, path, read.bytes, `is not valid (${read.problem})`, NOTES_WHAT);
    return;
  }
  if (read.kind !== "parsed") return;
  const [{ members, labels }, decisions] = await Promise.all([
    readTraceLabels(kv, trace.name),
    readTraceDecisions(kv, trace.name),
  ]);
  if (!notesHeld(read.notes, buildNotesFile(trace, members, labels, decisions))) {
    await saveCopy(
      copyName,
      path,
      read.bytes,
      "holds notes the store does not have and will not take",
    );
  }
}

/** True when the store's notes (`current`, from `buildNotesFile`) hold all of `file`. */
export function notesHeld(file: NotesFile, current: NotesFile | null): boolean {
  const byTurn = new Map((current?.turns ?? []).map((turn) => [turn.turn, turn]));
  return file.turns.every((turn) => {
    const now = byTurn.get(turn.turn);
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    const answersHeld = turn.answers.every((answer) =>
      now?.answers.some((other) =>
        other.annotator === answer.annotator && other.skipped === answer.skipped &&
        other.comment === answer.comment && same(other.label, answer.label)
      )
    );
    const decisionHeld = turn.decision === undefined ||
      same(turn.decision.label, now?.decision?.label);
    return answersHeld && decisionHeld;
  });
}
