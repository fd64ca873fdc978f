/**
 * A value made from a JSON schema alone, for fake endpoints that answer structured requests
 * the way a constrained decoder would: whatever the messages say, the answer has the
 * shape of the request's `response_format.json_schema.schema`.
 *
 * ```ts
 * const handler = (body: FakeRequestBody): FakeReply => {
 *   const schema = requestSchema(body);
 *   return { texts: schema ? JSON.stringify(answerFromSchema(schema)) : "Prose only." };
 * };
 * ```
 *
 * Every property is filled (required or not), every list gets `listLength` items, every
 * string is its description (or its property name) with a running number, so no two
 * strings are equal; enums and consts give their first value, `anyOf` and type lists their
 * first branch that is not null, `$ref` follows `#/$defs/…` and `#/definitions/…`.
 * Keywords it does not know of are ignored; a schema it cannot make a value of at all (a
 * `$ref` elsewhere, a `not`) throws.
 */

export interface SchemaAnswerOptions {
  /** Items of every list (default 2). */
  listLength?: number;
  /** Makes the strings (default: description or name, then ` #<n>`). */
  text?: (where: { path: string; name: string; description?: string; n: number }) => string;
}

type Schema = Record<string, unknown>;

/** A value conforming to `schema` (see the module doc). */
export function answerFromSchema(schema: Schema, options: SchemaAnswerOptions = {}): unknown {
  const listLength = options.listLength ?? 2;
  const text = options.text ??
    (({ name, description, n }) => `${description ?? name} #${n}`);
  let n = 0;

  const resolve = (node: Schema, path: string): Schema => {
    const ref = node.$ref;
    if (typeof ref !== "string") return node;
    const match = ref.match(/^#\/(\$defs|definitions)\/(.+)$/);
    const target = match
      ? (schema[match[1]] as Record<string, Schema> | undefined)?.[match[2]]
      : undefined;
    if (!target) {
      throw new RangeError(`Cannot follow $ref ${JSON.stringify(ref)} at ${path || "/"}`);
    }
    return resolve(target, path);
  };

  const make = (raw: Schema, path: string, name: string): unknown => {
    const node = resolve(raw, path);
    if ("const" in node) return structuredClone(node.const);
    if (Array.isArray(node.enum)) {
      if (node.enum.length === 0) throw new RangeError(`An empty enum at ${path || "/"}`);
      return structuredClone(node.enum[0]);
    }
    const branches = (node.anyOf ?? node.oneOf) as Schema[] | undefined;
    if (Array.isArray(branches)) {
      const branch = branches.find((b) => b.type !== "null") ?? branches[0];
      if (!branch) throw new RangeError(`No branch to take at ${path || "/"}`);
      return make(branch, path, name);
    }
    if ("not" in node) throw new RangeError(`Cannot make a value for "not" at ${path || "/"}`);
    const types = Array.isArray(node.type) ? node.type : [node.type];
    const type = types.find((t) => t !== "null") ?? types[0] ??
      (node.properties ? "object" : node.items ? "array" : "string");
    switch (type) {
      case "object": {
        const properties = (node.properties ?? {}) as Record<string, Schema>;
        return Object.fromEntries(
          Object.entries(properties).map((
            [key, property],
          ) => [key, make(property, `${path}/${key}`, key)]),
        );
      }
      case "array": {
        const items = (node.items ?? {}) as Schema;
        return Array.from({ length: listLength }, (_, i) => make(items, `${path}/${i}`, name));
      }
      case "string": {
        n++;
        const description = typeof node.description === "string" ? node.description : undefined;
        return text({ path, name, description, n });
      }
      case "integer":
      case "number":
        return 1;
      case "boolean":
        return true;
      case "null":
        return null;
      default:
        throw new RangeError(`Unknown type ${JSON.stringify(type)} at ${path || "/"}`);
    }
  };

  return make(schema, "", "answer");
}

/** The schema of a request body's `response_format`, if it carries a JSON schema. */
export function requestSchema(body: Record<string, unknown>): Schema | undefined {
  const format = body.response_format as
    | { type?: string; json_schema?: { schema?: Schema } }
    | undefined;
  return format?.type === "json_schema" ? format.json_schema?.schema : undefined;
}
