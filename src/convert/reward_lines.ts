/**
 * The JSONL lines of the reward data, byte for byte as the reference writes them
 * (`json.dumps(item, ensure_ascii=False)`, keys `obs`, `pred_task`, `valid`, `help_needed`,
 * `annotation`, `category`). `LineEncoder.encodeFile` (called by `fileItems`,
 * `file_items.ts`) encodes each file's items as they are voted into a few large shared
 * buffers: a file's observations are encoded once, every item's head (`{"obs": [` and the
 * observations 0..t) is a prefix of them, and an `EncodedItem` keeps only offsets plus what
 * the split looks at, so a large run stays small in memory. After the split,
 * `encodeRewardLines` (used by `convert.ts`) yields each set's lines in chunks for
 * `writeFilesAtomic`, only copying bytes.
 *
 * @module
 */
import { CATEGORIES, type Category } from "../formats/reward_category.ts";
import { pythonJsonString } from "../jsonl/python_json.ts";
import type { SplitItem } from "./split_dataset.ts";
import type { Vote } from "./vote_rules.ts";

/**
 * A reward item ready to be written: what the split looks at, and its JSONL line:
 * `bytes[headStart, headEnd)` then `bytes[tailStart, tailEnd)`, exactly as the reference
 * writes it (`json.dumps(item, ensure_ascii=False)` with keys obs, pred_task, valid,
 * help_needed, annotation, category). `bytes` is a large buffer shared by many items (see
 * `LineEncoder`), and the items of one turn share their head: offsets rather than views,
 * and nothing the split does not need, keep an item small.
 */
export interface EncodedItem extends SplitItem {
  /** 0-based index, in its result file, of the entry (turn) the item comes from. */
  entry: number;
  bytes: Uint8Array;
  /** `{"obs": [` and the observations 0..t joined by ", ". */
  headStart: number;
  headEnd: number;
  /** `], "pred_task": …, "category": "…"}\n`. */
  tailStart: number;
  tailEnd: number;
}

const encoder = new TextEncoder();
const HEAD = '{"obs": [';
const TASK_KEY_TEXT = '], "pred_task": ';
const TASK_KEY = encoder.encode(TASK_KEY_TEXT);
const NULL_TASK = encoder.encode(TASK_KEY_TEXT + "null");
const SEPARATOR = encoder.encode(", ");

/** The text after the task: `, "valid": …, "annotation": […], "category": "…"}\n`. */
export function itemRest(item: Vote): string {
  const { annotation } = item;
  let votes = "[";
  for (let i = 0; i < annotation.length; i++) {
    votes += i === 0 ? (annotation[i] ? "true" : "false") : (annotation[i] ? ", true" : ", false");
  }
  return `, "valid": ${item.valid}, "help_needed": ${item.helpNeeded}, "annotation": ${votes}], ` +
    `"category": ${pythonJsonString(item.category)}}\n`;
}

/** The text after the observations: `], "pred_task": …, "category": "…"}\n`. */
export function itemTail(item: Vote): string {
  const task = item.predTask === null ? "null" : pythonJsonString(item.predTask);
  return TASK_KEY_TEXT + task + itemRest(item);
}

/**
 * A key for `itemRest`, the same for all items with the same flags, annotation and
 * category (a handful of distinct values), or undefined for a long annotation.
 */
function restKey(item: Vote): number | undefined {
  const { annotation } = item;
  if (annotation.length > 24) return undefined;
  let bits = 1; // a leading 1 keeps the length
  for (const vote of annotation) bits = bits * 2 + (vote ? 1 : 0);
  const category = CATEGORY_INDEX.get(item.category)!;
  return ((bits * 4 + category) * 2 + (item.valid ? 1 : 0)) * 2 + (item.helpNeeded ? 1 : 0);
}

const CATEGORY_INDEX = new Map<Category, number>(CATEGORIES.map((c, i) => [c, i]));

/**
 * Encodes the items of result files into a few large buffers, back to back, so that items
 * cost no allocation of their own and writing them is only copying.
 */
export class LineEncoder {
  #buffer = new Uint8Array(0);
  #used = 0;
  /** The bytes of `itemRest` by `restKey`. */
  readonly #rests = new Map<number, Uint8Array>();

  constructor(readonly bufferSize = 1 << 22) {}

  /**
   * Encodes the items of one result file and appends them to `out`. The observations
   * (Python JSON, entries 0..last labelled turn) are encoded once; an item of entry t
   * takes those of entries 0..t as its head. `entries[i]` is the entry of `votes[i]`.
   */
  encodeFile(
    observations: readonly string[],
    entries: readonly number[],
    votes: readonly Vote[],
    out: EncodedItem[],
  ): void {
    if (votes.length === 0) return;
    let last = -1;
    for (const entry of entries) if (entry > last) last = entry;
    const rests = votes.map((vote) => this.#rest(vote));
    // An upper bound of the bytes: UTF-8 needs at most 3 bytes per UTF-16 unit, and a
    // string's JSON at most 6 bytes (`\u001f`, `\udc00`) per unit, plus the quotes.
    let bound = HEAD.length;
    for (let entry = 0; entry <= last; entry++) bound += (observations[entry].length + 2) * 3;
    for (let i = 0; i < votes.length; i++) {
      bound += NULL_TASK.length + (votes[i].predTask?.length ?? 0) * 6 + rests[i].length;
    }
    const bytes = this.#reserve(bound);
    const base = this.#used;
    // Offsets in `region` (the file's part of `bytes`) are relative to `base`.
    const region = bytes.subarray(base);
    let used = encoder.encodeInto(HEAD, region).written;
    const ends: number[] = [];
    for (let entry = 0; entry <= last; entry++) {
      if (entry > 0) {
        region.set(SEPARATOR, used);
        used += SEPARATOR.length;
      }
      used += encoder.encodeInto(observations[entry], region.subarray(used)).written;
      ends.push(base + used);
    }
    for (let i = 0; i < votes.length; i++) {
      const vote = votes[i];
      const tailStart = base + used;
      if (vote.predTask === null) {
        region.set(NULL_TASK, used);
        used += NULL_TASK.length;
      } else {
        region.set(TASK_KEY, used);
        used += TASK_KEY.length;
        used += encoder.encodeInto(pythonJsonString(vote.predTask), region.subarray(used)).written;
      }
      region.set(rests[i], used);
      used += rests[i].length;
      out.push({
        entry: entries[i],
        category: vote.category,
        valid: vote.valid,
        annotation: vote.annotation,
        bytes,
        headStart: base,
        headEnd: ends[entries[i]],
        tailStart,
        tailEnd: base + used,
      });
    }
    this.#used += used;
  }

  /** The buffer with room for `size` more bytes from `#used` on. */
  #reserve(size: number): Uint8Array {
    if (this.#buffer.length - this.#used < size) {
      this.#buffer = new Uint8Array(Math.max(this.bufferSize, size));
      this.#used = 0;
    }
    return this.#buffer;
  }

  #rest(vote: Vote): Uint8Array {
    const key = restKey(vote);
    if (key === undefined) return encoder.encode(itemRest(vote));
    let rest = this.#rests.get(key);
    if (rest === undefined) {
      rest = encoder.encode(itemRest(vote));
      this.#rests.set(key, rest);
    }
    return rest;
  }
}

/**
 * The JSONL bytes of `items`, one line each, in chunks of about `chunkSize` bytes: two
 * copies per line, nothing is encoded here. Chunks alternate between two buffers: a
 * chunk stays intact until the chunk after the next one is requested, so it can be
 * written while the next one is filled (as `writeFilesAtomic` does).
 */
export function* encodeRewardLines(
  items: Iterable<EncodedItem>,
  chunkSize = 1 << 20,
): Generator<Uint8Array> {
  const buffers = [new Uint8Array(chunkSize), new Uint8Array(chunkSize)];
  let buffer = buffers[0];
  let used = 0;
  for (const { bytes, headStart, headEnd, tailStart, tailEnd } of items) {
    const headLength = headEnd - headStart;
    const size = headLength + tailEnd - tailStart;
    if (used + size > buffer.length && used > 0) {
      yield buffer.subarray(0, used);
      buffer = buffer === buffers[0] ? buffers[1] : buffers[0];
      used = 0;
    }
    if (size > buffer.length) {
      // A line larger than a chunk goes out in pieces of its own (never written to again).
      yield bytes.subarray(headStart, headEnd);
      yield bytes.subarray(tailStart, tailEnd);
      continue;
    }
    buffer.set(bytes.subarray(headStart, headEnd), used);
    buffer.set(bytes.subarray(tailStart, tailEnd), used + headLength);
    used += size;
  }
  if (used > 0) yield buffer.subarray(0, used);
}
