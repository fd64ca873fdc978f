import { assertEquals, assertRejects, assertThrows } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import {
  JsonlStringifyStream,
  parseJsonlStream,
  parseJsonlText,
  readJsonlFile,
  toJsonl,
} from "./jsonl_streams.ts";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return ReadableStream.from(chunks.map((c) => encoder.encode(c)));
}

Deno.test("parseJsonlStream joins lines split across chunks and numbers them", async () => {
  const rows = await Array.fromAsync(
    parseJsonlStream(streamOf(['{"a":', '1}\r\n\n{"b":2}\n', '{"c":3}']), "x.jsonl"),
  );
  assertEquals(rows, [
    { line: 1, value: { a: 1 } },
    { line: 3, value: { b: 2 } },
    { line: 4, value: { c: 3 } },
  ]);
});

Deno.test("parseJsonlStream names the file and line of a broken line", async () => {
  const error = await assertRejects(
    () => Array.fromAsync(parseJsonlStream(streamOf(['{"a":1}\n{oops}\n']), "a.jsonl")),
    ProactiveError,
    'Cannot parse line 2 of "a.jsonl"',
  );
  assertEquals(error.kind, "input");
});

Deno.test("readJsonlFile reports a missing file by name", async () => {
  await assertRejects(
    () => readJsonlFile("/nonexistent/x.jsonl"),
    ProactiveError,
    '"/nonexistent/x.jsonl"',
  );
});

Deno.test("readJsonlFile: a byte order mark is dropped, bytes that are not UTF-8 are refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/bom.jsonl`, new Uint8Array([0xef, 0xbb, 0xbf, 0x31, 0x0a]));
    assertEquals(await readJsonlFile(`${dir}/bom.jsonl`), [{ line: 1, value: 1 }]);
    // Before the one reader, the bad byte became U+FFFD inside the string and was accepted.
    await Deno.writeFile(
      `${dir}/bad.jsonl`,
      new Uint8Array([...new TextEncoder().encode('"a"\n"b'), 0xff, 0x22, 0x0a]),
    );
    await assertRejects(
      () => readJsonlFile(`${dir}/bad.jsonl`),
      ProactiveError,
      `"${dir}/bad.jsonl" is not UTF-8 text: invalid byte 0xff at byte offset 6 (line 2)`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readJsonlFile names a folder given as the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Before: "Is a directory (os error 21)", without the path.
    await assertRejects(
      () => readJsonlFile(dir),
      ProactiveError,
      `"${dir}" is a folder, not a file`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseJsonlText and toJsonl round-trip", () => {
  const values = [{ a: "é" }, [1, 2], null];
  const text = toJsonl(values);
  assertEquals(parseJsonlText(text, "mem").map((r) => r.value), values);
  assertThrows(
    () => parseJsonlText("1\n[\n", "mem.jsonl"),
    ProactiveError,
    'line 2 of "mem.jsonl"',
  );
});

Deno.test("JsonlStringifyStream writes one line per value", async () => {
  const out = await Array.fromAsync(
    ReadableStream.from([{ x: 1 }, { y: 2 }]).pipeThrough(new JsonlStringifyStream()),
  );
  assertEquals(out.join(""), '{"x":1}\n{"y":2}\n');
});
