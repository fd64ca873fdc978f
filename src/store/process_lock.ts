import { dirname } from "node:path";
import { describeError, runtimeError } from "../cli/errors.ts";

/** Who holds a lock: written into the lock file so a second process can name the first. */
export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the owner started. */
  startedAt: string;
}

export interface ProcessLock {
  readonly path: string;
  /** Releases the lock (idempotent). The OS also releases it when the process dies. */
  release(): void;
}

/** The owner recorded in a lock file, or undefined when it holds no readable owner. */
export async function readLockOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const value = JSON.parse(await Deno.readTextFile(path));
    if (typeof value?.pid === "number" && typeof value?.host === "string") {
      return { pid: value.pid, host: value.host, startedAt: String(value.startedAt ?? "") };
    }
  } catch {
    // Missing, unreadable or half-written: no owner to name.
  }
  return undefined;
}

/** "pid 123 on host h, started …", or a generic description when the owner is unknown. */
export function describeOwner(owner: LockOwner | undefined): string {
  if (!owner) return "another process (its pid is not recorded)";
  return `process ${owner.pid} on host ${owner.host}${
    owner.startedAt ? `, started ${owner.startedAt}` : ""
  }`;
}

/**
 * Takes an exclusive OS file lock (flock) on `path` for as long as the process runs, and
 * writes the owner (pid, host, start time) into the file. The lock lives in the kernel, not
 * in the file's existence, so a file left behind by a killed process never blocks: the OS
 * dropped that lock when the process died. Throws a runtime error naming the other process
 * when the lock is held; `what` names the locked thing (`the store "x.kv"`).
 */
export async function acquireProcessLock(
  path: string,
  what: string,
  owner: LockOwner = {
    pid: Deno.pid,
    host: Deno.hostname(),
    startedAt: new Date().toISOString(),
  },
): Promise<ProcessLock> {
  let file: Deno.FsFile;
  try {
    await Deno.mkdir(dirname(path), { recursive: true });
    // Not truncated on open: the current owner's record must survive a failed attempt.
    file = await Deno.open(path, { read: true, write: true, create: true });
  } catch (error) {
    throw runtimeError(`Cannot open the lock file "${path}": ${describeError(error)}`);
  }
  let locked: boolean;
  try {
    locked = await file.tryLock(true);
  } catch (error) {
    file.close();
    throw runtimeError(`Cannot lock "${path}": ${describeError(error)}`);
  }
  if (!locked) {
    file.close();
    const other = await readLockOwner(path);
    throw runtimeError(
      `${what} is in use by another proactive serve (${
        describeOwner(other)
      }; lock file "${path}"): stop that server first, or use another --out / --kv`,
    );
  }
  try {
    await file.truncate(0);
    await file.write(new TextEncoder().encode(JSON.stringify(owner) + "\n"));
  } catch (error) {
    file.close();
    throw runtimeError(`Cannot write the lock file "${path}": ${describeError(error)}`);
  }
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      file.close(); // closing the descriptor drops the flock
    },
  };
}
