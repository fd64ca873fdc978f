import { runtimeError } from "../cli/errors.ts";
import { type Committer, directCommitter } from "./commit_batcher.ts";
import { type AnnotatorRecord, KEY } from "./kv_schema.ts";

export interface Annotator {
  username: string;
  id: string;
}

/** A fresh annotator id in the style of Python's `uuid.uuid4().hex`. */
export function newAnnotatorId(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

/**
 * Usernames are trimmed and NFC-normalised; 1..64 characters, no control characters.
 * Returns the normalised name or `undefined` when it is not acceptable.
 */
export function normalizeUsername(raw: string): string | undefined {
  const name = raw.trim().normalize("NFC");
  if (name.length < 1 || name.length > 64) return undefined;
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return undefined;
  return name;
}

/**
 * The stable annotator of `username`, created on first use. Two logins racing for a new
 * name both get the same id (the creation is an atomic insert-if-absent).
 */
export async function getOrCreateAnnotator(
  kv: Deno.Kv,
  username: string,
  now: () => number,
  committer: Committer = directCommitter(kv),
): Promise<Annotator> {
  const key = KEY.annotator(username);
  for (let attempt = 0; attempt < 10; attempt++) {
    const existing = await kv.get<AnnotatorRecord>(key);
    if (existing.value) return { username, id: existing.value.id };
    const record: AnnotatorRecord = { id: newAnnotatorId(), username, createdAt: now() };
    const result = await committer.commit({
      checks: [{ key, versionstamp: null }],
      mutations: [{ type: "set", key, value: record }],
    });
    if (result.ok) return { username, id: record.id };
  }
  throw runtimeError(`Cannot create the annotator "${username}": the store is too busy`);
}

/** Every annotator ever created: id → username. */
export async function listAnnotators(kv: Deno.Kv): Promise<Map<string, string>> {
  const byId = new Map<string, string>();
  for await (const entry of kv.list<AnnotatorRecord>({ prefix: KEY.annotators })) {
    byId.set(entry.value.id, entry.value.username);
  }
  return byId;
}
