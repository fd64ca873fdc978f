/**
 * One writer per output. Every command that writes files or folders locks each of them
 * for its run, with an OS lock beside it (`process_lock.ts`):
 *
 * - a file `dir/name.json` is locked through `dir/.name.json.lock`;
 * - a folder `dir` through `dir/.proactive.lock`.
 *
 * Paths are resolved first, so `out.json` and `./out.json` are one output. A second run on
 * the same output exits 1 naming the first (its command, pid, host and start time), or
 * with `--wait` waits until the first has finished. Several outputs are locked in one
 * order (sorted by lock path), so two waiting runs never hold one each.
 *
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import type { Logger } from "../cli/logger.ts";
import type { FlagDecls } from "../cli/flags.ts";
import {
  acquireProcessLock,
  type BusyPolicy,
  currentOwner,
  type ProcessLock,
} from "./process_lock.ts";

/** `--wait`, shared by every command that writes outputs. */
export const WAIT_FLAG = {
  wait: {
    kind: "boolean",
    help: [
      "When another run is writing the same output, wait",
      "for it to finish (default: exit 1 naming that run)",
    ],
  },
} as const satisfies FlagDecls;

/** The policy the `--wait` flag asks for. */
export function busyPolicyOf(flags: { wait: boolean }): BusyPolicy {
  return flags.wait ? "wait" : "fail";
}

/** One output of a run. */
export interface LockedOutput {
  path: string;
  kind: "file" | "folder";
  /** How messages name it (default: `"path"`). */
  what?: string;
}

export interface OutputLockOptions {
  /** Recorded in the lock (`proactive reward`). */
  command: string;
  onBusy: BusyPolicy;
  signal?: AbortSignal;
  /** Told when a wait starts. */
  onWait?: (message: string) => void;
}

/** The locks of a run's outputs; `release()` drops them all (idempotent). */
export interface OutputLocks {
  readonly paths: readonly string[];
  release(): void;
}

/** The lock file of an output. */
export function lockPathOf(output: Pick<LockedOutput, "path" | "kind">): string {
  const path = resolve(output.path);
  return output.kind === "folder"
    ? join(path, ".proactive.lock")
    : join(dirname(path), `.${basename(path)}.lock`);
}

/**
 * Locks every output (a folder's lock file is created inside it, so the folder is created
 * when missing). Throws, having released what it took, when one is busy under `"fail"`
 * or when the wait is aborted.
 */
export async function lockOutputs(
  outputs: readonly LockedOutput[],
  options: OutputLockOptions,
): Promise<OutputLocks> {
  const byPath = new Map<string, LockedOutput>();
  for (const output of outputs) byPath.set(lockPathOf(output), output);
  const held: ProcessLock[] = [];
  const release = () => held.splice(0).forEach((lock) => lock.release());
  try {
    for (const path of [...byPath.keys()].sort()) {
      const output = byPath.get(path)!;
      held.push(
        await acquireProcessLock(path, output.what ?? `"${output.path}"`, {
          owner: currentOwner(options.command),
          onBusy: options.onBusy,
          signal: options.signal,
          onWait: options.onWait,
        }),
      );
    }
  } catch (error) {
    release();
    throw error;
  }
  return { paths: [...byPath.keys()].sort(), release };
}

/** Who locks outputs for a run: its command, the `--wait` policy, and where to tell. */
export interface RunLockOptions {
  /** Recorded in the lock (`proactive reward`). */
  command: string;
  /** Default `"fail"`. */
  onBusy?: BusyPolicy;
  /** Ends a wait. */
  signal?: AbortSignal;
  /** Told (`info`) when a wait starts. */
  logger?: Pick<Logger, "info">;
}

/** Runs `work` holding the locks of `outputs` (`lockOutputs`); releases them however it ends. */
export async function withOutputLocks<T>(
  outputs: readonly LockedOutput[],
  run: RunLockOptions,
  work: () => Promise<T>,
): Promise<T> {
  const { logger } = run;
  const locks = await lockOutputs(outputs, {
    command: run.command,
    onBusy: run.onBusy ?? "fail",
    signal: run.signal,
    onWait: logger ? (message) => logger.info(message) : undefined,
  });
  try {
    return await work();
  } finally {
    locks.release();
  }
}
