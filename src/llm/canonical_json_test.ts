import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { canonicalJson, canonicalMessages, rememberCanonical } from "./canonical_json.ts";

/** The definition: sort the keys of a copy, drop undefined fields, JSON.stringify. */
function reference(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v).sort()) {
        const item = (v as Record<string, unknown>)[key];
        if (item !== undefined) out[key] = sortKeys(item);
      }
      return out;
    }
    return v;
  };
  return JSON.stringify(sortKeys(value));
}

/** A seeded generator of JSON-like values with awkward keys, strings and holes. */
function randomValue(next: () => number, depth = 0): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 6 : 8));
  // Index-like keys too: objects list those first, in numeric order.
  const texts = ["", "a", "Z", "é", "\u2028", '"q"', "\\", "\ud83d\ude00", "10", "2", "01"];
  texts.push("4294967294", "4294967295", "__proto");
  const text = () => texts[Math.floor(next() * texts.length)];
  switch (pick) {
    case 0:
      return null;
    case 1:
      return next() < 0.5;
    case 2:
      return [0, -1.5, 1e21, 3, Number.NaN, -0][Math.floor(next() * 6)];
    case 3:
      return text() + text();
    case 4:
      return undefined;
    case 5:
      return text();
    case 6:
      return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
    default: {
      const out: Record<string, unknown> = {};
      for (let i = Math.floor(next() * 5); i > 0; i--) out[text()] = randomValue(next, depth + 1);
      return out;
    }
  }
}

Deno.test("canonicalJson equals the sort-a-copy definition on 2,000 generated values", () => {
  let state = 42;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 2000; i++) {
    const value = { root: randomValue(next) };
    assertEquals(canonicalJson(value), reference(value));
  }
  assertEquals(
    canonicalJson({ b: 1, a: { d: undefined, c: [2, undefined] } }),
    '{"a":{"c":[2,null]},"b":1}',
  );
  assertEquals(canonicalJson({ when: new Date(0) }), '{"when":"1970-01-01T00:00:00.000Z"}');
  assertEquals(canonicalJson(undefined), "null");
  assertThrows(() => canonicalJson({ n: 1n }), TypeError);
});

Deno.test("canonicalMessages equals canonicalJson of the messages, whatever their shape", () => {
  const messages = [
    { role: "system", content: "line\nbreak \u2028 \u0000" },
    { role: "user", content: "x", name: "bob" },
    { role: "user", content: [{ type: "text", text: "t" }] },
  ] as unknown as { role: string; content: string }[];
  assertEquals(canonicalMessages(messages), canonicalJson(messages));
  assertEquals(canonicalMessages([]), "[]");
});

Deno.test("rememberCanonical freezes the value and canonicalJson reuses its text", () => {
  const memo = new WeakMap<object, string>();
  const format = rememberCanonical(
    { type: "json_schema", json_schema: { b: 1, a: [{ z: 0 }] } },
    memo,
  );
  assert(Object.isFrozen(format) && Object.isFrozen(format.json_schema.a[0]));
  assertEquals(memo.get(format), '{"json_schema":{"a":[{"z":0}],"b":1},"type":"json_schema"}');
  // The memo's text is what is written for that object, by identity.
  memo.set(format, '"remembered"');
  assertEquals(
    canonicalJson({ response_format: format, n: 1 }, memo),
    '{"n":1,"response_format":"remembered"}',
  );
  assertEquals(
    canonicalJson({ response_format: format }),
    '{"response_format":' + reference(format) + "}",
  );
});
