/**
 * The gym logs of a folder: every `*.jsonl` file (sorted by name) except the output
 * itself, split into complete logs (ending with their `end` record, or in the reference's
 * encoding, which has none, and usable: see `isUsableReferenceLog`), the others, and the
 * entries that cannot be read as logs — a folder named `x.jsonl`, a log that is not UTF-8 —
 * each with its reason (the commands report those as failed logs).
 */
import type { Logger } from "../cli/logger.ts";
import { join, resolve } from "node:path";
import { describeError } from "../cli/errors.ts";
import { isCompleteLog } from "./log_writer.ts";
import { isUsableReferenceLog } from "./reference_gym_log.ts";
import { listInputFolder } from "../store/input_folder.ts";

export interface FoundLogs {
  complete: string[];
  incomplete: string[];
  /** Entries named like logs that cannot be read, with the reason (naming the path). */
  unreadable: { log: string; error: string }[];
}

/** Says which logs are skipped: incomplete ones (a warning), unreadable ones (an error). */
export function reportSkippedLogs(found: FoundLogs, logger: Logger): void {
  for (const path of found.incomplete) {
    logger.warn(`"${path}" is not a complete gym log (no end record): skipped`);
  }
  for (const { error } of found.unreadable) logger.error(error); // it names the log
}

export async function findGymLogs(inDir: string, exclude: readonly string[]): Promise<FoundLogs> {
  const isLogName = (name: string) => name.toLowerCase().endsWith(".jsonl");
  const folder = listInputFolder(inDir, isLogName, { what: "gym log folder" });
  const excluded = new Set(exclude.map((path) => resolve(path)));
  const found: FoundLogs = {
    complete: [],
    incomplete: [],
    unreadable: folder.notFiles.map(({ path, reason }) => ({ log: path, error: reason })),
  };
  for (const name of folder.files) {
    const path = join(inDir, name);
    if (excluded.has(resolve(path))) continue;
    try {
      const complete = await isCompleteLog(path) || await isUsableReferenceLog(path);
      (complete ? found.complete : found.incomplete).push(path);
    } catch (error) {
      found.unreadable.push({ log: path, error: describeError(error) });
    }
  }
  found.unreadable.sort((a, b) => (a.log < b.log ? -1 : a.log > b.log ? 1 : 0));
  return found;
}
