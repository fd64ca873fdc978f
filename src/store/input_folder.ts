/**
 * A folder of input files, listed for a command: the entries whose name it reads
 * (`*.json`, `scene_*.yaml`, …) that are files (or links to files), and those with such a
 * name that are not files — a folder named `x.json`, a link to a folder, a pipe. Those are
 * never skipped silently: each command names them, in a warning or in an error where it
 * needs every file (see README, "Input files").
 */
import { join } from "node:path";
import { describeError, inputError } from "../cli/errors.ts";

/** An entry named like an input file that is not one, and the sentence that says so. */
export interface NotAFile {
  name: string;
  path: string;
  /** `"dir/x.json" is a folder, not a file`. */
  reason: string;
}

export interface InputFolder {
  /** Names of the entries to read, in code unit order. */
  files: string[];
  /** Entries with a matching name that are not files, in name order. */
  notFiles: NotAFile[];
}

export interface ListInputOptions {
  /** The folder in messages: "result folder" gives `Cannot read the result folder "x": …`. */
  what?: string;
}

/** What `entry` is, following links (a dangling link counts as a file: reading it fails). */
function kindOf(entry: Deno.DirEntry, path: string): "file" | "folder" | "other" {
  if (entry.isFile) return "file";
  if (entry.isDirectory) return "folder";
  if (!entry.isSymlink) return "other";
  try {
    const info = Deno.statSync(path);
    return info.isFile ? "file" : info.isDirectory ? "folder" : "other";
  } catch {
    return "file";
  }
}

/**
 * The entries of `dir` whose name `matches` accepts, as files to read and entries that are
 * not files. The folder is listed synchronously: faster for large folders, and short.
 */
export function listInputFolder(
  dir: string,
  matches: (name: string) => boolean,
  options: ListInputOptions = {},
): InputFolder {
  const files: string[] = [];
  const notFiles: NotAFile[] = [];
  try {
    for (const entry of Deno.readDirSync(dir)) {
      if (!matches(entry.name)) continue;
      const path = join(dir, entry.name);
      const kind = kindOf(entry, path);
      if (kind === "file") {
        files.push(entry.name);
      } else {
        const what = kind === "folder" ? "a folder, not a file" : "not a regular file";
        notFiles.push({ name: entry.name, path, reason: `${JSON.stringify(path)} is ${what}` });
      }
    }
  } catch (error) {
    throw inputError(
      `Cannot read the ${options.what ?? "folder"} "${dir}": ${describeError(error, dir)}`,
      error,
    );
  }
  files.sort();
  notFiles.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { files, notFiles };
}

/** Throws the first entry that is not a file: for commands that need every file. */
export function requireAllFiles(folder: InputFolder): string[] {
  const first = folder.notFiles[0];
  if (first !== undefined) {
    const more = folder.notFiles.length - 1;
    throw inputError(more > 0 ? `${first.reason} (and ${more} more)` : first.reason);
  }
  return folder.files;
}
