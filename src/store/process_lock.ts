/**
 * Exclusive OS file locks (flock) held for as long as a process runs: one writer per
 * output. The lock lives in the kernel, not in the file's existence, so a lock file left
 * behind by a killed process never blocks (the OS dropped that lock when the process
 * died). The holder writes its pid, host, start time and command into the file, so a
 * second process can name it. Lock files are opened without following links.
 *
 * A released lock removes its file, so finished runs leave no lock files behind. That is
 * safe because a lock counts only while its file is still at the path: after taking the
 * flock, the taker checks that the path still names the file it locked (a run that
 * released meanwhile removed it) and otherwise starts again on the new file.
 *
 * @module
 */
import { dirname } from "node:path";
import { describeError, ProactiveError, runtimeError } from "../cli/errors.ts";
import { openNoFollow } from "./no_follow.ts";

/** Who holds a lock: written into the lock file so a second process can name the first. */
export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the owner started. */
  startedAt: string;
  /** The command that holds it (`proactive reward`), when recorded. */
  command?: string;
}

export interface ProcessLock {
  readonly path: string;
  /** Releases the lock (idempotent). The OS also releases it when the process dies. */
  release(): void;
}

/** The lock is held by another process (under `onBusy: "fail"`); the message names it. */
export class LockBusyError extends ProactiveError {
  constructor(message: string, readonly lockPath: string, readonly owner?: LockOwner) {
    super("runtime", message);
    this.name = "LockBusyError";
  }
}

/** What a second run does when the lock is held: exit naming the holder, or wait. */
export type BusyPolicy = "fail" | "wait";

export interface AcquireLockOptions {
  /** Recorded in the file (default: this process, now). */
  owner?: LockOwner;
  /** `"fail"` (default): throw at once naming the holder; `"wait"`: until it is free. */
  onBusy?: BusyPolicy;
  /** Ends a wait (the error is the signal's reason). */
  signal?: AbortSignal;
  /** Told once, with a sentence naming the holder, when a wait starts. */
  onWait?: (message: string) => void;
  /** How to get past a held lock, appended to the error (default: for a run's output). */
  hint?: string;
  /** Between two tries while waiting (default 200 ms). */
  pollMs?: number;
}

/** The owner recorded in a lock file, or undefined when it holds no readable owner. */
export async function readLockOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const value = JSON.parse(await Deno.readTextFile(path));
    if (typeof value?.pid === "number" && typeof value?.host === "string") {
      return {
        pid: value.pid,
        host: value.host,
        startedAt: String(value.startedAt ?? ""),
        ...(typeof value.command === "string" ? { command: value.command } : {}),
      };
    }
  } catch {
    // Missing, unreadable or half-written: no owner to name.
  }
  return undefined;
}

/** "proactive reward, process 123 on host h, started …", or a generic description. */
export function describeOwner(owner: LockOwner | undefined): string {
  if (!owner) return "another process (its pid is not recorded)";
  return `${owner.command ? `${owner.command}, ` : ""}process ${owner.pid} on host ${owner.host}${
    owner.startedAt ? `, started ${owner.startedAt}` : ""
  }`;
}

/** This process as a lock owner. */
export function currentOwner(command?: string, now: number = Date.now()): LockOwner {
  return {
    pid: Deno.pid,
    host: Deno.hostname(),
    startedAt: new Date(now).toISOString(),
    ...(command ? { command } : {}),
  };
}

const DEFAULT_HINT = "wait for that run to end, or run with --wait to start when it does";

/**
 * Takes an exclusive lock on `path` (created when missing, with its folder) and records the
 * owner in it. When another process holds it: with `onBusy: "fail"`, throws a runtime
 * error naming that process and `what` (`The dataset "x.json"`); with `"wait"`, tries again
 * every `pollMs` until it is free or `signal` aborts.
 */
export async function acquireProcessLock(
  path: string,
  what: string,
  options: AcquireLockOptions = {},
): Promise<ProcessLock> {
  const { onBusy = "fail", signal, pollMs = 200 } = options;
  let told = false;
  for (;;) {
    const file = await openLockFile(path);
    try {
      if (await tryLock(file, path)) {
        if (!(await stillAt(file, path))) {
          file.close(); // released and removed meanwhile: lock the file now at the path
          continue;
        }
        await recordOwner(file, options.owner ?? currentOwner());
        return heldLock(path, file);
      }
      const other = await readLockOwner(path);
      const busy = `${what} is in use by ${describeOwner(other)} (lock file "${path}")`;
      if (onBusy === "fail") {
        throw new LockBusyError(`${busy}: ${options.hint ?? DEFAULT_HINT}`, path, other);
      }
      if (!told) options.onWait?.(`${busy}; waiting for it to finish`);
      told = true;
    } catch (error) {
      file.close();
      throw error;
    }
    file.close();
    await pause(pollMs, signal);
  }
}

function heldLock(path: string, file: Deno.FsFile): ProcessLock {
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      try {
        Deno.removeSync(path); // while still locked: nobody else holds this file
      } catch {
        // Already gone, or a read-only folder: the lock file stays, harmlessly.
      }
      file.close(); // closing the descriptor drops the flock
    },
  };
}

/** True when `path` still names the file `file` has open. */
async function stillAt(file: Deno.FsFile, path: string): Promise<boolean> {
  try {
    const [opened, now] = [await file.stat(), await Deno.lstat(path)];
    return !now.isSymlink && opened.dev === now.dev && opened.ino === now.ino;
  } catch {
    return false;
  }
}

async function openLockFile(path: string): Promise<Deno.FsFile> {
  try {
    await Deno.mkdir(dirname(path), { recursive: true });
    // Not truncated on open: the current owner's record must survive a failed attempt.
    return await openNoFollow(path, { read: true, write: true, create: true, mode: 0o644 });
  } catch (error) {
    if (error instanceof Error && error.name === "SymlinkRefusedError") throw error;
    throw runtimeError(`Cannot open the lock file "${path}": ${describeError(error, path)}`);
  }
}

async function tryLock(file: Deno.FsFile, path: string): Promise<boolean> {
  try {
    return await file.tryLock(true);
  } catch (error) {
    throw runtimeError(`Cannot lock "${path}": ${describeError(error, path)}`);
  }
}

/**
 * Writes the owner into the locked file. Best effort: the lock is the flock, the record
 * only names its holder, so a full disk leaves an empty record (a second run then says
 * the holder is not recorded) rather than failing a run that may not need the space.
 */
async function recordOwner(file: Deno.FsFile, owner: LockOwner): Promise<void> {
  try {
    await file.truncate(0);
    const bytes = new TextEncoder().encode(JSON.stringify(owner) + "\n");
    for (let n = 0; n < bytes.length;) n += await file.write(bytes.subarray(n));
  } catch {
    // No room (or a read-only record): the lock holds all the same.
  }
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener("abort", abort, { once: true });
  });
}
