import { z } from "zod";
import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { jsonSchemaOf } from "./structured_completion.ts";
import { toStrictJsonSchema } from "./strict_json_schema.ts";

Deno.test("toStrictJsonSchema drops the constraints strict mode refuses and lists them", () => {
  const schema = z.object({
    thought: z.string().min(1).max(500).describe("why"),
    judgement: z.enum(["accepted", "rejected"]),
    email: z.email(),
    code: z.string().regex(/^[A-Z]+$/),
    score: z.number().min(0).max(1),
    count: z.number().int().default(3),
    tags: z.array(z.string()).min(1).max(4),
  });
  const { schema: strict, dropped } = toStrictJsonSchema(jsonSchemaOf(schema));
  assertEquals(strict, {
    type: "object",
    properties: {
      thought: { type: "string", description: "why" },
      judgement: { type: "string", enum: ["accepted", "rejected"] },
      email: { type: "string" },
      code: { type: "string" },
      score: { type: "number" },
      count: { type: "integer" },
      tags: { type: "array", items: { type: "string" } },
    },
    required: ["thought", "judgement", "email", "code", "score", "count", "tags"],
    additionalProperties: false,
  });
  for (
    const path of [
      "/properties/thought/minLength",
      "/properties/thought/maxLength",
      "/properties/email/format",
      "/properties/email/pattern",
      "/properties/code/pattern",
      "/properties/score/minimum",
      "/properties/score/maximum",
      "/properties/count/default",
      "/properties/tags/minItems",
      "/properties/tags/maxItems",
    ]
  ) {
    assertEquals(dropped.includes(path), true, `${path} is listed as dropped`);
  }
});

Deno.test("toStrictJsonSchema closes nested objects and makes optional members nullable", () => {
  const schema = z.object({
    steps: z.array(z.object({ text: z.string(), note: z.string().optional() })),
    mood: z.enum(["a", "b"]).optional(),
    choice: z.union([z.object({ x: z.number() }), z.literal("none")]).optional(),
  });
  const { schema: strict } = toStrictJsonSchema(jsonSchemaOf(schema));
  assertEquals(strict, {
    type: "object",
    properties: {
      steps: {
        type: "array",
        items: {
          type: "object",
          properties: { text: { type: "string" }, note: { type: ["string", "null"] } },
          required: ["text", "note"],
          additionalProperties: false,
        },
      },
      mood: { anyOf: [{ type: "string", enum: ["a", "b"] }, { type: "null" }] },
      choice: {
        anyOf: [
          {
            type: "object",
            properties: { x: { type: "number" } },
            required: ["x"],
            additionalProperties: false,
          },
          { type: "string", const: "none" },
          { type: "null" },
        ],
      },
    },
    required: ["steps", "mood", "choice"],
    additionalProperties: false,
  });
});

Deno.test("toStrictJsonSchema keeps a property named like a keyword and turns oneOf into anyOf", () => {
  const { schema, dropped } = toStrictJsonSchema({
    type: "object",
    properties: {
      pattern: { type: "string" },
      either: { oneOf: [{ type: "string" }, { type: "number", minimum: 2 }] },
    },
    required: ["pattern", "either"],
  });
  assertEquals(schema.properties, {
    pattern: { type: "string" },
    either: { anyOf: [{ type: "string" }, { type: "number" }] },
  });
  assertEquals(dropped, ["/properties/either/oneOf/1/minimum"]);
});

Deno.test("toStrictJsonSchema refuses shapes strict mode cannot express", () => {
  assertThrows(
    () => toStrictJsonSchema(jsonSchemaOf(z.object({ m: z.record(z.string(), z.number()) }))),
    RangeError,
    "additionalProperties at /properties/m/additionalProperties",
  );
  assertThrows(
    () => toStrictJsonSchema(jsonSchemaOf(z.array(z.string()))),
    RangeError,
    'needs an object at the top of the schema, got "array"',
  );
  assertThrows(
    () => toStrictJsonSchema({ type: "object", allOf: [{ type: "object" }] }),
    RangeError,
    `"allOf"`,
  );
  assertThrows(
    () => toStrictJsonSchema(jsonSchemaOf(z.object({ t: z.tuple([z.string(), z.number()]) }))),
    RangeError,
  );
});

Deno.test("toStrictJsonSchema leaves its input unchanged", () => {
  const input = jsonSchemaOf(z.object({ a: z.string().min(2).optional() }));
  const before = structuredClone(input);
  toStrictJsonSchema(input);
  assertEquals(input, before);
});
