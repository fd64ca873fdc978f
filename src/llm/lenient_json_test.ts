import { z } from "zod";
import { assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { nullStringsToNull, parseLenientJson, repairJsonText } from "./lenient_json.ts";

function value(text: string): unknown {
  const result = parseLenientJson(text);
  if (!result.ok) throw new Error(`expected JSON in ${JSON.stringify(text)}: ${result.error}`);
  return result.value;
}

Deno.test("parseLenientJson reads plain JSON and ```json fences", () => {
  assertEquals(value('{"a": 1}'), { a: 1 });
  assertEquals(value('```json\n{"a": [1, 2]}\n```'), { a: [1, 2] });
  assertEquals(value('Sure!\n```\n{"b": "x"}\n```\nHope that helps.'), { b: "x" });
});

Deno.test("parseLenientJson finds one object inside prose and after a think block", () => {
  assertEquals(value('My answer is {"judgement": "accepted"} — final.'), {
    judgement: "accepted",
  });
  assertEquals(value('<think>maybe {"no": 1}</think>\n{"yes": true}'), { yes: true });
  // A brace inside a string does not end the object early.
  assertEquals(value('Result: {"s": "a } b", "n": 2} ok'), { s: "a } b", n: 2 });
  // An earlier brace group that is not JSON is skipped.
  assertEquals(value('Given {the context}, here: {"k": 1}'), { k: 1 });
});

Deno.test("parseLenientJson repairs trailing commas and Python literals", () => {
  assertEquals(value('{"a": [1, 2,], "b": None, "c": True,}'), { a: [1, 2], b: null, c: true });
  // Inside strings nothing changes.
  assertEquals(repairJsonText('{"t": "None, True,]"}'), '{"t": "None, True,]"}');
});

Deno.test("parseLenientJson explains what it could not read", () => {
  const empty = parseLenientJson("  ");
  assertEquals(empty.ok, false);
  const prose = parseLenientJson("I would accept it.");
  assertEquals(prose, { ok: false, error: "the answer contains no JSON object" });
  const broken = parseLenientJson('{"a": "unterminated}');
  assertEquals(broken.ok, false);
  if (!broken.ok) assertStringIncludes(broken.error, "not valid JSON");
});

Deno.test("nullStringsToNull replaces 'null' strings only where the schema allows null", () => {
  const schema = z.object({
    task: z.string().nullable(),
    thought: z.string(),
    items: z.array(z.number().nullable()),
  });
  const fixed = nullStringsToNull({ task: "null", thought: "None", items: [1, "NULL"] }, schema);
  assertEquals(fixed, { task: null, thought: "None", items: [1, null] });
  assertEquals(schema.safeParse(fixed).success, true);
});

Deno.test("nullStringsToNull leaves unions alone when null does not fit them", () => {
  const schema = z.object({ v: z.union([z.object({ a: z.string() }), z.string()]) });
  assertEquals(nullStringsToNull({ v: "null" }, schema), { v: "null" });
  const nullable = z.object({ v: z.union([z.number(), z.null()]) });
  assertEquals(nullStringsToNull({ v: "None" }, nullable), { v: null });
});
