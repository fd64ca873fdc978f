/**
 * One scene's log file. Records go to `<log>.partial` (emptied when opened: an interrupted
 * scene starts again), one JSON line each, handed whole to the operating system before
 * `write` resolves — so a killed process loses nothing it wrote; `complete()` syncs the file
 * to disk and renames it to the log's name once the last record is the `end` record, so a
 * file named `<name>.jsonl` is always a whole scene, even after a power loss. Syncing every
 * record (`sync: "record"`) costs about a millisecond each and only protects the tail of a
 * partial log against power loss, which the next run plays again anyway.
 */
import { describeError, runtimeError } from "../cli/errors.ts";
import {
  createExclusive,
  lstatOrUndefined,
  refuseSymlink,
  SymlinkRefusedError,
} from "../store/no_follow.ts";
import { isMissingFile, readInputText } from "../store/read_input.ts";
import { GYM_SOURCES, GYM_TAGS, type GymLogSink, type GymRecord } from "./gym_types.ts";
import { ReferenceLogEncoder } from "./reference_log_format.ts";

/** `MM-DD HH:MM:SS`, zero-padded, within a (leap) year's ranges. */
const TIME = /^(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

export function isGymTime(time: unknown): time is string {
  const match = typeof time === "string" ? time.match(TIME) : null;
  if (!match) return false;
  const [month, day, hour, minute, second] = match.slice(1).map(Number);
  return month >= 1 && month <= 12 && day >= 1 &&
    day <= new Date(Date.UTC(2024, month, 0)).getUTCDate() && hour <= 23 && minute <= 59 &&
    second <= 59;
}

/**
 * Checks one record against the log format and returns it with its keys in the format's
 * order; throws an Error naming the first problem.
 */
export function validateGymRecord(record: unknown): GymRecord {
  if (record === null || typeof record !== "object" || Array.isArray(record)) {
    throw new Error("a gym record must be an object");
  }
  const { source, time, tags, content, prediction } = record as Record<string, unknown>;
  if (!(GYM_SOURCES as readonly unknown[]).includes(source)) {
    throw new Error(`unknown source ${JSON.stringify(source)}`);
  }
  if (!isGymTime(time)) {
    throw new Error(`time ${JSON.stringify(time)} is not "MM-DD HH:MM:SS"`);
  }
  if (
    !Array.isArray(tags) || tags.length !== 1 || !(GYM_TAGS as readonly unknown[]).includes(tags[0])
  ) {
    throw new Error(`tags ${JSON.stringify(tags)} must be one of ${GYM_TAGS.join(", ")}`);
  }
  const tag = tags[0] as GymRecord["tags"][0];
  if (content === null) {
    if (tag !== "agent.proactive" || source !== "ProactiveAgent") {
      throw new Error(`content is null on ${tag} from ${source} (only the agent's empty proposal)`);
    }
  } else if (typeof content !== "string") {
    throw new Error(
      `content must be text, got ${Array.isArray(content) ? "a list" : typeof content}`,
    );
  }
  if (tag === "end" && source !== "system") {
    throw new Error(`the end record comes from "system", not ${JSON.stringify(source)}`);
  }
  const checked: GymRecord = { source: source as GymRecord["source"], time, tags: [tag], content };
  if (prediction !== undefined) {
    if (
      tag !== "agent.proactive" || source !== "ProactiveAgent" || prediction === null ||
      typeof prediction !== "object" || Array.isArray(prediction)
    ) {
      throw new Error("prediction is an object, on the agent's agent.proactive only");
    }
    checked.prediction = prediction as Record<string, unknown>;
  }
  return checked;
}

export interface GymLogWriter extends GymLogSink {
  /** The file being written (`<log>.partial`). */
  readonly partialPath: string;
  readonly logPath: string;
  /** Records written so far. */
  readonly records: number;
  /** Renames the partial file to the log's name; the last record must be `end`. */
  complete(): Promise<void>;
  /** Closes the file, leaving the partial log in place (after a failure). Idempotent. */
  close(): void;
}

export interface OpenGymLogOptions {
  /**
   * When the file is synced to disk: `"complete"` (default) before the rename only,
   * `"record"` after every record too.
   */
  sync?: "complete" | "record";
  /**
   * `"proactive"` (default): one record a line as the scene loop makes it. `"reference"`:
   * the reference project's encoding (`reference_log_format.ts`); the `end` record stays.
   */
  format?: LogFormat;
}

/** The encodings a gym log can be written in. */
export const LOG_FORMATS = ["proactive", "reference"] as const;
export type LogFormat = typeof LOG_FORMATS[number];

/**
 * Opens `<logPath>.partial` for one scene's records, as a new file: an earlier partial log
 * is removed first, and a symbolic link at either name is refused (never followed), so
 * the records cannot land in a file outside the folder. The caller holds the log's lock
 * (`lockOutputs`), so no other writer creates the file meanwhile.
 */
export async function openGymLog(
  logPath: string,
  { sync = "complete", format = "proactive" }: OpenGymLogOptions = {},
): Promise<GymLogWriter> {
  const partialPath = `${logPath}.partial`;
  try {
    await refuseSymlink(logPath, "log");
    const earlier = await lstatOrUndefined(partialPath);
    if (earlier?.isSymlink) throw new SymlinkRefusedError(partialPath, "partial log");
    if (earlier) await Deno.remove(partialPath);
    const file = await createExclusive(partialPath);
    return new GymLogFile({ logPath, file, created: await file.stat(), sync, format });
  } catch (error) {
    if (error instanceof SymlinkRefusedError) throw error;
    throw runtimeError(
      `Cannot open the log "${partialPath}": ${describeError(error, partialPath)}`,
    );
  }
}

/** One open partial log (see `openGymLog`): writes in call order, one at a time. */
class GymLogFile implements GymLogWriter {
  readonly logPath: string;
  readonly partialPath: string;
  readonly #file: Deno.FsFile;
  readonly #created: Deno.FileInfo;
  readonly #sync: "complete" | "record";
  readonly #reference: ReferenceLogEncoder | undefined;
  readonly #encoder = new TextEncoder();
  #queue: Promise<void> = Promise.resolve();
  #records = 0;
  #lastTag: string | undefined;
  #closed = false;
  #broken: Error | undefined;

  constructor(options: {
    logPath: string;
    file: Deno.FsFile;
    created: Deno.FileInfo;
    sync: "complete" | "record";
    format: LogFormat;
  }) {
    this.logPath = options.logPath;
    this.partialPath = `${options.logPath}.partial`;
    this.#file = options.file;
    this.#created = options.created;
    this.#sync = options.sync;
    this.#reference = options.format === "reference" ? new ReferenceLogEncoder() : undefined;
  }

  get records(): number {
    return this.#records;
  }

  write(record: GymRecord): Promise<void> {
    let checked: GymRecord;
    try {
      checked = validateGymRecord(record);
    } catch (error) {
      return Promise.reject(
        new Error(
          `Invalid record ${this.#records + 1} for "${this.partialPath}": ${
            (error as Error).message
          }`,
        ),
      );
    }
    if (this.#closed) return Promise.reject(new Error(`The log "${this.partialPath}" is closed`));
    if (this.#lastTag === "end") {
      return Promise.reject(new Error(`The log "${this.partialPath}" already has its end record`));
    }
    this.#lastTag = checked.tags[0];
    this.#records++;
    const bytes = this.#encoder.encode(
      this.#reference ? this.#reference.lines(checked).join("") : JSON.stringify(checked) + "\n",
    );
    // Writes happen in call order, one at a time; a failed write fails every later one.
    this.#queue = this.#queue.then(async () => {
      if (this.#broken) throw this.#broken;
      try {
        await this.#append(bytes);
      } catch (error) {
        this.#broken = runtimeError(
          `Cannot write to the log "${this.partialPath}": ${
            describeError(error, this.partialPath)
          }`,
        );
        throw this.#broken;
      }
    });
    return this.#queue;
  }

  async complete(): Promise<void> {
    await this.#queue;
    if (this.#lastTag !== "end") {
      throw new Error(`The log "${this.partialPath}" has no end record: it stays partial`);
    }
    if (!this.#closed) {
      this.#closed = true;
      await this.#file.sync();
      this.#file.close();
    }
    // Only the file written here is renamed: not a link or file put in its place since.
    const now = await lstatOrUndefined(this.partialPath);
    if (now?.isSymlink) throw new SymlinkRefusedError(this.partialPath, "partial log");
    if (!now || now.ino !== this.#created.ino || now.dev !== this.#created.dev) {
      throw runtimeError(`The log "${this.partialPath}" was replaced while it was written`);
    }
    try {
      await Deno.rename(this.partialPath, this.logPath);
    } catch (error) {
      throw runtimeError(
        `Cannot rename "${this.partialPath}" to "${this.logPath}": ${
          describeError(error, this.logPath)
        }`,
      );
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Pending writes finish on their own; the handle closes after them.
    this.#queue.catch(() => {}).finally(() => this.#file.close());
  }

  async #append(bytes: Uint8Array): Promise<void> {
    for (let written = 0; written < bytes.length;) {
      written += await this.#file.write(bytes.subarray(written));
    }
    if (this.#sync === "record") await this.#file.syncData();
  }
}

/**
 * True when `logPath` holds a whole scene: its last line is a valid `end` record. A missing
 * file, an empty one or one cut short is not complete.
 */
export async function isCompleteLog(logPath: string): Promise<boolean> {
  let text: string;
  try {
    text = await readInputText(logPath, { noFollow: true });
  } catch (error) {
    if (isMissingFile(error)) return false;
    throw runtimeError(`Cannot read the log "${logPath}": ${describeError(error, logPath)}`);
  }
  const lines = text.split("\n");
  // A complete log ends with a newline; anything after the last one is a cut line.
  if (lines.at(-1) !== "") return false;
  const last = lines.at(-2);
  if (last === undefined || last.trim() === "") return false;
  try {
    return validateGymRecord(JSON.parse(last)).tags[0] === "end";
  } catch {
    return false;
  }
}
