import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { PythonRandom } from "../random/python_random.ts";
import {
  countNewlines,
  decodeInputBytes,
  decodeUtf8,
  formatCap,
  invalidUtf8Index,
} from "./utf8_text.ts";

const bytes = (...values: number[]) => new Uint8Array(values);
const utf8 = (text: string) => new TextEncoder().encode(text);

Deno.test("invalidUtf8Index: well-formed text of every length is -1", () => {
  assertEquals(invalidUtf8Index(utf8("a é € 𝄞 \u{10ffff} \ufffd \ufeff")), -1);
  assertEquals(invalidUtf8Index(bytes()), -1);
});

Deno.test("invalidUtf8Index: the first byte of each kind of ill-formed sequence", () => {
  const cases: [number[], number][] = [
    [[0x61, 0xff], 1], // never in UTF-8
    [[0x80, 0x61], 0], // a continuation byte alone
    [[0xc0, 0x80], 0], // overlong NUL
    [[0xc1, 0xbf], 0], // overlong
    [[0x61, 0xe0, 0x80, 0x80], 1], // overlong 3-byte
    [[0xed, 0xa0, 0x80], 0], // a UTF-16 surrogate
    [[0xf0, 0x80, 0x80, 0x80], 0], // overlong 4-byte
    [[0xf4, 0x90, 0x80, 0x80], 0], // past U+10FFFF
    [[0xf5, 0x80, 0x80, 0x80], 0],
    [[0x61, 0x62, 0xe2, 0x82], 2], // cut short at the end
    [[0xe2, 0x82, 0x61], 0], // cut short in the middle
    [[0xf0, 0x9d, 0x84, 0x41], 0], // the 4th byte is not a continuation
  ];
  for (const [input, expected] of cases) {
    assertEquals(invalidUtf8Index(bytes(...input)), expected, JSON.stringify(input));
  }
});

Deno.test("invalidUtf8Index agrees with the platform's strict decoder on random bytes", () => {
  const random = new PythonRandom(7);
  const strict = new TextDecoder("utf-8", { fatal: true });
  for (let round = 0; round < 2000; round++) {
    const length = random.randbelow(13);
    // Mostly bytes of multi-byte characters, so that valid and invalid both happen.
    const pool = [0x41, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc2, 0xdf, 0xe0, 0xed, 0xef];
    pool.push(0xf0, 0xf4, 0xf5, 0xff);
    const input = bytes(...Array.from({ length }, () => pool[random.randbelow(pool.length)]));
    let valid = true;
    try {
      strict.decode(input);
    } catch {
      valid = false;
    }
    assertEquals(invalidUtf8Index(input) === -1, valid, JSON.stringify([...input]));
  }
});

Deno.test("decodeUtf8 names the file, the offset and the line of the first bad byte", () => {
  const text = utf8("ab\ncd\n");
  const at = (offset: number) => {
    const input = new Uint8Array([...text.slice(0, offset), 0xff, ...text.slice(offset)]);
    return assertThrows(() => decodeUtf8(input, { source: "a.json" }), ProactiveError).message;
  };
  assertEquals(at(0), '"a.json" is not UTF-8 text: invalid byte 0xff at byte offset 0 (line 1)');
  assertEquals(at(4), '"a.json" is not UTF-8 text: invalid byte 0xff at byte offset 4 (line 2)');
  assertEquals(at(6), '"a.json" is not UTF-8 text: invalid byte 0xff at byte offset 6 (line 3)');
  const placed = assertThrows(
    () => decodeUtf8(bytes(0x61, 0xc3), { source: "b", what: "log", offset: 100, line: 9 }),
    ProactiveError,
  );
  assertEquals(
    placed.message,
    'The log "b" is not UTF-8 text: invalid byte 0xc3 at byte offset 101 (line 9)',
  );
  assertEquals(placed.kind, "input");
});

Deno.test("decodeUtf8 keeps a written U+FFFD and refuses the bytes that become one", () => {
  assertEquals(decodeUtf8(utf8("x\ufffdy"), { source: "a" }), "x\ufffdy");
  assertThrows(() => decodeUtf8(bytes(0x78, 0xef, 0xbf), { source: "a" }), ProactiveError, "0xef");
});

Deno.test("decodeInputBytes drops one leading byte order mark and counts it in offsets", () => {
  assertEquals(decodeInputBytes(bytes(0xef, 0xbb, 0xbf, 0x5b, 0x5d), "a"), "[]");
  assertEquals(decodeInputBytes(bytes(0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0x31), "a"), "\ufeff1");
  assertEquals(decodeInputBytes(utf8("1\n\ufeff2"), "a"), "1\n\ufeff2");
  assertThrows(
    () => decodeInputBytes(bytes(0xef, 0xbb, 0xbf, 0x31, 0xfe), "a"),
    ProactiveError,
    "invalid byte 0xfe at byte offset 4 (line 1)",
  );
});

Deno.test("countNewlines and formatCap", () => {
  assertEquals(countNewlines(utf8("a\nb\n\nc")), 3);
  assertEquals(countNewlines(utf8("a\nb\n\nc"), 2, 4), 1);
  assertEquals(formatCap(16 * 1024 * 1024), "16 MiB");
  assertEquals(formatCap(1000), "1000 bytes");
});
