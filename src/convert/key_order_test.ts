import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { pythonJsonDumps } from "../jsonl/python_json.ts";
import { isArrayIndexKey, parseJsonKeepingKeyOrder } from "./key_order.ts";

Deno.test("without integer-like keys, JSON.parse's order is kept and no order is recorded", () => {
  const { value, keyOrder } = parseJsonKeepingKeyOrder('{"b": 1, "a": {"d": 2, "c": 3}}');
  assertEquals(Object.keys(value as object), ["b", "a"]);
  assertEquals(keyOrder(value as object), undefined);
});

Deno.test("integer-like keys keep their text position, like Python's json.load", () => {
  const text = '{"b": 1, "2": {"10": 0, "x": [1, "\\"q\\u00e9"], "1": null}, "a": 3, "b": 4, ' +
    '"__proto__": 5}';
  const { value, keyOrder } = parseJsonKeepingKeyOrder(text);
  // Python: json.dumps(json.loads(text), ensure_ascii=False)
  assertEquals(
    pythonJsonDumps(value, { keyOrder }),
    '{"b": 4, "2": {"10": 0, "x": [1, "\\"qé"], "1": null}, "a": 3, "__proto__": 5}',
  );
  const record = value as Record<string, unknown>;
  assertEquals(Object.getPrototypeOf(record), Object.prototype);
  assertEquals(keyOrder(record), ["b", "2", "a", "__proto__"]);
});

Deno.test("the slow parser gives the same values as JSON.parse", () => {
  const text = ' [ {"7": [true, false, null, -1.5e3, 0, 12, "a\\\\"], "s": "\\\\\\"x"} , [], {} ] ';
  const { value } = parseJsonKeepingKeyOrder(text);
  assertEquals(value, JSON.parse(text));
});

Deno.test("invalid JSON throws a SyntaxError", () => {
  assertThrows(() => parseJsonKeepingKeyOrder('{"1": }'), SyntaxError);
});

Deno.test("isArrayIndexKey matches the keys JavaScript moves first", () => {
  assertEquals(["0", "17", "01", "-1", "1.5", "4294967294", "4294967295"].map(isArrayIndexKey), [
    true,
    true,
    false,
    false,
    false,
    true,
    false,
  ]);
  const parsed = JSON.parse('{"x": 1, "4294967295": 2, "4294967294": 3}');
  assertEquals(Object.keys(parsed), ["4294967294", "x", "4294967295"]);
});
