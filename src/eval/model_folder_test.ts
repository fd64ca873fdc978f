import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { PythonRandom } from "../random/python_random.ts";
import {
  isPlainModelName,
  legacyModelFolder,
  MAX_FOLDER_BYTES,
  modelFolder,
  modelIdOfFolder,
} from "./model_folder.ts";

/** Characters that collided under the old `_` replacement, and a few that need care. */
const ALPHABET = [
  ..."aAbBzZ09_-.:/ \\%~@é日",
  "😀", // a surrogate pair
  "\n",
  "\u0000",
];

function randomName(random: PythonRandom): string {
  let name = "";
  for (let n = random.randbelow(10); n > 0; n--) {
    name += ALPHABET[random.randbelow(ALPHABET.length)];
  }
  return name;
}

/** Whether a folder name is safe: no separator, not hidden, not `..`, portable bytes. */
function isSafeFolderName(folder: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(folder) && folder !== "..";
}

Deno.test("modelFolder: the names that shared a folder before get one each", () => {
  const names = ["llama3:8b", "llama3 8b", "llama3/8b", "llama3_8b"];
  assertEquals(names.map(legacyModelFolder), Array(4).fill("llama3_8b"));
  const folders = names.map(modelFolder);
  assertEquals(folders, ["_llama3_3A8b", "_llama3_208b", "_llama3_2F8b", "llama3_8b"]);
  assertEquals(folders.map(modelIdOfFolder), names);
});

Deno.test("modelFolder: plain names keep the folder name earlier versions gave them", () => {
  for (const name of ["qwen-7b", "gpt-4o", "llama3.1", "agent-x", "Qwen2_7B", "v1."]) {
    assert(isPlainModelName(name), name);
    assertEquals(modelFolder(name), name);
    assertEquals(modelFolder(name), legacyModelFolder(name));
    assertEquals(modelIdOfFolder(name), name);
  }
});

Deno.test("modelFolder: no separators, no dot-dot, no leading dot", () => {
  assertEquals(modelFolder("Qwen/Qwen2-7B"), "_Qwen_2FQwen2-7B");
  assertEquals(modelFolder("../x"), "__2E._2Fx");
  assertEquals(modelFolder(".hidden"), "_.hidden");
  assertEquals(modelFolder("a..b"), "_a_2E.b");
  assertEquals(modelFolder(".."), "__2E_2E");
  assertEquals(modelFolder("_x"), "__5Fx");
  assertEquals(modelFolder("modèle"), "_mod_C3_A8le");
  for (const name of ["../x", ".hidden", "a..b", "..", "_x", "modèle", "a\\b", ""]) {
    assert(isSafeFolderName(modelFolder(name)) || name === "", name);
    assertEquals(modelIdOfFolder(modelFolder(name)), name);
  }
});

Deno.test("modelFolder: one to one, and decodes back (random names)", () => {
  const random = new PythonRandom(13);
  const byFolder = new Map<string, string>();
  for (let i = 0; i < 20_000; i++) {
    const name = randomName(random);
    const folder = modelFolder(name);
    const other = byFolder.get(folder);
    assert(other === undefined || other === name, `${JSON.stringify([other, name])} → ${folder}`);
    byFolder.set(folder, name);
    assertEquals(modelIdOfFolder(folder), name);
    if (name !== "") assert(isSafeFolderName(folder), `${JSON.stringify(name)} → ${folder}`);
    // An encoded folder is never a plain name: it cannot be another model's own folder.
    assertEquals(isPlainModelName(folder), isPlainModelName(name));
  }
  assert(byFolder.size > 5000, `only ${byFolder.size} distinct names`);
});

Deno.test("modelIdOfFolder: a folder no encoding makes stands for its own name", () => {
  for (const folder of ["_2f", "_a_2", "_a..b", "__2Eb_", "_x", "_llama3_3a8b", "model_a__b"]) {
    assertEquals(modelIdOfFolder(folder), folder);
  }
});

Deno.test("modelFolder: names that cannot name a folder are usage errors", () => {
  const long = assertThrows(() => modelFolder(":".repeat(100)), ProactiveError, "too long");
  assertEquals(long.kind, "usage");
  assertEquals(modelFolder("a".repeat(MAX_FOLDER_BYTES)).length, MAX_FOLDER_BYTES);
  assertThrows(() => modelFolder("a\ud800"), ProactiveError, "not valid Unicode");
});
