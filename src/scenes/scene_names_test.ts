import { assert, assertEquals } from "../../tests/assert.ts";
import {
  collidingKinds,
  isSeedTaskConfig,
  safeKindName,
  sceneName,
  seedTaskStem,
} from "./scene_names.ts";

Deno.test("sceneName: kind, 3-digit task index, index in the answer", () => {
  assertEquals(sceneName("codingassistant", 7, 2), "scene_codingassistant-007_7002");
  assertEquals(sceneName("dailyassistant", 0, 0), "scene_dailyassistant-000_0");
  assertEquals(sceneName("k", 1234, 11), "scene_k-1234_1234011");
  assertEquals(seedTaskStem("writingassistant", 21), "scene_writingassistant-021");
});

Deno.test("safeKindName: only letters, digits and _ reach a file name", () => {
  assertEquals(safeKindName("beta-kind"), "beta_kind");
  assertEquals(safeKindName("../../etc/passwd"), "etc_passwd");
  assertEquals(safeKindName("Café au lait"), "Cafe_au_lait");
  assertEquals(safeKindName("///"), "kind");
  assertEquals(safeKindName("x".repeat(100)).length, 64);
  assert(/^scene_[A-Za-z0-9_]+-\d{3}_\d+$/.test(sceneName("a/b\\c d", 3, 1)));
});

Deno.test("isSeedTaskConfig: exactly the files of one seed task", () => {
  assert(isSeedTaskConfig("scene_code-001_1000.yaml", "code", 1));
  assert(isSeedTaskConfig("scene_code-001_1012.yaml", "code", 1));
  assert(!isSeedTaskConfig("scene_code-010_10000.yaml", "code", 1));
  assert(!isSeedTaskConfig("scene_code-001_1000.jsonl", "code", 1));
  assert(!isSeedTaskConfig("scene_code-001_notes.yaml", "code", 1));
  assert(!isSeedTaskConfig("scene_code-001_1000.yaml", "codes", 1));
  // A kind named like another kind's task prefix never matches.
  assert(!isSeedTaskConfig("scene_x_001-000_0.yaml", "x", 1));
});

Deno.test("sceneName: the reference's run_datagen.py reads an integer after the last _", () => {
  // cfg_files.sort(key = lambda x: int(x.split("_")[-1].split(".")[0]))
  const key = (file: string) => Number.parseInt(file.split("_").at(-1)!.split(".")[0], 10);
  const names = [sceneName("coding_assistant", 1, 0), sceneName("a", 0, 2), sceneName("a", 0, 10)];
  const keys = names.map((name) => `${name}.yaml`).map(key);
  assert(keys.every((k) => Number.isInteger(k)), String(keys));
  assertEquals(keys, [1000, 2, 10]);
  assertEquals(
    names.map((name) => `${name}.yaml`).filter((f) =>
      /^\d+$/.test(f.split("_").at(-1)!.split(".")[0])
    ).length,
    3,
  );
});

Deno.test("collidingKinds: kinds that would share file names", () => {
  assertEquals(collidingKinds(["a", "b", "c"]), []);
  assertEquals(collidingKinds(["a b", "a-b", "c", "a_b"]), [["a b", "a-b"], ["a b", "a_b"]]);
});
