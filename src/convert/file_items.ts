/**
 * One result file's contribution to a conversion. `fileItems` (called by `voteFiles`,
 * `vote_files.ts`, for each file) decodes and validates the bytes (`decodeResultFile`,
 * `read_results.ts`), votes each labelled turn (`voteTurn`, `vote_rules.ts`), counts the
 * figures the summary adds up (labelled turns, help turns, agreeing votes, turns with too
 * few annotators or no majority), and encodes the items, in turn order, with the run's
 * shared `LineEncoder` (`reward_lines.ts`). Warnings are collected, not logged, so the
 * caller logs them in file order.
 *
 * @module
 */
import type { NotesFile } from "../formats/notes_file.ts";
import { applyNotes, type NotesFigures, type NotesPolicy } from "./read_notes.ts";
import { decodeResultFile } from "./read_results.ts";
import type { EncodedItem, LineEncoder } from "./reward_lines.ts";
import { type Rules, type Vote, voteTurn } from "./vote_rules.ts";

/** What one result file contributes to a conversion: its items and its figures. */
export interface FileItems {
  entryCount: number;
  labelledTurns: number;
  helpTurns: number;
  agreeVotes: number;
  taskVotes: number;
  /** Task items (those with a `pred_task`). */
  taskItems: number;
  /** Labelled turns with fewer than 2 annotators (they give no item). */
  fewAnnotatorTurns: number;
  /** Labelled turns with at least 2 annotators that give no item (no majority). */
  noMajorityTurns: number;
  /** What its notes side file did (skips, decisions, excluded annotators). */
  notes: NotesFigures;
  /** The file's items in turn order, encoded. */
  items: EncodedItem[];
  /** Warnings about the file, to be logged in file order. */
  warnings: string[];
}

/** How one file is voted. */
export interface FileVoteOptions {
  rules: Rules;
  /** The run's shared encoder of items. */
  lines: LineEncoder;
  /** The file's notes side file, if any, and what to do with it (`read_notes.ts`). */
  notes?: NotesFile;
  policy: NotesPolicy;
}

/**
 * Decodes, validates and votes one result file (after its notes are applied), and encodes
 * its items with `lines`. Errors name the file (and the JSON path), as `readResultFile` does.
 */
export async function fileItems(
  bytes: Uint8Array,
  path: string,
  { rules, lines, notes, policy }: FileVoteOptions,
): Promise<FileItems> {
  const warnings: string[] = [];
  const warn = (message: string) => warnings.push(message);
  const file = await decodeResultFile(bytes, path, warn);
  const applied = applyNotes(file.turns, notes, { policy, path, warn });
  let helpTurns = 0;
  let agreeVotes = 0;
  let taskVotes = 0;
  let taskItems = 0;
  let fewAnnotatorTurns = 0;
  let noMajorityTurns = 0;
  const itemEntries: number[] = [];
  const itemVotes: Vote[] = [];
  for (const turn of applied.turns) {
    const votes = voteTurn(turn.labels, turn.tasks, rules);
    if (votes.helpTurn) helpTurns++;
    agreeVotes += votes.agreeVotes;
    taskVotes += votes.taskVotes;
    if (turn.labels.length < 2) fewAnnotatorTurns++;
    else if (votes.items.length === 0) noMajorityTurns++;
    for (const vote of votes.items) {
      if (vote.predTask !== null) taskItems++;
      itemEntries.push(turn.entry);
      itemVotes.push(vote);
    }
  }
  const items: EncodedItem[] = [];
  lines.encodeFile(file.observations, itemEntries, itemVotes, items);
  return {
    entryCount: file.entryCount,
    labelledTurns: file.turns.length,
    notes: applied.figures,
    helpTurns,
    agreeVotes,
    taskVotes,
    taskItems,
    fewAnnotatorTurns,
    noMajorityTurns,
    items,
    warnings,
  };
}
