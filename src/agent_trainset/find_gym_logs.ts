/**
 * The gym logs of a folder: every `*.jsonl` file (sorted by name) except the output
 * itself, split into complete logs (ending with their `end` record) and the others.
 */
import { join, resolve } from "node:path";
import { describeError, inputError } from "../cli/errors.ts";
import { isCompleteLog } from "../gym/log_writer.ts";

export interface FoundLogs {
  complete: string[];
  incomplete: string[];
}

export async function findGymLogs(inDir: string, exclude: readonly string[]): Promise<FoundLogs> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(inDir)) {
      if (entry.isFile && entry.name.toLowerCase().endsWith(".jsonl")) names.push(entry.name);
    }
  } catch (error) {
    throw inputError(`Cannot list the gym logs in "${inDir}": ${describeError(error, inDir)}`);
  }
  names.sort();
  const excluded = new Set(exclude.map((path) => resolve(path)));
  const found: FoundLogs = { complete: [], incomplete: [] };
  for (const name of names) {
    const path = join(inDir, name);
    if (excluded.has(resolve(path))) continue;
    (await isCompleteLog(path) ? found.complete : found.incomplete).push(path);
  }
  return found;
}
