import { assert, assertEquals, assertMatch, assertNotEquals } from "../../tests/assert.ts";
import { getOrCreateAnnotator, listAnnotators, normalizeUsername } from "./annotators.ts";

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
