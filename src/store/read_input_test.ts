import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import {
  isMissingFile,
  MAX_INPUT_FILE_BYTES,
  readInputBytes,
  readInputBytesSync,
  readInputText,
  readInputTextSync,
  readOptionalInputText,
} from "./read_input.ts";
import { withTempDir } from "../../tests/temp_dir.ts";

const BOM = [0xef, 0xbb, 0xbf];
const write = (path: string, ...parts: (string | number[])[]) =>
  Deno.writeFile(
    path,
    new Uint8Array(
      parts.flatMap((p) => typeof p === "string" ? [...new TextEncoder().encode(p)] : p),
    ),
  );

Deno.test("readInputText drops a leading byte order mark; the text is otherwise as written", async () => {
  await withTempDir(async (dir) => {
    await write(`${dir}/bom.json`, BOM, '{"a": 1}\r\n');
    await write(`${dir}/plain.json`, '{"a": 1}\r\n');
    assertEquals(await readInputText(`${dir}/bom.json`), '{"a": 1}\r\n');
    assertEquals(await readInputText(`${dir}/plain.json`), '{"a": 1}\r\n');
    assertEquals(readInputTextSync(`${dir}/bom.json`), '{"a": 1}\r\n');
    // The bytes are left as they are (a dataset card hashes them).
    assertEquals((await readInputBytes(`${dir}/bom.json`)).length, 3 + 10);
  });
});

Deno.test("readInputText refuses bytes that are not UTF-8 with their offset and line", async () => {
  await withTempDir(async (dir) => {
    await write(`${dir}/a.yaml`, BOM, "a: 1\nb: ", [0xe9], "t\xe9\n");
    const error = await assertRejects(() => readInputText(`${dir}/a.yaml`), ProactiveError);
    assertEquals(
      error.message,
      `"${dir}/a.yaml" is not UTF-8 text: invalid byte 0xe9 at byte offset 11 (line 2)`,
    );
    assertEquals(error.kind, "input");
    assertThrows(
      () => readInputTextSync(`${dir}/a.yaml`, { what: "seed file" }),
      ProactiveError,
      `The seed file "${dir}/a.yaml" is not UTF-8 text`,
    );
  });
});

Deno.test("a missing file and a folder are named; readOptionalInputText: undefined when missing", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/x.json`);
    await Deno.symlink(`${dir}/x.json`, `${dir}/link.json`);
    const missing = await assertRejects(() => readInputText(`${dir}/none.json`), ProactiveError);
    assertEquals(missing.message, `"${dir}/none.json" does not exist`);
    assertEquals(isMissingFile(missing), true);
    for (const path of [`${dir}/x.json`, `${dir}/link.json`]) {
      const folder = await assertRejects(() => readInputText(path), ProactiveError);
      assertEquals(folder.message, `"${path}" is a folder, not a file`);
      assertEquals(isMissingFile(folder), false);
      assertThrows(() => readInputBytesSync(path), ProactiveError, "is a folder, not a file");
    }
    await assertRejects(
      () => readInputText(`${dir}/x.json`, { what: "splits file" }),
      ProactiveError,
      `The splits file "${dir}/x.json" is a folder, not a file`,
    );
    assertEquals(await readOptionalInputText(`${dir}/none.json`), undefined);
    await assertRejects(() => readOptionalInputText(`${dir}/x.json`), ProactiveError, "a folder");
    assertThrows(() => readInputTextSync(`${dir}/none.json`), ProactiveError, "does not exist");
  });
});

Deno.test("a file over the cap is refused naming the cap and the line that reaches it", async () => {
  await withTempDir(async (dir) => {
    await write(`${dir}/big.json`, "[1,\n2,\n3,\n4]\n");
    const capped = { maxBytes: 5 };
    const error = await assertRejects(() => readInputText(`${dir}/big.json`, capped));
    assertEquals(
      error.message,
      `"${dir}/big.json" is larger than the 5 bytes cap on one input file ` +
        `(it reaches the cap at line 2)`,
    );
    assertThrows(() => readInputBytesSync(`${dir}/big.json`, capped), ProactiveError, "line 2");
    assertEquals(await readInputText(`${dir}/big.json`, { maxBytes: 13 }), "[1,\n2,\n3,\n4]\n");
    assertEquals(MAX_INPUT_FILE_BYTES, 256 * 1024 * 1024);
  });
});

Deno.test("a file that is not a regular file is read up to the cap", async () => {
  assertEquals(await readInputText("/dev/null"), "");
  // A pipe has no size to check beforehand: the cap applies while reading.
  await withTempDir(async (dir) => {
    const fifo = `${dir}/fifo`;
    await new Deno.Command("mkfifo", { args: [fifo] }).output();
    const writer = new Deno.Command("sh", { args: ["-c", `yes | head -c 100000 > ${fifo}`] })
      .spawn();
    const error = await assertRejects(() => readInputText(fifo, { maxBytes: 1000 }));
    assertEquals(
      error.message,
      `"${fifo}" is larger than the 1000 bytes cap on one input file (it reaches the cap at line 501)`,
    );
    await writer.status;
  });
});

Deno.test("noFollow: an earlier output that is a link is refused, nothing read from its target", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/secret`, "root:x:0:0");
    await Deno.symlink(`${dir}/secret`, `${dir}/out.json`);
    // As an input (the user's own link), it is read; as an earlier output, refused.
    assertEquals(await readInputText(`${dir}/out.json`), "root:x:0:0");
    const error = await assertRejects(() =>
      readOptionalInputText(`${dir}/out.json`, { noFollow: true })
    );
    assertStringIncludes(error.message, `"${dir}/out.json" is a symbolic link`);
    assert(!error.message.includes("root"), error.message);
    assertEquals(await readOptionalInputText(`${dir}/missing.json`, { noFollow: true }), undefined);
    await Deno.writeTextFile(`${dir}/plain.json`, "\ufeff{}");
    assertEquals(await readInputText(`${dir}/plain.json`, { noFollow: true }), "{}");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
