/**
 * Annotator identities: a username maps to a stable id of 32 hex characters
 * (`newAnnotatorId`, like Python's `uuid.uuid4().hex`), which keys the annotator's labels
 * and their `real_user` entries in the result files. Records live under
 * `["annotator", username]` (`kv_schema.ts`). Usernames are canonicalised
 * (`canonicalUsername`: NFKC, case-folded, trimmed) and checked (`usernameProblem`: 1 to 64
 * characters, no control or bidirectional control characters). Records stored before
 * usernames were case-folded keep their ids: `getOrCreateAnnotator` looks up the name as
 * typed first, and `migrateLegacyUsernames` (run by `authRoutes` once, at the first login
 * with the right password) adds canonical keys for them.
 *
 * `POST /api/login` (`auth_routes.ts`) calls `getOrCreateAnnotator` through `Sessions.logIn`
 * (`sessions.ts`), so a new annotator's record and the session are one atomic commit; the
 * creation is an insert-if-absent, so racing logins for one new name get the same id.
 * `listAnnotators` gives the usernames of the status page (`status.ts`).
 *
 * @module
 */
import { inputError, runtimeError } from "../cli/errors.ts";
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

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** Bidirectional control characters: they make a name display differently from what it is. */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * The canonical form of a username: Unicode NFKC, case-folded, trimmed. So `Alice`,
 * ` alice ` and fullwidth `ａｌｉｃｅ` are one annotator. Case folding is upper- then
 * lower-casing (`Straße` = `STRASSE`), NFKC again afterwards so the result is stable.
 */
export function canonicalUsername(raw: string): string {
  return raw.normalize("NFKC").trim().toUpperCase().toLowerCase().normalize("NFKC");
}

/** Why `raw` is not an acceptable username, or undefined when it is. */
export function usernameProblem(raw: string): string | undefined {
  const name = canonicalUsername(raw);
  if (name.length < 1 || name.length > 64) return "expected 1 to 64 characters";
  if (CONTROL.test(name)) return "control characters are not allowed";
  if (BIDI.test(name)) return "bidirectional control characters (such as U+202E) are not allowed";
  return undefined;
}

/** The canonical username, or `undefined` when it is not acceptable (see `usernameProblem`). */
export function normalizeUsername(raw: string): string | undefined {
  return usernameProblem(raw) === undefined ? canonicalUsername(raw) : undefined;
}

/**
 * How usernames were stored before they were case-folded (trimmed, NFC). Records stored
 * under such a key keep their id: a login typed exactly like that still finds them.
 */
export function legacyUsername(raw: string): string {
  return raw.trim().normalize("NFC");
}

/**
 * The stable annotator of `username` (raw or canonical), created on first use under its
 * canonical name. A record stored under the name exactly as typed (the old, not
 * case-folded normalisation) is found first, so existing ids keep working; run
 * `migrateLegacyUsernames` once so other spellings of an old name find it too. Two logins
 * racing for a new name both get the same id (the creation is an atomic insert-if-absent).
 *
 * `alongside` gives KV writes to commit together with the login (the session): with the
 * creation of a new annotator in one atomic commit, or on their own for an existing one,
 * so a login is one durable commit either way. It is called again for each attempt; only
 * the writes of the attempt that commits are stored.
 */
export async function getOrCreateAnnotator(
  kv: Deno.Kv,
  username: string,
  now: () => number,
  committer: Committer = directCommitter(kv),
  alongside: (annotator: Annotator) => Deno.KvMutation[] = () => [],
): Promise<Annotator> {
  const name = normalizeUsername(username);
  if (name === undefined) {
    throw inputError(`Invalid username: ${usernameProblem(username)}`);
  }
  const existingOnes = async (found: Annotator): Promise<Annotator> => {
    const mutations = alongside(found);
    if (mutations.length > 0) {
      const result = await committer.commit({ checks: [], mutations });
      if (!result.ok) throw runtimeError(`Cannot store the login of "${found.username}"`);
    }
    return found;
  };
  const legacy = legacyUsername(username);
  if (legacy !== name) {
    const old = await kv.get<AnnotatorRecord>(KEY.annotator(legacy));
    if (old.value) return existingOnes({ username: old.value.username, id: old.value.id });
  }
  const key = KEY.annotator(name);
  for (let attempt = 0; attempt < 10; attempt++) {
    const existing = await kv.get<AnnotatorRecord>(key);
    if (existing.value) {
      return existingOnes({ username: existing.value.username, id: existing.value.id });
    }
    const record: AnnotatorRecord = { id: newAnnotatorId(), username: name, createdAt: now() };
    const annotator = { username: name, id: record.id };
    const result = await committer.commit({
      checks: [{ key, versionstamp: null }],
      mutations: [{ type: "set", key, value: record }, ...alongside(annotator)],
    });
    if (result.ok) return annotator;
  }
  throw runtimeError(`Cannot create the annotator "${name}": the store is too busy`);
}

/**
 * Gives every annotator stored under a non-canonical name (before usernames were
 * case-folded) a second key under its canonical name with the same record, unless that
 * key is taken; the oldest record wins when several old names fold together. Idempotent;
 * returns how many keys it added.
 */
export async function migrateLegacyUsernames(kv: Deno.Kv): Promise<number> {
  const legacy: { name: string; record: AnnotatorRecord }[] = [];
  for await (const entry of kv.list<AnnotatorRecord>({ prefix: KEY.annotators })) {
    const stored = entry.key[1];
    if (typeof stored !== "string") continue;
    const name = normalizeUsername(stored);
    if (name !== undefined && name !== stored) legacy.push({ name, record: entry.value });
  }
  legacy.sort((a, b) => a.record.createdAt - b.record.createdAt);
  let added = 0;
  for (const { name, record } of legacy) {
    const key = KEY.annotator(name);
    const result = await kv.atomic().check({ key, versionstamp: null }).set(key, record).commit();
    if (result.ok) added++;
  }
  return added;
}

/** Every annotator ever created: id → username (the keys added by the migration share ids). */
export async function listAnnotators(kv: Deno.Kv): Promise<Map<string, string>> {
  const byId = new Map<string, string>();
  for await (const entry of kv.list<AnnotatorRecord>({ prefix: KEY.annotators })) {
    byId.set(entry.value.id, entry.value.username);
  }
  return byId;
}
