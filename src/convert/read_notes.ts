/**
 * The notes side files of a result folder (`<in>/notes/<trace>.json`, written by
 * `proactive serve`; format in `formats/notes_file.ts`) and what `convert` does with them
 * before the vote (`fileItems`, `file_items.ts`):
 *
 * - **excluded annotators** (`--exclude-annotators`): their labels are dropped from every
 *   turn, as if they had never labelled it;
 * - **skips**: a skipped question is not in the result file's `real_user`, so it is no vote
 *   already; the side file tells how many answers (and turns) were skipped, for the summary;
 * - **decisions** (`--adjudicated prefer`, the default): a turn an admin decided votes as if
 *   each of its annotators, and at least 2, had given the final label, so the decision
 *   decides the items under either rule; `ignore` leaves decisions out (the vote of the
 *   labels decides, as in the reference) and counts them.
 *
 * A result folder without a `notes` folder (the reference's) converts exactly as before.
 *
 * @module
 */
import { join } from "node:path";
import { inputError } from "../cli/errors.ts";
import { NOTES_FOLDER, type NotesFile, parseNotesText } from "../formats/notes_file.ts";
import { listInputFolder } from "../store/input_folder.ts";
import { readInputTextSync } from "../store/read_input.ts";
import type { LabelledTurn } from "./read_results.ts";
import { labelKind } from "./vote_rules.ts";

/** How `--adjudicated` treats an admin's final label. */
export const ADJUDICATED = ["prefer", "ignore"] as const;
export type Adjudicated = typeof ADJUDICATED[number];

/** What convert takes from the side files and the command line. */
export interface NotesPolicy {
  adjudicated: Adjudicated;
  /** Annotator UUIDs (as in `real_user`) whose labels are dropped. */
  exclude: ReadonlySet<string>;
}

/** What applying the notes to one file did, for the summary. */
export interface NotesFigures {
  /** Answers (of annotators not excluded) skipped, and the turns with at least one. */
  skippedAnswers: number;
  skippedTurns: number;
  /** Labelled turns decided by an admin whose decision the vote used. */
  adjudicatedTurns: number;
  /** Decisions left out: `--adjudicated ignore`, or not fitting the turn (a warning). */
  adjudicatedIgnored: number;
  /** Labels dropped because their annotator is excluded. */
  excludedLabels: number;
}

export function noNotesFigures(): NotesFigures {
  return {
    skippedAnswers: 0,
    skippedTurns: 0,
    adjudicatedTurns: 0,
    adjudicatedIgnored: 0,
    excludedLabels: 0,
  };
}

/**
 * The side files of `inDir`, by the name of their result file (`<trace>.json`); empty when
 * the folder has no `notes` folder. A bad side file is an error naming it.
 */
export function readNotesFolder(inDir: string): Map<string, NotesFile> {
  const dir = join(inDir, NOTES_FOLDER);
  const notes = new Map<string, NotesFile>();
  try {
    if (!Deno.statSync(dir).isDirectory) return notes;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return notes;
    throw inputError(`Cannot read the notes folder "${dir}": ${(error as Error).message}`);
  }
  const isNotesName = (name: string) => name.endsWith(".json") && !name.startsWith(".");
  const folder = listInputFolder(dir, isNotesName, { what: "notes folder" });
  for (const name of folder.files) {
    const path = join(dir, name);
    notes.set(name, parseNotesText(readInputTextSync(path, { what: "notes file" }), path));
  }
  return notes;
}

/**
 * `turns` of the result file `path` with the notes applied (new objects; the input is not
 * changed), and what was done. `warn` hears of decisions that do not fit their turn.
 */
export function applyNotes(
  turns: readonly LabelledTurn[],
  notes: NotesFile | undefined,
  context: { policy: NotesPolicy; path: string; warn: (message: string) => void },
): { turns: LabelledTurn[]; figures: NotesFigures } {
  const { policy, path, warn } = context;
  const figures = noNotesFigures();
  const byEntry = new Map((notes?.turns ?? []).map((turn) => [turn.turn, turn]));
  for (const noted of byEntry.values()) {
    const skips = noted.answers.filter((answer) =>
      answer.skipped !== undefined && !policy.exclude.has(answer.annotator)
    ).length;
    figures.skippedAnswers += skips;
    if (skips > 0) {
      figures.skippedTurns++;
    }
  }
  const labelled = new Set(turns.map((turn) => turn.entry));
  for (const noted of byEntry.values()) {
    if (noted.decision && !labelled.has(noted.turn)) {
      figures.adjudicatedIgnored++;
      warn(`"${path}": the decision on entry ${noted.turn} is for a turn without labels; ignored`);
    }
  }
  const out = turns.map((turn) => {
    const kept = turn.annotators.flatMap((id, i) =>
      policy.exclude.has(id) ? [] : [{ id, label: turn.labels[i] }]
    );
    figures.excludedLabels += turn.annotators.length - kept.length;
    const next: LabelledTurn = {
      ...turn,
      annotators: kept.map((k) => k.id),
      labels: kept.map((k) => k.label),
    };
    const decision = byEntry.get(turn.entry)?.decision;
    if (!decision) return next;
    if (policy.adjudicated === "ignore") {
      figures.adjudicatedIgnored++;
      return next;
    }
    const kinds = labelKind([...turn.labels, decision.label]);
    if (kinds === "mixed") {
      figures.adjudicatedIgnored++;
      warn(`"${path}": the decision on entry ${turn.entry} does not fit its labels; ignored`);
      return next;
    }
    figures.adjudicatedTurns++;
    const voters = Math.max(2, next.annotators.length);
    return { ...next, labels: new Array(voters).fill(decision.label) };
  });
  return { turns: out, figures };
}
