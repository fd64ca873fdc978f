import { assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import { writeFileAtomic, writeFilesAtomic, writeJsonAtomic } from "./atomic_write.ts";

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

Deno.test("writeFilesAtomic writes every file from chunks, or none when one fails", async () => {
  const dir = await Deno.makeTempDir();
  const bytes = (text: string) => new TextEncoder().encode(text);
  await writeFilesAtomic([
    { path: `${dir}/a.txt`, chunks: [bytes("one "), bytes("two")] },
    {
      path: `${dir}/b.txt`,
      chunks: (async function* () {
        yield bytes("three");
      })(),
    },
  ]);
  assertEquals(await Deno.readTextFile(`${dir}/a.txt`), "one two");
  assertEquals(await Deno.readTextFile(`${dir}/b.txt`), "three");

  let failed = false;
  try {
    await writeFilesAtomic([
      { path: `${dir}/a.txt`, chunks: [bytes("new a")] },
      {
        path: `${dir}/b.txt`,
        chunks: (function* () {
          yield bytes("half");
          throw new Error("disk full");
        })(),
      },
    ]);
  } catch {
    failed = true;
  }
  assertEquals(failed, true);
  assertEquals(await Deno.readTextFile(`${dir}/a.txt`), "one two");
  assertEquals(await Deno.readTextFile(`${dir}/b.txt`), "three");
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["a.txt", "b.txt"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("writeFilesAtomic flushes a large file in the background as it grows", async () => {
  const dir = await Deno.makeTempDir();
  const chunks = Array.from({ length: 50 }, (_, i) => new Uint8Array(1000).fill(65 + (i % 26)));
  // Flushes start after every 4 KB; the buffers are refilled between writes, as a producer
  // alternating two buffers would.
  const buffers = [new Uint8Array(1000), new Uint8Array(1000)];
  await writeFilesAtomic([{
    path: `${dir}/big.txt`,
    chunks: (function* () {
      for (const [i, chunk] of chunks.entries()) {
        buffers[i % 2].set(chunk);
        yield buffers[i % 2];
      }
    })(),
  }], { flushEvery: 4000 });
  const written = await Deno.readFile(`${dir}/big.txt`);
  assertEquals(written.length, 50_000);
  const intact = chunks.every((chunk, i) =>
    chunk.every((byte, j) => written[i * 1000 + j] === byte)
  );
  assertEquals(intact, true);
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["big.txt"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("writeFileAtomic refuses a target that is a symbolic link and leaves its target alone", async () => {
  const dir = await Deno.makeTempDir();
  const outside = `${dir}/outside.txt`;
  await Deno.writeTextFile(outside, "secret");
  await Deno.mkdir(`${dir}/out`);
  await Deno.symlink(outside, `${dir}/out/result.json`);
  const error = await assertRejects(() => writeFileAtomic(`${dir}/out/result.json`, "x"));
  assertStringIncludes(error.message, `"${dir}/out/result.json" is a symbolic link`);
  assertEquals(await Deno.readTextFile(outside), "secret");
  assertEquals(Deno.lstatSync(`${dir}/out/result.json`).isSymlink, true);
  assertEquals([...Deno.readDirSync(`${dir}/out`)].map((e) => e.name), ["result.json"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("writeFilesAtomic names the target when the write fails, and leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/taken.json`); // a folder where the file goes: the rename fails
  const error = await assertRejects(() => writeFileAtomic(`${dir}/taken.json`, "x"));
  assertStringIncludes(error.message, `Cannot write "${dir}/taken.json"`);
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["taken.json"]);
  await Deno.remove(dir, { recursive: true });
});
