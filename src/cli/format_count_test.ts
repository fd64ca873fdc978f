import { assertEquals } from "../../tests/assert.ts";
import { formatCount } from "./format_count.ts";

Deno.test("formatCount groups like toLocaleString('en-US')", () => {
  const values = [0, 7, 42, 999, 1_000, 12_345, 100_000, 999_999, 1_000_000, 1_234_567_890];
  for (const n of [...values, ...values.slice(1).map((v) => -v)]) {
    assertEquals(formatCount(n), n.toLocaleString("en-US"), String(n));
  }
  assertEquals(formatCount(1_234_567), "1,234,567");
  assertEquals(formatCount(0.5), "0.5");
});
