/**
 * The JSON schema we send as a strict `response_format`: OpenAI's strict mode takes only
 * a subset of JSON Schema and refuses the whole request (HTTP 400, `invalid_json_schema`)
 * when the schema uses anything else. `toStrictJsonSchema` turns the schema zod generates
 * into one strict mode accepts:
 *
 * - keywords strict mode allows are kept: `type`, `properties`, `required`,
 *   `additionalProperties`, `items`, `enum`, `const`, `anyOf`, `$ref`, `$defs`,
 *   `description`;
 * - value constraints (`minLength`, `maxLength`, `pattern`, `format`, `minimum`,
 *   `maximum`, `multipleOf`, `minItems`, `maxItems`, `uniqueItems`, `default`, `title`, …)
 *   are dropped and listed in `dropped`: they stay local zod checks on the answer, and a
 *   violation is re-asked like any invalid answer;
 * - `oneOf` becomes `anyOf` (looser; zod checks the rest);
 * - every object gets `additionalProperties: false` and lists all its properties in
 *   `required`; a property that was optional becomes nullable (the model answers `null`
 *   for "absent", which `parseStructured` reads back as absent);
 * - shapes strict mode cannot express at all (a top level that is not an object, `allOf`, `prefixItems`, `patternProperties`,
 *   an object whose extra members follow a schema, e.g. `z.record`) throw a
 *   `RangeError` naming the keyword and where it is: such a schema needs
 *   `response_format: json_object` or `none`.
 */

/** Keywords strict mode accepts; everything else is dropped or refused. */
const ALLOWED = new Set([
  "type",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "enum",
  "const",
  "anyOf",
  "$ref",
  "$defs",
  "definitions",
  "description",
]);

/** Keywords whose loss would change the shape of the answer, not only loosen it. */
const REFUSED = new Set(["allOf", "prefixItems", "patternProperties", "dependentSchemas"]);

export interface StrictSchema {
  schema: Record<string, unknown>;
  /** JSON-pointer-like paths of the keywords removed, e.g. `/properties/thought/minLength`. */
  dropped: string[];
}

/** A strict-mode version of `schema` (a JSON schema object; not modified). */
export function toStrictJsonSchema(schema: Record<string, unknown>): StrictSchema {
  if (schema.type !== "object") {
    throw new RangeError(
      `Strict structured output needs an object at the top of the schema, got ${
        JSON.stringify(schema.type ?? Object.keys(schema))
      }`,
    );
  }
  const dropped: string[] = [];
  const result = walk(schema, "", dropped);
  return { schema: result, dropped };
}

function walk(
  node: Record<string, unknown>,
  at: string,
  dropped: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    const here = `${at}/${key}`;
    if (REFUSED.has(key)) {
      throw new RangeError(
        `Strict structured output cannot express "${key}" (at ${here || "/"}); ` +
          `use response_format json_object or none for this schema`,
      );
    }
    if (key === "oneOf") {
      out.anyOf = list(value, here).map((item, i) => walk(item, `${here}/${i}`, dropped));
      continue;
    }
    if (!ALLOWED.has(key)) {
      dropped.push(here);
      continue;
    }
    switch (key) {
      case "properties":
      case "$defs":
      case "definitions":
        out[key] = Object.fromEntries(
          Object.entries(record(value, here)).map(([name, item]) => {
            const path = `${here}/${name}`;
            return [name, walk(record(item, path), path, dropped)];
          }),
        );
        break;
      case "items":
        if (Array.isArray(value)) {
          throw new RangeError(
            `Strict structured output cannot express a tuple "items" (at ${here})`,
          );
        }
        out.items = walk(record(value, here), here, dropped);
        break;
      case "anyOf":
        out.anyOf = list(value, here).map((item, i) => walk(item, `${here}/${i}`, dropped));
        break;
      case "additionalProperties":
        if (value !== false && !(isRecord(value) && Object.keys(value).length === 0)) {
          throw new RangeError(
            `Strict structured output cannot express members beyond the named properties ` +
              `(additionalProperties at ${here})`,
          );
        }
        break; // set below for every object
      default:
        out[key] = value;
    }
  }
  if (isObjectNode(node)) closeObject(out, node);
  return out;
}

/** Strict mode: no extra members, every property required (optional ones nullable). */
function closeObject(out: Record<string, unknown>, original: Record<string, unknown>): void {
  const properties = (out.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set(Array.isArray(original.required) ? original.required as string[] : []);
  for (const [name, property] of Object.entries(properties)) {
    if (!required.has(name)) properties[name] = nullable(property);
  }
  out.properties = properties;
  out.required = Object.keys(properties);
  out.additionalProperties = false;
}

function nullable(schema: Record<string, unknown>): Record<string, unknown> {
  const type = schema.type;
  if (typeof type === "string" && schema.enum === undefined && schema.const === undefined) {
    return type === "null" ? schema : { ...schema, type: [type, "null"] };
  }
  if (Array.isArray(type) && schema.enum === undefined && schema.const === undefined) {
    return type.includes("null") ? schema : { ...schema, type: [...type, "null"] };
  }
  if (Array.isArray(schema.anyOf) && schema.type === undefined) {
    const hasNull = schema.anyOf.some((s) => isRecord(s) && s.type === "null");
    return hasNull ? schema : { ...schema, anyOf: [...schema.anyOf, { type: "null" }] };
  }
  const { description, ...rest } = schema;
  return {
    ...(description !== undefined ? { description } : {}),
    anyOf: [rest, { type: "null" }],
  };
}

function isObjectNode(node: Record<string, unknown>): boolean {
  const type = node.type;
  return type === "object" || (Array.isArray(type) && type.includes("object")) ||
    (type === undefined && isRecord(node.properties));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function record(value: unknown, at: string): Record<string, unknown> {
  if (!isRecord(value)) throw new RangeError(`Expected a schema object at ${at}`);
  return value;
}

function list(value: unknown, at: string): Record<string, unknown>[] {
  if (!Array.isArray(value)) throw new RangeError(`Expected a list of schemas at ${at}`);
  return value.map((item, i) => record(item, `${at}/${i}`));
}
