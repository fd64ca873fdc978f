import { assert, assertEquals, assertMatch, assertStringIncludes } from "../../tests/assert.ts";
import { KEY } from "./kv_schema.ts";
import {
  clearedSessionCookie,
  createSession,
  createSessions,
  deleteSession,
  getSession,
  passwordMatches,
  SESSION_TTL_MS,
  sessionCookie,
  sessionTokenFromCookies,
  sha256Hex,
} from "./sessions.ts";

const alice = { id: "a".repeat(32), username: "alice" };

Deno.test("a session is found by its token, expires, and can be deleted", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    let clock = 1_000;
    const now = () => clock;
    const token = await createSession(kv, alice, now);
    assertMatch(token, /^[A-Za-z0-9_-]{43}$/);
    assertEquals(await getSession(kv, token, now), alice);
    assertEquals(await getSession(kv, token + "x", now), undefined);
    assertEquals(await getSession(kv, "../../etc", now), undefined);
    // The store holds the token's hash, never the token.
    const stored = await kv.get(KEY.session(sha256Hex(token)));
    assert(stored.value !== null);
    assertEquals((await kv.get(KEY.session(token))).value, null);
    clock += SESSION_TTL_MS;
    assertEquals(await getSession(kv, token, now), undefined);
    clock = 1_000;
    await deleteSession(kv, token);
    assertEquals(await getSession(kv, token, now), undefined);
  } finally {
    kv.close();
  }
});

Deno.test("the session cookie is httpOnly, SameSite=Strict and site-wide", () => {
  const cookie = sessionCookie("tok");
  assertStringIncludes(cookie, "proactive_session=tok");
  assertStringIncludes(cookie, "HttpOnly");
  assertStringIncludes(cookie, "SameSite=Strict");
  assertStringIncludes(cookie, "Path=/");
  assertStringIncludes(clearedSessionCookie(), "Max-Age=0");
  assertEquals(cookie.includes("Secure"), false);
  assertMatch(sessionCookie("tok", true), /; Secure$/);
  assertMatch(clearedSessionCookie(true), /Max-Age=0; Secure$/);
  assertEquals(sessionTokenFromCookies("a=1; proactive_session=xyz; b=2"), "xyz");
  assertEquals(sessionTokenFromCookies("a=1"), undefined);
  assertEquals(sessionTokenFromCookies(null), undefined);
});

Deno.test("passwordMatches compares exactly", () => {
  assertEquals(passwordMatches("password", "password"), true);
  assertEquals(passwordMatches("passwore", "password"), false);
  assertEquals(passwordMatches("", "password"), false);
  assertEquals(passwordMatches("password ", "password"), false);
  assertEquals(passwordMatches("päss", "päss"), true);
});

Deno.test("cached sessions: found without KV, expire, and are gone after delete", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    let clock = 0;
    const sessions = createSessions(kv, () => clock, undefined, 2);
    const token = await sessions.create(alice);
    assertEquals(await sessions.get(token), alice);
    // A second server instance (no cache) reads the same session from KV.
    const other = createSessions(kv, () => clock);
    assertEquals(await other.get(token), alice);
    await sessions.delete(token);
    assertEquals(await sessions.get(token), undefined);
    assertEquals(await getSession(kv, token, () => clock), undefined);
    // Expired sessions are refused even from the cache.
    const later = await sessions.create(alice);
    clock += SESSION_TTL_MS;
    assertEquals(await sessions.get(later), undefined);
    // The cache is bounded: older tokens fall back to KV and still work.
    clock = 0;
    const tokens = [];
    for (let i = 0; i < 4; i++) tokens.push(await sessions.create(alice));
    for (const t of tokens) assertEquals(await sessions.get(t), alice);
    assertEquals(await sessions.get(undefined), undefined);
  } finally {
    kv.close();
  }
});

Deno.test("admin sessions: stored with their role and no annotator, told apart on read", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const sessions = createSessions(kv, () => 0);
    const token = await sessions.createAdmin("Lead");
    assertEquals(await sessions.user(token), { role: "admin", username: "Lead" });
    assertEquals(await sessions.get(token), undefined); // not an annotator's session
    const fresh = createSessions(kv, () => 0); // read from KV, not the cache
    assertEquals(await fresh.user(token), { role: "admin", username: "Lead" });
    const annotator = await sessions.create(alice);
    assertEquals(await fresh.user(annotator), { role: "annotator", annotator: alice });
    let annotators = 0;
    for await (const _ of kv.list({ prefix: ["annotator"] })) annotators++;
    assertEquals(annotators, 0);
  } finally {
    kv.close();
  }
});
