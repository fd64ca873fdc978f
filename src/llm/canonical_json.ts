/**
 * Canonical JSON: object keys sorted at every level (array-index keys first, in numeric
 * order, as in any JS object), `undefined` fields dropped — the text
 * a request's cache key and seed are hashed from, so that key order never changes them.
 *
 * Written directly rather than by sorting a copy and calling `JSON.stringify`: every
 * request goes through it twice (seed and key), so its allocations are paid per request.
 * A `CanonicalMemo` holds the text of objects that never change (a client's
 * `response_format`s), which are then not walked again.
 */

/** Canonical texts of frozen objects, by identity. */
export type CanonicalMemo = WeakMap<object, string>;

/** The canonical JSON of `value` (a JSON value; `toJSON` is honoured as by `JSON.stringify`). */
export function canonicalJson(value: unknown, memo?: CanonicalMemo): string {
  return write(value, memo) ?? "null";
}

/** The text of `value`, or undefined where `JSON.stringify` leaves a field out. */
function write(value: unknown, memo: CanonicalMemo | undefined): string | undefined {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  const known = memo?.get(value);
  if (known !== undefined) return known;
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return write((value as { toJSON(): unknown }).toJSON(), memo);
  }
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (const item of value) items.push(write(item, memo) ?? "null");
    return `[${items.join(",")}]`;
  }
  const fields: string[] = [];
  for (const key of orderedKeys(value)) {
    const text = write((value as Record<string, unknown>)[key], memo);
    if (text !== undefined) fields.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${fields.join(",")}}`;
}

/**
 * The key order of a copy built with sorted keys, as `JSON.stringify` writes it: keys that
 * are array indexes come first in numeric order (every JS object orders them so, and
 * `Object.keys` lists them first), then the others sorted.
 */
function orderedKeys(value: object): string[] {
  const keys = Object.keys(value);
  let indexes = 0;
  while (indexes < keys.length && isArrayIndex(keys[indexes])) indexes++;
  if (indexes === 0) return keys.sort();
  return keys.slice(0, indexes).concat(keys.slice(indexes).sort());
}

function isArrayIndex(key: string): boolean {
  return /^(?:0|[1-9][0-9]*)$/.test(key) && Number(key) < 2 ** 32 - 1;
}

/** Deep-freezes `value` and remembers its canonical text in `memo`; returns `value`. */
export function rememberCanonical<T extends object>(value: T, memo: CanonicalMemo): T {
  deepFreeze(value);
  memo.set(value, canonicalJson(value));
  return value;
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== "object" || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const item of Object.values(value)) deepFreeze(item);
}

/**
 * `canonicalJson(messages)` where a message of exactly a string `role` and a string
 * `content` is written without walking it (keys sorted: content, role).
 */
export function canonicalMessages(
  messages: readonly { role: string; content: string }[],
): string {
  const parts: string[] = [];
  for (const message of messages) {
    const { role, content } = message;
    const plain = typeof role === "string" && typeof content === "string" &&
      Object.keys(message).length === 2;
    parts.push(
      plain
        ? `{"content":${JSON.stringify(content)},"role":${JSON.stringify(role)}}`
        : canonicalJson(message),
    );
  }
  return `[${parts.join(",")}]`;
}
