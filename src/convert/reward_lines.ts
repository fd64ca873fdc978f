import { pythonJsonString } from "../jsonl/python_json.ts";
import type { Vote } from "./vote_rules.ts";

/** A reward item whose observations are already Python JSON bytes (see `read_results.ts`). */
export interface EncodedItem extends Vote {
  /** UTF-8 of the observations 0..t joined by ", " (a view into the file's buffer). */
  obs: Uint8Array;
}

const encoder = new TextEncoder();
const HEAD = encoder.encode('{"obs": [');

/** The text after the observations: `], "pred_task": …, "category": "…"}\n`. */
export function itemTail(item: Vote): string {
  const task = item.predTask === null ? "null" : pythonJsonString(item.predTask);
  const annotation = item.annotation.length === 0
    ? "[]"
    : `[${item.annotation.map((vote) => (vote ? "true" : "false")).join(", ")}]`;
  return `], "pred_task": ${task}, "valid": ${item.valid}, "help_needed": ${item.helpNeeded}, ` +
    `"annotation": ${annotation}, "category": ${pythonJsonString(item.category)}}\n`;
}

/**
 * The JSONL bytes of `items`, one line each, exactly as the reference writes them
 * (`json.dumps(item, ensure_ascii=False)` with keys obs, pred_task, valid, help_needed,
 * annotation, category), in chunks of about `chunkSize` bytes. Observation bytes are
 * copied straight from the shared buffer, so writing costs one copy of the output.
 * Chunks alternate between two buffers: a chunk stays intact until the chunk after the
 * next one is requested, so it can be written while the next one is filled (as
 * `writeFilesAtomic` does).
 */
export function* encodeRewardLines(
  items: Iterable<EncodedItem>,
  chunkSize = 1 << 20,
): Generator<Uint8Array> {
  const buffers = [new Uint8Array(chunkSize), new Uint8Array(chunkSize)];
  let buffer = buffers[0];
  let used = 0;
  for (const item of items) {
    const tail = itemTail(item);
    // Upper bound of the line's size: UTF-8 needs at most 3 bytes per UTF-16 unit.
    const bound = HEAD.length + item.obs.length + tail.length * 3;
    if (used + bound > buffer.length && used > 0) {
      yield buffer.subarray(0, used);
      buffer = buffer === buffers[0] ? buffers[1] : buffers[0];
      used = 0;
    }
    if (bound > buffer.length) {
      // A line larger than a chunk goes out in pieces of its own.
      yield HEAD;
      yield item.obs;
      yield encoder.encode(tail);
      continue;
    }
    buffer.set(HEAD, used);
    buffer.set(item.obs, used + HEAD.length);
    used += HEAD.length + item.obs.length;
    used += encoder.encodeInto(tail, buffer.subarray(used)).written;
  }
  if (used > 0) yield buffer.subarray(0, used);
}
