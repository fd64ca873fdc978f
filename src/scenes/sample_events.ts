/**
 * The sample events shown in step 5 of a scene conversation: `SAMPLE_EVENTS_SHOWN` of the
 * kind's `sample_events`, drawn without replacement (all of them when there are fewer).
 * The draw of one seed task depends only on `--seed`, the kind and the task's index, so
 * adding, removing or filtering other seeds never changes it.
 */
import { SAMPLE_EVENTS_SHOWN } from "../prompts/scenes_prompts.ts";
import { PythonRandom } from "../random/python_random.ts";

/** A 64-bit FNV-1a hash of `text` (UTF-8), as a bigint: a seed for `PythonRandom`. */
export function fnv1a64(text: string): bigint {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash;
}

/** The generator of the draw for task `taskIndex` of `kind` under `seed`. */
export function seedTaskRandom(seed: bigint, kind: string, taskIndex: number): PythonRandom {
  return new PythonRandom(fnv1a64(JSON.stringify(["scenes", seed.toString(), kind, taskIndex])));
}

/**
 * `count` of `items` without replacement, in the order drawn (Python's `random.sample`
 * pool algorithm); `items` in their own order when there are no more than `count`.
 */
export function sampleWithoutReplacement<T>(
  items: readonly T[],
  count: number,
  random: PythonRandom,
): T[] {
  if (items.length <= count) return [...items];
  const pool = [...items];
  const drawn: T[] = [];
  for (let i = 0; i < count; i++) {
    const j = random.randbelow(pool.length - i);
    drawn.push(pool[j]);
    pool[j] = pool[pool.length - i - 1];
  }
  return drawn;
}

/** The sample events shown for task `taskIndex` of `kind`. */
export function sampleEventsFor(
  events: readonly string[],
  seed: bigint,
  kind: string,
  taskIndex: number,
  count = SAMPLE_EVENTS_SHOWN,
): string[] {
  return sampleWithoutReplacement(events, count, seedTaskRandom(seed, kind, taskIndex));
}
