import { assert, assertEquals } from "../../tests/assert.ts";
import {
  collidingKinds,
  isSeedTaskConfig,
  safeKindName,
  sceneName,
  seedTaskStem,
} from "./scene_names.ts";

Deno.test("sceneName: kind, 3-digit task index, index in the answer", () => {
  assertEquals(sceneName("codingassistant", 7, 2), "scene_codingassistant-007-2");
  assertEquals(sceneName("dailyassistant", 0, 0), "scene_dailyassistant-000-0");
  assertEquals(sceneName("k", 1234, 11), "scene_k-1234-11");
  assertEquals(seedTaskStem("writingassistant", 21), "scene_writingassistant-021");
});

Deno.test("safeKindName: only letters, digits and _ reach a file name", () => {
  assertEquals(safeKindName("beta-kind"), "beta_kind");
  assertEquals(safeKindName("../../etc/passwd"), "etc_passwd");
  assertEquals(safeKindName("Café au lait"), "Cafe_au_lait");
  assertEquals(safeKindName("///"), "kind");
  assertEquals(safeKindName("x".repeat(100)).length, 64);
  assert(/^scene_[A-Za-z0-9_]+-\d{3}-\d+$/.test(sceneName("a/b\\c d", 3, 1)));
});

Deno.test("isSeedTaskConfig: exactly the files of one seed task", () => {
  assert(isSeedTaskConfig("scene_code-001-0.yaml", "code", 1));
  assert(isSeedTaskConfig("scene_code-001-12.yaml", "code", 1));
  assert(!isSeedTaskConfig("scene_code-010-0.yaml", "code", 1));
  assert(!isSeedTaskConfig("scene_code-001-0.jsonl", "code", 1));
  assert(!isSeedTaskConfig("scene_code-001-notes.yaml", "code", 1));
  assert(!isSeedTaskConfig("scene_code-001-0.yaml", "codes", 1));
  // A kind named like another kind's task prefix never matches.
  assert(!isSeedTaskConfig("scene_x_001-000-0.yaml", "x", 1));
});

Deno.test("collidingKinds: kinds that would share file names", () => {
  assertEquals(collidingKinds(["a", "b", "c"]), []);
  assertEquals(collidingKinds(["a b", "a-b", "c", "a_b"]), [["a b", "a-b"], ["a b", "a_b"]]);
});
