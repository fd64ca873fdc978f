import { assert, assertEquals, assertMatch, assertNotEquals } from "../../tests/assert.ts";
import {
  getOrCreateAnnotator,
  listAnnotators,
  migrateLegacyUsernames,
  normalizeUsername,
  usernameProblem,
} from "./annotators.ts";
import { KEY } from "./kv_schema.ts";

Deno.test("each username maps to one stable uuid4-hex id", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const now = () => 1000;
    const alice = await getOrCreateAnnotator(kv, "alice", now);
    assertMatch(alice.id, /^[0-9a-f]{32}$/);
    assertEquals(alice.id[12], "4"); // uuid version 4
    assertEquals((await getOrCreateAnnotator(kv, "alice", now)).id, alice.id);
    const bob = await getOrCreateAnnotator(kv, "bob", now);
    assertNotEquals(bob.id, alice.id);
    assertEquals(await listAnnotators(kv), new Map([[alice.id, "alice"], [bob.id, "bob"]]));
  } finally {
    kv.close();
  }
});

Deno.test("racing first logins of one name share one id", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const ids = await Promise.all(
      Array.from({ length: 20 }, () => getOrCreateAnnotator(kv, "carol", () => 1)),
    );
    assertEquals(new Set(ids.map((a) => a.id)).size, 1);
  } finally {
    kv.close();
  }
});

Deno.test("usernames are trimmed and checked", () => {
  assertEquals(normalizeUsername("  dora "), "dora");
  assertEquals(normalizeUsername("   "), undefined);
  assertEquals(normalizeUsername("a".repeat(65)), undefined);
  assertEquals(normalizeUsername("bad\nname"), undefined);
  assert(normalizeUsername("Zoë") !== undefined);
});

Deno.test("usernames are NFKC-normalised and case-folded; bidi controls are refused", () => {
  for (const spelling of ["Alice", "alice", " ALICE ", "\uff41\uff4c\uff49\uff43\uff45"]) {
    assertEquals(normalizeUsername(spelling), "alice", spelling);
  }
  assertEquals(normalizeUsername("Stra\u00dfe"), normalizeUsername("STRASSE"));
  assertEquals(normalizeUsername("Zo\u0065\u0308"), normalizeUsername("zo\u00eb"));
  // The ideographic space is trimmed like an ASCII one.
  assertEquals(normalizeUsername("\u3000bob\u3000"), "bob");
  for (const bidi of ["\u202e", "\u2066", "\u200f", "\u061c"]) {
    assertEquals(normalizeUsername(`ad${bidi}min`), undefined);
    assertMatch(usernameProblem(`ad${bidi}min`)!, /bidirectional/);
  }
  assertEquals(usernameProblem("ok"), undefined);
});

Deno.test("spellings of one name share one annotator", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const first = await getOrCreateAnnotator(kv, "Alice", () => 1);
    assertEquals(first.username, "alice");
    for (const spelling of ["alice", "ALICE", "\uff41\uff4c\uff49\uff43\uff45"]) {
      assertEquals((await getOrCreateAnnotator(kv, spelling, () => 2)).id, first.id, spelling);
    }
  } finally {
    kv.close();
  }
});

Deno.test("annotators stored under the old normalisation keep their ids", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    // The old scheme: trimmed + NFC, case kept, one key per spelling.
    const old = [
      { id: "a".repeat(32), username: "Alice", createdAt: 10 },
      { id: "b".repeat(32), username: "BOB", createdAt: 20 },
      { id: "c".repeat(32), username: "bob", createdAt: 30 }, // a second, distinct annotator
      { id: "d".repeat(32), username: "Eve\u202e", createdAt: 40 }, // no longer acceptable
    ];
    for (const record of old) await kv.set(KEY.annotator(record.username), record);

    assertEquals(await migrateLegacyUsernames(kv), 1); // Alice → alice; bob is taken
    assertEquals(await migrateLegacyUsernames(kv), 0); // idempotent
    const idOf = async (name: string) => (await getOrCreateAnnotator(kv, name, () => 99)).id;
    for (const spelling of ["Alice", "alice", "ALICE", "\uff21lice"]) {
      assertEquals(await idOf(spelling), "a".repeat(32), spelling);
    }
    // Typed exactly as before, each old record is found; other spellings go to the canonical one.
    assertEquals(await idOf("BOB"), "b".repeat(32));
    assertEquals(await idOf("bob"), "c".repeat(32));
    assertEquals(await idOf("Bob"), "c".repeat(32));
    assertEquals((await getOrCreateAnnotator(kv, "Alice", () => 99)).username, "Alice");
    // listAnnotators still lists each id once.
    assertEquals((await listAnnotators(kv)).size, 4);
  } finally {
    kv.close();
  }
});
