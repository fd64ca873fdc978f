/**
 * Voting a whole result folder: `voteFiles` (called by `convertResults`, `convert.ts`)
 * reads the files in order (`readBytesSync`, `read_results.ts`), turns each into items with
 * `fileItems` (`file_items.ts`) through one shared `LineEncoder`, and logs each file's
 * warnings in file order. The first bad file stops the run. Reading is synchronous
 * (measured faster than reading ahead); the event loop gets a turn every 32 files so that
 * an interrupt is noticed, which ends the run before anything is written.
 *
 * @module
 */
import { interruptedError } from "../cli/errors.ts";
import type { Logger } from "../cli/logger.ts";
import { type FileItems, fileItems } from "./file_items.ts";
import { readBytesSync } from "./read_results.ts";
import { LineEncoder } from "./reward_lines.ts";
import type { Rules } from "./vote_rules.ts";
import { basename } from "node:path";
import type { NotesFile } from "../formats/notes_file.ts";
import type { NotesPolicy } from "./read_notes.ts";

/** Files converted between two turns of the event loop (a few milliseconds of work). */
const CHUNK = 32;

export interface VoteFilesOptions {
  rules: Rules;
  logger: Logger;
  /** The notes side files by result file name (`readNotesFolder`), and their policy. */
  notes?: ReadonlyMap<string, NotesFile>;
  policy?: NotesPolicy;
  /** Checked between chunks of files: an abort stops the run with an error. */
  signal?: AbortSignal;
}

/**
 * Reads, validates and votes the result files `paths`, in order; resolves to each file's
 * items and figures. The first bad file stops the run (its error names it); warnings and
 * debug lines are logged in file order.
 *
 * Files are read synchronously: reading ahead asynchronously costs a thread hop and an
 * event-loop turn per file, and measured slower (by about 60 ms for 960 files on two
 * cores). The event loop still gets a turn after every chunk of files, so that an
 * interrupt (`signal`) is noticed.
 */
export async function voteFiles(
  paths: readonly string[],
  { rules, logger, signal, notes, policy = NO_POLICY }: VoteFilesOptions,
): Promise<FileItems[]> {
  const lines = new LineEncoder();
  const files: FileItems[] = [];
  for (let i = 0; i < paths.length; i++) {
    if (i % CHUNK === 0 && i > 0) {
      await nextTurn();
      if (signal?.aborted) {
        throw interruptedError("nothing was written, the outputs are as they were");
      }
    }
    const file = await fileItems(readBytesSync(paths[i]), paths[i], {
      rules,
      lines,
      notes: notes?.get(basename(paths[i])),
      policy,
    });
    for (const warning of file.warnings) logger.warn(warning);
    logger.debug(`Read "${paths[i]}": ${file.entryCount} entries, ${file.labelledTurns} labelled`);
    files.push(file);
  }
  return files;
}

/** Decisions preferred, nobody excluded: what a folder without side files gets. */
const NO_POLICY: NotesPolicy = { adjudicated: "prefer", exclude: new Set() };

/** Resolves after one turn of the event loop (a message to itself; timers would be clamped). */
function nextTurn(): Promise<void> {
  const { port1, port2 } = new MessageChannel();
  return new Promise((resolve) => {
    port2.onmessage = () => {
      port1.close();
      port2.close();
      resolve();
    };
    port1.postMessage(null);
  });
}
