import { assertEquals } from "../../tests/assert.ts";
import { writeFileAtomic, writeJsonAtomic } from "./atomic_write.ts";

Deno.test("writeFileAtomic replaces the file and leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/out.json`;
  await Deno.writeTextFile(path, "old");
  await writeFileAtomic(path, "new content");
  assertEquals(await Deno.readTextFile(path), "new content");
  const names = [...Deno.readDirSync(dir)].map((e) => e.name);
  assertEquals(names, ["out.json"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("writeJsonAtomic writes parseable JSON even when many writes race", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/race.json`;
  await Promise.all(
    Array.from({ length: 20 }, (_, i) => writeJsonAtomic(path, { i, filler: "x".repeat(10_000) })),
  );
  const parsed = JSON.parse(await Deno.readTextFile(path));
  assertEquals(typeof parsed.i, "number");
  assertEquals([...Deno.readDirSync(dir)].length, 1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("writeFileAtomic fails without touching the target when the folder is missing", async () => {
  const dir = await Deno.makeTempDir();
  let failed = false;
  try {
    await writeFileAtomic(`${dir}/missing/out.json`, "x");
  } catch {
    failed = true;
  }
  assertEquals(failed, true);
  await Deno.remove(dir, { recursive: true });
});
