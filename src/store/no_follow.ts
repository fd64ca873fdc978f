/**
 * Opening files in output folders without following symbolic links.
 *
 * Output folders are shared places: a link planted there (`out/a.json -> /etc/shadow`)
 * must never make proactive write, truncate, rename or copy through it. The rules:
 *
 * - files proactive creates (temporary files, partial logs, recovery copies) are created
 *   exclusively (`O_CREAT | O_EXCL`), which fails on any existing name, a link included;
 * - an existing file it opens or replaces is checked first: a link is refused with
 *   `SymlinkRefusedError` naming it, and the opened handle is compared with the path
 *   (device and inode) so a link swapped in between the check and the open is caught too.
 *
 * Deno has no `O_NOFOLLOW`; the exclusive create and the handle/path comparison give the
 * same guarantee for the operations proactive performs.
 *
 * @module
 */
import { ProactiveError } from "../cli/errors.ts";

/** A symbolic link where proactive would write or copy; the message names it. */
export class SymlinkRefusedError extends ProactiveError {
  readonly path: string;
  constructor(path: string, what = "file") {
    super(
      "input",
      `"${path}" is a symbolic link: proactive does not write or copy through links in its ` +
        `output folders; remove the link (or point the command at another folder) and run again` +
        (what === "file" ? "" : ` (the ${what})`),
    );
    this.name = "SymlinkRefusedError";
    this.path = path;
  }
}

/** The entry at `path` as it is (links not followed), or undefined when there is none. */
export async function lstatOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Throws `SymlinkRefusedError` when `path` is a symbolic link; a missing path is fine. */
export async function refuseSymlink(path: string, what?: string): Promise<void> {
  const info = await lstatOrUndefined(path);
  if (info?.isSymlink) throw new SymlinkRefusedError(path, what);
}

export interface CreateExclusiveOptions {
  /** Permission bits of the new file (default 0o666 less the umask). */
  mode?: number;
  /** Also open for reading. */
  read?: boolean;
}

/**
 * Creates `path` for writing; fails with `Deno.errors.AlreadyExists` when anything is
 * there already (a file, a folder or a link, dangling or not), so nothing is followed.
 */
export function createExclusive(
  path: string,
  { mode, read = false }: CreateExclusiveOptions = {},
): Promise<Deno.FsFile> {
  return Deno.open(path, { write: true, read, createNew: true, mode });
}

function sameFile(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

export interface OpenNoFollowOptions {
  read?: boolean;
  write?: boolean;
  /** Writes go to the end (`O_APPEND`), also when other processes append meanwhile. */
  append?: boolean;
  /** Create the file when it is missing (exclusively: a link appearing meanwhile fails). */
  create?: boolean;
  mode?: number;
}

/**
 * Opens `path` (a regular file) without following a link at its last component: a link is
 * refused with `SymlinkRefusedError`, also when it replaces the file between the check and
 * the open. With `create`, a missing file is created exclusively. Folders are refused by
 * the caller's own checks (`Deno.open` of a folder for writing fails with `EISDIR`).
 */
export async function openNoFollow(
  path: string,
  options: OpenNoFollowOptions = {},
): Promise<Deno.FsFile> {
  const { read = false, write = false, append = false, create = false, mode } = options;
  const before = await lstatOrUndefined(path);
  if (before?.isSymlink) throw new SymlinkRefusedError(path);
  if (before === undefined && create) {
    try {
      return await Deno.open(path, { read, write: true, append, createNew: true, mode });
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      // Someone created it meanwhile: open what is there, with the checks below.
      return openNoFollow(path, { ...options, create: false });
    }
  }
  const writes = write || append;
  const file = await Deno.open(path, { read: read || !writes, write: writes && !append, append });
  try {
    const [opened, now] = [await file.stat(), await Deno.lstat(path)];
    if (now.isSymlink || !sameFile(opened, now)) throw new SymlinkRefusedError(path);
  } catch (error) {
    file.close();
    throw error;
  }
  return file;
}

/**
 * The bytes of the regular file at `path`, read without following a link at its last
 * component (`openNoFollow`): a link is refused with `SymlinkRefusedError` and nothing is
 * read from its target. A missing file throws `Deno.errors.NotFound`.
 */
export async function readFileNoFollow(path: string): Promise<Uint8Array> {
  const file = await openNoFollow(path, { read: true });
  // The stream closes the file when it ends or fails.
  return new Uint8Array(await new Response(file.readable).arrayBuffer());
}

/**
 * Refuses a SQLite store (Deno KV) whose file, or its `-wal` / `-shm` companion, is a
 * symbolic link: SQLite would write through it. `":memory:"` is not a file.
 */
export async function refuseStoreLinks(path: string): Promise<void> {
  if (path === ":memory:") return;
  for (const file of [path, `${path}-wal`, `${path}-shm`]) await refuseSymlink(file, "store");
}
