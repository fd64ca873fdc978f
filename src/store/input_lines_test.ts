import { assert, assertEquals, assertRejects, assertThrows } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import {
  type InputLine,
  InputLineSplitter,
  MAX_INPUT_LINE_BYTES,
  readInputLines,
  splitInputLines,
} from "./input_lines.ts";
import { withTempDir } from "../../tests/temp_dir.ts";

const encode = (text: string) => new TextEncoder().encode(text);
const MIB = 1024 * 1024;

/** The lines of `bytes` fed to a splitter in chunks of `size` bytes. */
function splitInChunks(bytes: Uint8Array, size: number, maxLineBytes?: number): InputLine[] {
  const splitter = new InputLineSplitter("a.jsonl", { maxLineBytes });
  const lines: InputLine[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    lines.push(...splitter.push(bytes.slice(i, i + size)));
  }
  return [...lines, ...splitter.end()];
}

Deno.test("lines end at \\n; a \\r before it or at the end is dropped; blank lines count", () => {
  const bytes = encode('{"a":1}\r\n\n{"b":2}\n \r\n{"c":\r3}\r');
  const expected = [
    { line: 1, text: '{"a":1}' },
    { line: 2, text: "" },
    { line: 3, text: '{"b":2}' },
    { line: 4, text: " " },
    { line: 5, text: '{"c":\r3}' },
  ];
  for (const size of [1, 2, 3, 7, 1000]) assertEquals(splitInChunks(bytes, size), expected);
  assertEquals(splitInChunks(encode("x\n"), 1), [{ line: 1, text: "x" }]);
  assertEquals(splitInChunks(encode(""), 1), []);
});

Deno.test("a byte order mark is dropped at the start of the file only, split or not", () => {
  const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...encode("1\n\ufeff2\n")]);
  for (const size of [1, 2, 4, 100]) {
    assertEquals(splitInChunks(bytes, size), [{ line: 1, text: "1" }, {
      line: 2,
      text: "\ufeff2",
    }]);
  }
});

Deno.test("characters split across chunks are decoded whole", () => {
  const text = "é€𝄞\n日本語\n" + "🙂".repeat(50);
  for (const size of [1, 2, 3, 5]) {
    assertEquals(splitInChunks(encode(text), size).map((l) => l.text), text.split("\n"));
  }
});

Deno.test("the first bad byte is named by its file offset and line, at any chunking", () => {
  const good = encode("\ufeffab\ncd\né\n");
  // [where the bad bytes go, the bytes, the expected offset and line]
  const cases: [number, number[], number, number][] = [
    [0, [0xff], 0, 1], // the file's first byte
    [3, [0x80], 3, 1], // right after the byte order mark
    [8, [0xe2, 0x82], 8, 2], // a character cut short before the newline
    [9, [0xc3, 0x28], 9, 3], // a lead byte followed by ASCII
    [good.length, [0xf0, 0x9f, 0x99], good.length, 4], // cut short at the end of the file
  ];
  for (const [at, bad, offset, line] of cases) {
    const bytes = new Uint8Array([...good.slice(0, at), ...bad, ...good.slice(at)]);
    for (const size of [1, 2, 3, 4, 5, 64]) {
      const error = assertThrows(() => splitInChunks(bytes, size), ProactiveError);
      const value = bad[0].toString(16);
      assertEquals(
        error.message,
        `"a.jsonl" is not UTF-8 text: invalid byte 0x${value} at byte offset ${offset} (line ${line})`,
        `bad bytes at ${at}, chunks of ${size}`,
      );
    }
  }
});

Deno.test("a line over the cap is refused with its number before it is held whole", () => {
  const cap = 100;
  const long = "x".repeat(1000);
  const error = assertThrows(
    () => splitInChunks(encode(`1\n2\n${long}\n4\n`), 7, cap),
    ProactiveError,
  );
  assertEquals(error.message, 'Line 3 of "a.jsonl" is longer than the 100 bytes cap on one line');
  const splitter = new InputLineSplitter("a.jsonl", { maxLineBytes: cap, what: "reward input" });
  splitter.push(encode("1\n"));
  assertThrows(
    () => {
      for (let i = 0; i < 1000; i++) splitter.push(encode("xxxxxxx"));
    },
    ProactiveError,
    'Line 2 of the reward input "a.jsonl" is longer than the 100 bytes cap',
  );
  assert(splitter.peakBufferedBytes <= cap + 1, `held ${splitter.peakBufferedBytes} bytes`);
  // A line of exactly the cap (and its \r\n) passes, in one chunk or many.
  const exact = `${"y".repeat(cap)}\r\n`;
  assertEquals(splitInChunks(encode(exact), 1000, cap)[0].text.length, cap);
  assertEquals(splitInChunks(encode(exact), 3, cap)[0].text.length, cap);
});

Deno.test("a 20 MiB line: refused at the default cap, naming its line; at most the cap is held", async () => {
  assertEquals(MAX_INPUT_LINE_BYTES, 16 * MIB);
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const splitter = new InputLineSplitter("big.jsonl");
  splitter.push(encode('{"ok": 1}\n'));
  assertThrows(() => {
    for (let fed = 0; fed < 20 * MIB; fed += chunk.length) splitter.push(chunk);
  }, ProactiveError);
  assert(
    splitter.peakBufferedBytes <= MAX_INPUT_LINE_BYTES + 4,
    `the splitter held ${splitter.peakBufferedBytes} bytes of one line`,
  );
  await withTempDir(async (dir) => {
    const path = `${dir}/big.jsonl`;
    using file = await Deno.open(path, { write: true, create: true });
    await file.write(encode('{"ok": 1}\n{"ok": 2}\n"'));
    for (let written = 0; written < 20 * MIB; written += chunk.length) await file.write(chunk);
    await file.write(encode('"\n'));
    const error = await assertRejects(() => Array.fromAsync(readInputLines(path)), ProactiveError);
    assertEquals(error.message, `Line 3 of "${path}" is longer than the 16 MiB cap on one line`);
  });
});

Deno.test("readInputLines names a missing file and a folder", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/in.jsonl`);
    await assertRejects(
      () => Array.fromAsync(readInputLines(`${dir}/in.jsonl`)),
      ProactiveError,
      `"${dir}/in.jsonl" is a folder, not a file`,
    );
    await assertRejects(
      () => Array.fromAsync(readInputLines(`${dir}/none.jsonl`, { what: "reward input" })),
      ProactiveError,
      `The reward input "${dir}/none.jsonl" does not exist`,
    );
    await Deno.writeTextFile(`${dir}/ok.jsonl`, "\ufeffa\r\nb");
    assertEquals(await Array.fromAsync(readInputLines(`${dir}/ok.jsonl`)), [
      { line: 1, text: "a" },
      { line: 2, text: "b" },
    ]);
  });
});

Deno.test("splitInputLines names the source of a failing stream", async () => {
  async function* failing() {
    yield encode("a\n");
    throw new Deno.errors.PermissionDenied("Permission denied (os error 13)");
  }
  await assertRejects(
    () => Array.fromAsync(splitInputLines(failing(), "s.jsonl")),
    ProactiveError,
    'Cannot read "s.jsonl": Permission denied',
  );
});
