/**
 * Sessions: a random 256-bit token lives only in the browser's cookie; KV keeps its
 * SHA-256 (`["session", sha256(token)]`, `kv_schema.ts`, expiring after 7 days), so reading
 * the store does not yield usable sessions. The cookie is `HttpOnly`, `SameSite=Strict`
 * and, over HTTPS, `Secure` (`sessionCookie`).
 *
 * `createSessions` puts an in-memory cache in front of KV (this server alone creates and
 * deletes sessions; expiry is checked on every hit). The routes use it to log
 * in and out (`auth_routes.ts`; `logIn` writes the session in the same commit as a new
 * annotator, see `getOrCreateAnnotator` in `annotators.ts`) and to find the annotator of
 * every API request from its cookie (`annotatorMiddleware`, `serve_env.ts`; 401 without). `passwordMatches` compares the shared
 * password in constant time.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Annotator } from "./annotators.ts";
import { type Committer, directCommitter } from "./commit_batcher.ts";
import { KEY, type SessionRecord } from "./kv_schema.ts";

export const SESSION_COOKIE = "proactive_session";
export const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;

/** A fresh session token: 32 random bytes, base64url without padding. */
export function newSessionToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return toBase64Url(bytes);
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * Who a session is: an annotator, or an admin (`--admin-password`), who has no annotator
 * record, gets no trace and is named by the username typed at login.
 */
export type SessionUser =
  | { role: "annotator"; annotator: Annotator }
  | { role: "admin"; username: string };

/** A new session of `user`: its cookie token and the KV write that stores it. */
export function newSession(
  user: Annotator | SessionUser,
  now: () => number,
): { token: string; expiresAt: number; mutation: Deno.KvMutation } {
  const token = newSessionToken();
  const at = now();
  const who: SessionUser = "role" in user ? user : { role: "annotator", annotator: user };
  const times = { createdAt: at, expiresAt: at + SESSION_TTL_MS };
  const record: SessionRecord = who.role === "admin"
    ? { role: "admin", annotatorId: "", username: who.username, ...times }
    : { annotatorId: who.annotator.id, username: who.annotator.username, ...times };
  const key = KEY.session(sha256Hex(token));
  return {
    token,
    expiresAt: record.expiresAt,
    mutation: { type: "set", key, value: record, expireIn: SESSION_TTL_MS },
  };
}

/** Stores a new session for `annotator`; returns the cookie token. */
export async function createSession(
  kv: Deno.Kv,
  annotator: Annotator,
  now: () => number,
  committer: Committer = directCommitter(kv),
): Promise<string> {
  const { token, mutation } = newSession(annotator, now);
  const result = await committer.commit({ checks: [], mutations: [mutation] });
  if (!result.ok) throw new Error("Cannot store the session");
  return token;
}

/** The annotator of a live session, or undefined (unknown, malformed or expired token). */
export async function getSession(
  kv: Deno.Kv,
  token: string | undefined,
  now: () => number,
): Promise<Annotator | undefined> {
  return annotatorOf((await readSession(kv, token, now))?.user);
}

function annotatorOf(user: SessionUser | undefined): Annotator | undefined {
  return user?.role === "annotator" ? user.annotator : undefined;
}

async function readSession(
  kv: Deno.Kv,
  token: string | undefined,
  now: () => number,
): Promise<{ user: SessionUser; expiresAt: number } | undefined> {
  if (!token || token.length > 128 || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  const entry = await kv.get<SessionRecord>(KEY.session(sha256Hex(token)));
  // KV deletes expired keys lazily, so the expiry is checked here too.
  if (!entry.value || entry.value.expiresAt <= now()) return undefined;
  const { role, username, annotatorId, expiresAt } = entry.value;
  const user: SessionUser = role === "admin"
    ? { role: "admin", username }
    : { role: "annotator", annotator: { username, id: annotatorId } };
  return { user, expiresAt };
}

export async function deleteSession(kv: Deno.Kv, token: string | undefined): Promise<void> {
  if (!token || token.length > 128) return;
  await kv.delete(KEY.session(sha256Hex(token)));
}

/**
 * `Set-Cookie` value that stores the session: httpOnly, SameSite=Strict, whole site, and
 * `Secure` when the request came over HTTPS (so the browser never sends it over HTTP).
 */
export function sessionCookie(token: string, secure = false): string {
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${
    SESSION_TTL_MS / 1000
  }${secure ? "; Secure" : ""}`;
}

/** `Set-Cookie` value that clears the session cookie. */
export function clearedSessionCookie(secure = false): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${
    secure ? "; Secure" : ""
  }`;
}

/** The session token from a `Cookie` request header. */
export function sessionTokenFromCookies(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Compares a submitted password with the configured one in constant time: both are
 * hashed first, so neither the content nor the length leaks through timing.
 */
export function passwordMatches(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}

export interface Sessions {
  create(annotator: Annotator): Promise<string>;
  /**
   * Logs in: `findOrCreate` gets a function giving the session's KV write for the
   * annotator it settles on, and commits that write together with its own (see
   * `getOrCreateAnnotator`); resolves to the annotator and the session's cookie token.
   */
  logIn(
    findOrCreate: (session: (annotator: Annotator) => Deno.KvMutation[]) => Promise<Annotator>,
  ): Promise<{ annotator: Annotator; token: string }>;
  /** Stores a new admin session for `username` (no annotator record); the cookie token. */
  createAdmin(username: string): Promise<string>;
  /** The annotator of a live annotator session (an admin's is not one). */
  get(token: string | undefined): Promise<Annotator | undefined>;
  /** Who a live session is, annotator or admin. */
  user(token: string | undefined): Promise<SessionUser | undefined>;
  delete(token: string | undefined): Promise<void>;
}

/**
 * Sessions with an in-memory cache in front of KV (sessions are created and deleted only
 * by this server, so the cache cannot go stale; expiry is checked on every hit). At most
 * `maxCached` sessions are cached; the oldest are dropped first.
 */
export function createSessions(
  kv: Deno.Kv,
  now: () => number,
  committer: Committer = directCommitter(kv),
  maxCached = 20_000,
): Sessions {
  const cache = new Map<string, { user: SessionUser; expiresAt: number }>();
  const remember = (token: string, user: SessionUser, expiresAt: number) => {
    if (cache.size >= maxCached) cache.delete(cache.keys().next().value!);
    cache.set(token, { user, expiresAt });
  };
  const store = async (user: SessionUser) => {
    const { token, mutation, expiresAt } = newSession(user, now);
    const result = await committer.commit({ checks: [], mutations: [mutation] });
    if (!result.ok) throw new Error("Cannot store the session");
    remember(token, user, expiresAt);
    return token;
  };
  const user = async (token: string | undefined) => {
    if (!token) return undefined;
    const hit = cache.get(token);
    if (hit) {
      if (hit.expiresAt > now()) return hit.user;
      cache.delete(token);
      return undefined;
    }
    const found = await readSession(kv, token, now);
    if (found) remember(token, found.user, found.expiresAt);
    return found?.user;
  };
  return {
    create: (annotator) => store({ role: "annotator", annotator }),
    createAdmin: (username) => store({ role: "admin", username }),
    async logIn(findOrCreate) {
      let made: ReturnType<typeof newSession> | undefined;
      const annotator = await findOrCreate((chosen) => {
        made = newSession(chosen, now);
        return [made.mutation];
      });
      if (!made) throw new Error("Cannot store the session: no session was committed");
      const { token, expiresAt } = made;
      remember(token, { role: "annotator", annotator }, expiresAt);
      return { annotator, token };
    },
    get: async (token) => annotatorOf(await user(token)),
    user,
    async delete(token) {
      if (token) cache.delete(token);
      await deleteSession(kv, token);
    },
  };
}
