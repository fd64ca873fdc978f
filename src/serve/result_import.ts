/**
 * The start-up import of result files: `importResultFiles`, called by `startServer`
 * (`serve_server.ts`) before every result file is rewritten from the store, puts labels
 * that only `<out>/<trace>.json` still holds (after a deleted, empty or replaced store)
 * back into KV, so the rewrite never shrinks the folder. An annotator the store knows
 * nothing about on a trace becomes a member again with the longest valid prefix of their
 * labels (`importablePrefix`, checked with `labelProblem` of `labels.ts`), each label with a
 * history entry of reason "imported"; wherever the store knows the annotator, the store
 * wins. Reading a file and matching it with its trace is `import_file.ts`; a file not taken
 * whole is copied first (`replaced_copies.ts`). The trace's notes side file
 * (`notes_import.ts`) gives back the skips, comments and decisions the result file has no
 * place for; one the store does not then hold whole is copied too.
 *
 * Writes (`importTrace`, keys of `kv_schema.ts`): the labels and their history entries
 * first, in batches below `MAX_MUTATIONS`, then one commit that checks and sets
 * `["trace", T]` (and `["current", A]` of an unfinished import when the annotator has none),
 * so an interrupted import leaves no member without labels and is redone at the next start.
 *
 * @module
 */
import { join } from "node:path";
import type { Logger } from "../cli/logger.ts";
import {
  type Label,
  labelsOfEntry,
  type ResultFile,
  type StoredResultFile,
} from "../formats/result_file.ts";
import { readImportFile } from "./import_file.ts";
import {
  importDecisions,
  keepNotesNotHeld,
  type NotedAnswer,
  notesForImport,
  readImportNotes,
  type SaveCopy,
} from "./notes_import.ts";
import {
  type HistoryRecord,
  KEY,
  type LabelRecord,
  MAX_MUTATIONS,
  type Member,
  type TraceRecord,
} from "./kv_schema.ts";
import { labelProblem } from "./labels.ts";
import { isFinished } from "./progress.ts";
import { refuseLinkedCopyFolders, saveReplacedCopy } from "./replaced_copies.ts";
import { buildResultFile, readTraceLabels } from "./result_writer.ts";
import type { Catalog, CatalogTrace } from "./trace_catalog.ts";

/** One annotator's labels read back from a result file. */
export interface ImportedMember {
  trace: string;
  annotator: string;
  labels: number;
  done: boolean;
}

export interface ImportReport {
  imported: ImportedMember[];
  /** Admins' decisions taken from the notes side files. */
  decisions: number;
  /** Copies kept of the result files not taken whole (new, or the same bytes kept before). */
  savedCopies: string[];
}

/**
 * Annotator id → turn → label, in the order the annotators first appear in the file; only
 * from the entries `matches` marks as the trace's turns (all when omitted).
 */
export function labelsInFile(
  file: StoredResultFile,
  matches?: readonly boolean[],
): Map<string, Map<number, Label>> {
  const byAnnotator = new Map<string, Map<number, Label>>();
  file.forEach((entry, turn) => {
    if (matches && !matches[turn]) return;
    for (const [id, label] of Object.entries(labelsOfEntry(entry) ?? {})) {
      let own = byAnnotator.get(id);
      if (!own) byAnnotator.set(id, own = new Map());
      own.set(turn, label);
    }
  });
  return byAnnotator;
}

/** An answer to import: a label (with its comment, if any), or a skip with its reason. */
export interface ImportedAnswer {
  label: Label | null;
  skip?: string;
  comment?: string;
}

/**
 * The answers of an annotator that can be imported: the longest prefix of the trace's
 * questions with a valid label each, or a skip in the notes side file (`noted`; live
 * answers always cover such a prefix). Comments of the notes go with their labels.
 */
export function importablePrefix(
  trace: CatalogTrace,
  labels: Map<number, Label>,
  noted: ReadonlyMap<number, NotedAnswer> = new Map(),
): ImportedAnswer[] {
  const prefix: ImportedAnswer[] = [];
  for (const turn of trace.questions) {
    const label = labels.get(turn);
    const note = noted.get(turn);
    if (label === undefined && note?.skip !== undefined) {
      prefix.push({ label: null, skip: note.skip, ...(note.comment && { comment: note.comment }) });
      continue;
    }
    if (label === undefined || labelProblem(trace, turn, label) !== undefined) break;
    prefix.push({ label, ...(note?.comment !== undefined && { comment: note.comment }) });
  }
  return prefix;
}

/** True when every label of `file` is in `current` (the file the store would write now). */
function holdsNothingMore(file: StoredResultFile, current: ResultFile): boolean {
  return file.every((entry, turn) =>
    Object.entries(labelsOfEntry(entry) ?? {}).every(([id, label]) =>
      JSON.stringify(current[turn]?.real_user?.[id]) === JSON.stringify(label)
    )
  );
}

/**
 * Reads the result files in `outDir` back into the store before the server rewrites them,
 * so a deleted, empty or replaced store never shrinks them. For each served trace, an
 * annotator found in `<trace>.json` whom the store knows nothing about on that trace (not
 * a member, no history other than an earlier import) becomes a member again with the
 * labels of their answered prefix of questions: done when that covers every question,
 * in progress otherwise (their idle time starts now, so the usual release rule applies).
 * Each imported label gets a history entry with reason "imported". The store wins
 * wherever it knows the annotator. Only entries that are the trace's turns (the same
 * observation and candidate tasks, `import_file.ts`) give labels: a file of another trace
 * gives none.
 *
 * A file not taken whole — one that does not parse, has entries that are not the trace's
 * turns, or still holds labels the store lacks after this (a label the trace no longer
 * accepts, an annotator the store released) — is copied to `<outDir>/.state/replaced/`
 * (`replaced_copies.ts`) before it is rewritten, and the log names the copy. A result file
 * (or `.state`, `.state/replaced`) that is a symbolic link is refused with an error naming
 * it, before anything is read through it; the log never quotes a file's contents.
 */
export async function importResultFiles(options: {
  kv: Deno.Kv;
  catalog: Catalog;
  outDir: string;
  logger: Logger;
  now: () => number;
}): Promise<ImportReport> {
  const { kv, catalog, outDir, logger, now } = options;
  const report: ImportReport = { imported: [], decisions: 0, savedCopies: [] };
  await refuseLinkedCopyFolders(outDir);
  const saveCopy: SaveCopy = async (trace, path, bytes, why, what = "result file") => {
    const copy = await saveReplacedCopy({ outDir, trace, bytes, at: now() });
    report.savedCopies.push(copy.path);
    logger.warn(
      `The ${what} "${path}" ${why}; ${copy.created ? "kept a copy" : "a copy is kept"} ` +
        `as "${copy.path}"`,
    );
  };

  for (const trace of catalog.traces) {
    const notesRead = await readImportNotes(outDir, trace);
    const notes = notesForImport(trace, notesRead.kind === "parsed" ? notesRead.notes : undefined);
    await importResultFile(trace, notes.answers, { kv, outDir, logger, now, report, saveCopy });
    report.decisions += await importDecisions(kv, trace, { decisions: notes.decisions, at: now() });
    await keepNotesNotHeld(trace, notesRead, { kv, outDir, logger, saveCopy });
  }

  for (const member of report.imported) {
    logger.info(
      `Imported ${
        plural(member.labels, "label")
      } of annotator ${member.annotator} on "${member.trace}" (${
        member.done ? "done" : "in progress"
      }) from the result file`,
    );
  }
  if (report.imported.length > 0) {
    const labels = report.imported.reduce((sum, m) => sum + m.labels, 0);
    const traces = new Set(report.imported.map((m) => m.trace)).size;
    logger.info(
      `Imported ${plural(labels, "label")} of ${
        plural(report.imported.length, "annotator reservation")
      } on ${plural(traces, "trace")} from the result files in "${outDir}" into the store`,
    );
  }
  if (report.decisions > 0) {
    logger.info(
      `Imported ${plural(report.decisions, "decision")} from the notes side files into the store`,
    );
  }
  return report;
}

/** The import of one trace's result file, with the skips and comments of its notes. */
async function importResultFile(
  trace: CatalogTrace,
  noted: Map<string, Map<number, NotedAnswer>>,
  { kv, outDir, logger, now, report, saveCopy }: {
    kv: Deno.Kv;
    outDir: string;
    logger: Logger;
    now: () => number;
    report: ImportReport;
    saveCopy: SaveCopy;
  },
): Promise<void> {
  const path = join(outDir, `${trace.name}.json`);
  const read = await readImportFile(path, trace);
  if (read.kind === "unreadable") {
    logger.warn(`Cannot read the result file "${path}" to import it: ${read.error}`);
    return;
  }
  if (read.kind === "invalid") {
    await saveCopy(trace.name, path, read.bytes, `is not a valid result file (${read.problem})`);
    return;
  }
  const inFile = read.kind === "parsed" ? labelsInFile(read.file, read.matches) : new Map();
  if (inFile.size > 0 || noted.size > 0) {
    report.imported.push(...await importTrace(kv, trace, { inFile, noted }, now()));
  }
  if (read.kind === "missing") return;
  if (read.mismatch !== undefined) {
    await saveCopy(
      trace.name,
      path,
      read.bytes,
      `does not match its trace: ${read.mismatch}; no label was taken from those entries`,
    );
    return;
  }
  const { members, labels } = await readTraceLabels(kv, trace.name);
  if (!holdsNothingMore(read.file, buildResultFile(trace, members, labels))) {
    await saveCopy(
      trace.name,
      path,
      read.bytes,
      "holds labels the store does not have and will not take",
    );
  }
}

/** Imports the answers of `trace` whose annotators the store does not know there. */
async function importTrace(
  kv: Deno.Kv,
  trace: CatalogTrace,
  { inFile, noted }: {
    inFile: Map<string, Map<number, Label>>;
    noted: Map<string, Map<number, NotedAnswer>>;
  },
  at: number,
): Promise<ImportedMember[]> {
  const recordEntry = await kv.get<TraceRecord>(KEY.trace(trace.name));
  const members = recordEntry.value?.members ?? [];
  const known = new Set(members.map((m) => m.id));
  for await (const entry of kv.list<HistoryRecord>({ prefix: KEY.historyOfTrace(trace.name) })) {
    if (entry.value.reason !== "imported") known.add(entry.value.annotator);
  }

  const added: Member[] = [];
  const imported: ImportedMember[] = [];
  const labelWrites: Deno.KvMutation[] = [];
  const ids = new Set([...inFile.keys(), ...noted.keys()]);
  for (const id of ids) {
    if (known.has(id)) continue;
    const prefix = importablePrefix(trace, inFile.get(id) ?? new Map(), noted.get(id));
    if (prefix.length === 0) continue;
    const member: Member = {
      id,
      reservation: crypto.randomUUID(),
      reservedAt: at,
      lastActivity: at,
      answered: prefix.length,
    };
    prefix.forEach((answer, index) => {
      const turn = trace.questions[index];
      const { label } = answer;
      labelWrites.push(
        {
          type: "set",
          key: KEY.label(trace.name, id, turn),
          value: { ...answer, at, reservation: member.reservation } satisfies LabelRecord,
        },
        {
          type: "set",
          key: KEY.history(trace.name, at, crypto.randomUUID()),
          value: {
            annotator: id,
            trace: trace.name,
            turn,
            old: null,
            new: label,
            ...(answer.skip !== undefined && { skip: answer.skip }),
            ...(answer.comment !== undefined && { comment: answer.comment }),
            at,
            reason: "imported",
          } satisfies HistoryRecord,
        },
      );
    });
    added.push(member);
    imported.push({
      trace: trace.name,
      annotator: id,
      labels: prefix.length,
      done: isFinished(trace, member),
    });
  }
  if (added.length === 0) return [];

  // Labels first, in batches below KV's limit; the record that makes them count goes last,
  // so an interrupted import leaves no member without labels (and is redone next start).
  for (let i = 0; i < labelWrites.length; i += MAX_MUTATIONS) {
    const result = await kv.atomic().mutate(...labelWrites.slice(i, i + MAX_MUTATIONS)).commit();
    if (!result.ok) throw new Error(`Cannot import the labels of "${trace.name}" into the store`);
  }
  const final = kv.atomic().check(recordEntry).set(
    KEY.trace(trace.name),
    {
      members: [...members, ...added],
    } satisfies TraceRecord,
  );
  for (const member of added) {
    if (isFinished(trace, member)) continue;
    // An unfinished trace is the annotator's current one, unless they already have one.
    const current = await kv.get<string>(KEY.current(member.id));
    if (current.value === null) {
      final.check(current).set(KEY.current(member.id), trace.name);
    }
  }
  const result = await final.commit();
  if (!result.ok) throw new Error(`The trace record of "${trace.name}" changed during the import`);
  return imported;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
