import { z } from "zod";
import { assertEquals, assertThrows } from "../../../tests/assert.ts";
import { responseFormatFor } from "../structured_completion.ts";
import { answerFromSchema, requestSchema } from "./schema_answer.ts";

Deno.test("answerFromSchema fills every property, lists, enums and nullable members", () => {
  const schema = z.object({
    title: z.string().describe("a title"),
    tags: z.array(z.string()),
    kind: z.enum(["a", "b"]),
    count: z.number(),
    done: z.boolean(),
    note: z.string().optional(),
    nested: z.object({ fixed: z.literal("x") }),
  });
  const format = responseFormatFor(schema, "thing");
  const value = answerFromSchema(format.json_schema.schema);
  assertEquals(value, {
    title: "a title #1",
    tags: ["tags #2", "tags #3"],
    kind: "a",
    count: 1,
    done: true,
    note: "note #4", // strict mode made it string-or-null: the string is taken
    nested: { fixed: "x" },
  });
  assertEquals(schema.safeParse(value).success, true);
});

Deno.test("answerFromSchema follows $defs, takes the list length and text given", () => {
  const schema = {
    type: "object",
    properties: { items: { type: "array", items: { $ref: "#/$defs/item" } } },
    $defs: { item: { anyOf: [{ type: "null" }, { type: "string" }] } },
  };
  assertEquals(
    answerFromSchema(schema, { listLength: 3, text: ({ path, n }) => `${path}=${n}` }),
    { items: ["/items/0=1", "/items/1=2", "/items/2=3"] },
  );
  assertThrows(
    () => answerFromSchema({ $ref: "https://example.com/s.json" }),
    RangeError,
    "Cannot follow $ref",
  );
});

Deno.test("requestSchema: the JSON schema of a request body, or none", () => {
  const format = responseFormatFor(z.object({ a: z.string() }));
  assertEquals(requestSchema({ response_format: format }), format.json_schema.schema);
  assertEquals(requestSchema({ response_format: { type: "json_object" } }), undefined);
  assertEquals(requestSchema({}), undefined);
});
