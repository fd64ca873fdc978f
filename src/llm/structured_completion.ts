/**
 * Structured answers: a zod schema in, validated values out. The request carries a
 * JSON-schema `response_format` (unless turned off); each reply is parsed leniently,
 * `"null"` strings become null where the schema allows it, and the value is validated.
 * An invalid reply is re-asked — the model sees its answer and the validation error — at
 * most `maxRepairs` times. With `n > 1` every choice is validated (and repaired) alone.
 */
import { z } from "zod";
import { ProactiveError } from "../cli/errors.ts";
import { nullStringsToNull, parseLenientJson } from "./lenient_json.ts";
import type { ResponseFormatMode } from "./llm_config.ts";
import { toStrictJsonSchema } from "./strict_json_schema.ts";
import type {
  CallOptions,
  ChatMessage,
  ChatParams,
  ChatReply,
  JsonSchemaResponseFormat,
} from "./llm_types.ts";

/** A structured answer that stayed invalid after every re-ask. */
export class LlmOutputError extends ProactiveError {
  /** The last reply of the failing choice. */
  readonly reply: string;
  /** The validation error the model was last shown. */
  readonly reason: string;

  constructor(message: string, reply: string, reason: string) {
    super("runtime", message);
    this.name = "LlmOutputError";
    this.reply = reply;
    this.reason = reason;
  }
}

/** The endpoint refused the request's `response_format`; the message says what to switch. */
export class ResponseFormatRefusedError extends ProactiveError {
  constructor(message: string, options?: ErrorOptions) {
    super("runtime", message, options);
    this.name = "ResponseFormatRefusedError";
  }
}

export type StructuredResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Parses and validates one reply; the error is written for the model to read. */
export function parseStructured<T>(
  schema: z.ZodType<T>,
  text: string,
  finishReason: string | null = "stop",
): StructuredResult<T> {
  const cut = finishReason === "length" ? " (the answer was cut off at the token limit)" : "";
  const parsed = parseLenientJson(text);
  if (!parsed.ok) return { ok: false, error: parsed.error + cut };
  const value = nullStringsToNull(parsed.value, schema);
  let result = schema.safeParse(value);
  if (!result.success) {
    // Strict schemas make optional members nullable: a null there means "absent".
    const withoutNulls = dropRefusedNulls(value, result.error);
    if (withoutNulls !== value) {
      const again = schema.safeParse(withoutNulls);
      if (again.success) result = again;
    }
  }
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, error: formatIssues(result.error) + cut };
}

/** `value` without the object members that are null where validation refused a null. */
function dropRefusedNulls(value: unknown, error: z.ZodError): unknown {
  let changed = false;
  const copy = structuredClone(value);
  for (const issue of error.issues) {
    if (issue.path.length === 0) continue;
    let parent: unknown = copy;
    for (const key of issue.path.slice(0, -1)) {
      parent = (parent as Record<PropertyKey, unknown> | null)?.[key as string];
    }
    const last = issue.path.at(-1) as string;
    if (
      parent !== null && typeof parent === "object" && !Array.isArray(parent) &&
      (parent as Record<string, unknown>)[last] === null
    ) {
      delete (parent as Record<string, unknown>)[last];
      changed = true;
    }
  }
  return changed ? copy : value;
}

/** Zod issues as `$.field: message` lines. */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => {
    const path = issue.path.map((key) =>
      typeof key === "number"
        ? `[${key}]`
        : /^[A-Za-z_]\w*$/.test(String(key))
        ? `.${String(key)}`
        : `[${JSON.stringify(String(key))}]`
    ).join("");
    return `$${path}: ${issue.message}`;
  }).join("\n");
}

/** The JSON schema of `schema` for a request (no `$schema` member). */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return rest;
}

/**
 * `response_format` for `schema`. Strict (the default) sends the schema cut down to what
 * OpenAI's strict mode accepts (`toStrictJsonSchema`); the full constraints stay local
 * checks. Non-strict sends the zod schema as it is.
 */
export function responseFormatFor(
  schema: z.ZodType,
  name = "answer",
  strict = true,
): JsonSchemaResponseFormat {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    throw new RangeError(`A schema name must be 1–64 letters, digits, "_" or "-", got "${name}"`);
  }
  const json = jsonSchemaOf(schema);
  return {
    type: "json_schema",
    json_schema: { name, schema: strict ? toStrictJsonSchema(json).schema : json, strict },
  };
}

/** The `response_format` of a structured request in `mode`, or none. */
export function responseFormatIn(
  mode: ResponseFormatMode,
  schema: z.ZodType,
  name?: string,
  strict?: boolean,
): ChatParams["response_format"] | undefined {
  if (mode === "json_schema") return responseFormatFor(schema, name, strict);
  if (mode === "json_object") return { type: "json_object" };
  return undefined;
}

/** The user message of a re-ask. */
export function repairMessage(error: string, schema: z.ZodType): string {
  return `Your previous answer could not be used:\n${error}\n\n` +
    `Answer again with one JSON value only, matching this JSON schema:\n` +
    JSON.stringify(jsonSchemaOf(schema));
}

export type SendChat = (
  messages: ChatMessage[],
  params: ChatParams,
  options: CallOptions,
) => Promise<ChatReply>;

export interface StructuredOptions {
  /** What the request carries: a JSON schema, `{"type": "json_object"}`, or nothing. */
  responseFormat: ResponseFormatMode;
  maxRepairs: number;
  schemaName?: string;
  strict?: boolean;
  /** Named in errors, e.g. `endpoint "gpt" (model …)`. */
  target: string;
  /** Called once per re-ask (for stats). */
  onRepair?: () => void;
  /**
   * The `response_format` already built for `schema` in this mode (a client builds it once
   * per schema: converting a zod schema to JSON schema costs up to a millisecond).
   */
  format?: ChatParams["response_format"] | null;
}

/** Asks `send` for a structured answer; resolves to one validated value per choice. */
export async function completeStructured<T>(
  schema: z.ZodType<T>,
  messages: ChatMessage[],
  params: ChatParams,
  send: SendChat,
  callOptions: CallOptions,
  options: StructuredOptions,
): Promise<T[]> {
  const format = options.format !== undefined
    ? options.format ?? undefined
    : responseFormatIn(options.responseFormat, schema, options.schemaName, options.strict);
  const requestParams: ChatParams = format ? { ...params, response_format: format } : params;
  const first = await send(messages, requestParams, callOptions);
  return await Promise.all(first.choices.map(async (text, index) => {
    let reply = text;
    let result = parseStructured(schema, reply, first.finishReasons[index]);
    for (let repair = 1; !result.ok && repair <= options.maxRepairs; repair++) {
      options.onRepair?.();
      const conversation: ChatMessage[] = [
        ...messages,
        { role: "assistant", content: reply },
        { role: "user", content: repairMessage(result.error, schema) },
      ];
      const again = await send(conversation, { ...requestParams, n: 1 }, callOptions);
      reply = again.choices[0] ?? "";
      result = parseStructured(schema, reply, again.finishReasons[0]);
    }
    if (result.ok) return result.value;
    const which = first.choices.length > 1
      ? ` (choice ${index + 1} of ${first.choices.length})`
      : "";
    const asks = options.maxRepairs === 0 ? "" : ` after ${options.maxRepairs} re-asks`;
    throw new LlmOutputError(
      `Invalid answer from ${options.target}${which}${asks}: ${result.error.split("\n")[0]}`,
      reply,
      result.error,
    );
  }));
}
