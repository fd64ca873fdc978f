/**
 * A fake OpenAI-compatible server for tests and benchmarks: `POST /v1/chat/completions` on
 * 127.0.0.1 (a free port), answered by a script the test gives. It records every request
 * body and the largest number of requests it was serving at once, so tests can check
 * what the client sent and that its concurrency limit held.
 *
 * With `responseFormatCheck: "openai"` it refuses a strict JSON schema that OpenAI would
 * refuse (same 400 body), with `"unsupported"` any JSON-schema `response_format`.
 *
 * ```ts
 * await using server = await startFakeOpenAiServer({
 *   handler: (body) => ({ texts: ['{"ok": true}'] }),
 * });
 * // server.baseUrl is "http://127.0.0.1:<port>/v1"
 * ```
 */

/** The JSON body the client posted (the chat completions request). */
export interface FakeRequestBody {
  model: string;
  messages: { role: string; content: unknown }[];
  n?: number;
  [key: string]: unknown;
}

/** How the server answers one request. Every field is optional. */
export interface FakeReply {
  /** HTTP status (default 200). A non-2xx status answers with an OpenAI-style error body. */
  status?: number;
  /** Extra response headers, e.g. `{"retry-after": "1"}`. */
  headers?: Record<string, string>;
  /** Choice contents. One string is repeated for every one of the `n` choices asked for. */
  texts?: string | string[];
  /** `finish_reason` of every choice (default "stop"). */
  finishReason?: string;
  /** The error message of a non-2xx reply. */
  errorMessage?: string;
  /** The other members of the error object (`type`, `param`, `code`) of a non-2xx reply. */
  errorFields?: Record<string, unknown>;
  /** Waits this long before sending the headers (simulates latency). */
  delayMs?: number;
  /**
   * Sends the headers and the first bytes of the body, then stalls: for this many
   * milliseconds, or (`Infinity`) until the client goes away or the server closes, which
   * ends the body truncated.
   */
  stallAfterHeadersMs?: number;
  /** Usage numbers (default: derived from the text lengths). */
  usage?: { prompt_tokens: number; completion_tokens: number };
}

/** What a handler learns besides the body: the request number (0-based) and headers. */
export interface FakeRequestInfo {
  index: number;
  headers: Headers;
}

export type FakeHandler = (
  body: FakeRequestBody,
  info: FakeRequestInfo,
) => FakeReply | Promise<FakeReply>;

export interface FakeOpenAiServerOptions {
  /** Default: every choice answers `{"echo": <last message content>}`. */
  handler?: FakeHandler;
  /**
   * How a `response_format` is checked before the handler runs:
   * - `"openai"`: like OpenAI, a strict JSON schema with a keyword strict mode refuses,
   *   an object without `additionalProperties: false` or with a property missing from
   *   `required` is answered with OpenAI's 400 `invalid_json_schema` error;
   * - `"unsupported"`: any `json_schema` response_format is refused with a 400, as by
   *   a model or server without structured outputs;
   * - `"none"` (default): not checked.
   */
  responseFormatCheck?: "openai" | "unsupported" | "none";
  /** The port to listen on (default: a free one), e.g. to start a stopped server again. */
  port?: number;
}

export interface FakeOpenAiServer extends AsyncDisposable {
  /** Base URL for an OpenAI client, ending in `/v1`. */
  readonly baseUrl: string;
  readonly port: number;
  /** Every request body received, in arrival order. */
  readonly requests: FakeRequestBody[];
  /** The `Authorization` header of every request, in arrival order. */
  readonly authorizations: (string | null)[];
  /** Requests being served right now. */
  readonly inFlight: number;
  /** The largest `inFlight` seen so far. */
  readonly maxInFlight: number;
  /** Replaces the handler (e.g. between two phases of a test). */
  setHandler(handler: FakeHandler): void;
  /** Ends stalled bodies and stops the server. Safe to call twice. */
  close(): Promise<void>;
}

const defaultHandler: FakeHandler = (body) => {
  const last = body.messages.at(-1)?.content;
  return { texts: JSON.stringify({ echo: last ?? null }) };
};

/** Starts the server; call `close()` (or `await using`) when done. */
export function startFakeOpenAiServer(
  options: FakeOpenAiServerOptions = {},
): Promise<FakeOpenAiServer> {
  let handler = options.handler ?? defaultHandler;
  const check = options.responseFormatCheck ?? "none";
  const requests: FakeRequestBody[] = [];
  const authorizations: (string | null)[] = [];
  const stallEnders = new Set<() => void>();
  const pauses = new Set<() => void>();
  let inFlight = 0;
  let maxInFlight = 0;
  let closed = false;

  const serve = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (request.method !== "POST" || url.pathname !== "/v1/chat/completions") {
      await request.body?.cancel();
      return errorResponse(404, `No route ${request.method} ${url.pathname}`);
    }
    let body: FakeRequestBody;
    try {
      body = await request.json() as FakeRequestBody;
    } catch {
      return errorResponse(400, "Body is not JSON");
    }
    const index = requests.length;
    requests.push(body);
    authorizations.push(request.headers.get("authorization"));
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let release: (() => void) | undefined = () => {
      inFlight--;
      release = undefined;
    };
    try {
      const refusal = check === "none" ? undefined : responseFormatRefusal(body, check);
      const reply = refusal ?? await handler(body, { index, headers: request.headers });
      if (reply.delayMs) await pause(reply.delayMs, pauses);
      const status = reply.status ?? 200;
      const headers = { "content-type": "application/json", ...reply.headers };
      const text = status >= 200 && status < 300
        ? JSON.stringify(completionBody(body, reply, index))
        : JSON.stringify({
          error: { message: reply.errorMessage ?? `status ${status}`, ...reply.errorFields },
        });
      if (reply.stallAfterHeadersMs === undefined) {
        release();
        return new Response(text, { status, headers });
      }
      const stream = stalledBody(text, reply.stallAfterHeadersMs, stallEnders, () => release?.());
      return new Response(stream, { status, headers });
    } catch (error) {
      release?.();
      return errorResponse(500, `fake handler failed: ${String(error)}`);
    }
  };

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: options.port ?? 0, onListen: () => {} },
    serve,
  );
  const port = server.addr.port;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const end of [...pauses, ...stallEnders]) end();
    await server.shutdown();
  };
  return Promise.resolve({
    baseUrl: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    authorizations,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    setHandler(next) {
      handler = next;
    },
    close,
    [Symbol.asyncDispose]: close,
  });
}

function completionBody(body: FakeRequestBody, reply: FakeReply, index: number) {
  const n = body.n ?? 1;
  const texts = reply.texts === undefined
    ? Array.from({ length: n }, () => "")
    : typeof reply.texts === "string"
    ? Array.from({ length: n }, () => reply.texts as string)
    : reply.texts;
  const promptChars = JSON.stringify(body.messages).length;
  const usage = reply.usage ?? {
    prompt_tokens: Math.ceil(promptChars / 4),
    completion_tokens: texts.reduce((sum, t) => sum + Math.ceil(t.length / 4), 0),
  };
  return {
    id: `chatcmpl-fake-${index}`,
    object: "chat.completion",
    created: 0,
    model: body.model,
    choices: texts.map((content, i) => ({
      index: i,
      message: { role: "assistant", content, refusal: null },
      finish_reason: reply.finishReason ?? "stop",
      logprobs: null,
    })),
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
}

/** A body that sends its first half, then waits `stallMs` (or until ended) before the rest. */
function stalledBody(
  text: string,
  stallMs: number,
  enders: Set<() => void>,
  onEnd: () => void,
): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  const half = Math.max(1, Math.floor(bytes.length / 2));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let end: (() => void) | undefined;
  const finish = () => {
    if (timer !== undefined) clearTimeout(timer);
    if (end) enders.delete(end);
    onEnd();
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes.subarray(0, half));
      end = () => {
        finish();
        try {
          controller.close(); // the client sees a truncated body
        } catch { /* already closed */ }
      };
      enders.add(end);
      if (Number.isFinite(stallMs)) {
        timer = setTimeout(() => {
          finish();
          controller.enqueue(bytes.subarray(half));
          controller.close();
        }, stallMs);
      }
    },
    cancel() {
      finish();
    },
  });
}

function errorResponse(status: number, message: string): Response {
  return new Response(JSON.stringify({ error: { message } }), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** Waits `ms`, or less when the server closes (`close()` ends every pause). */
function pause(ms: number, pauses: Set<() => void>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pauses.delete(done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    pauses.add(done);
  });
}

/** Keywords OpenAI's strict mode refuses (the ones a zod schema commonly produces). */
export const STRICT_MODE_FORBIDDEN = [
  "minLength",
  "maxLength",
  "pattern",
  "format",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minItems",
  "maxItems",
  "uniqueItems",
  "minProperties",
  "maxProperties",
  "patternProperties",
  "propertyNames",
  "default",
  "allOf",
  "oneOf",
  "not",
] as const;

/** The 400 an OpenAI-like endpoint gives for this body's response_format, if any. */
function responseFormatRefusal(
  body: FakeRequestBody,
  check: "openai" | "unsupported",
): FakeReply | undefined {
  const format = body.response_format as
    | { type?: string; json_schema?: { name?: string; schema?: unknown; strict?: boolean } }
    | undefined;
  if (format?.type !== "json_schema") return undefined;
  if (check === "unsupported") {
    return {
      status: 400,
      errorMessage:
        "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
      errorFields: { type: "invalid_request_error", param: "response_format", code: null },
    };
  }
  if (format.json_schema?.strict !== true) return undefined;
  const problem = strictSchemaProblem(format.json_schema.schema, []);
  if (problem === undefined) return undefined;
  return {
    status: 400,
    errorMessage: `Invalid schema for response_format '${format.json_schema.name}': ${problem}`,
    errorFields: {
      type: "invalid_request_error",
      param: "response_format",
      code: "invalid_json_schema",
    },
  };
}

/** The first thing OpenAI's strict mode would refuse in `schema`, worded as OpenAI does. */
function strictSchemaProblem(schema: unknown, context: string[]): string | undefined {
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) return undefined;
  const node = schema as Record<string, unknown>;
  const where = `In context=(${context.map((c) => `'${c}'`).join(", ")})`;
  for (const keyword of STRICT_MODE_FORBIDDEN) {
    if (keyword in node) return `${where}, '${keyword}' is not permitted.`;
  }
  const isObject = node.type === "object" ||
    (Array.isArray(node.type) && node.type.includes("object"));
  if (isObject) {
    if (node.additionalProperties !== false) {
      return `${where}, 'additionalProperties' is required to be supplied and to be false.`;
    }
    const properties = Object.keys((node.properties ?? {}) as object);
    const required = Array.isArray(node.required) ? node.required : [];
    const missing = properties.find((p) => !required.includes(p));
    if (missing !== undefined) {
      return `${where}, 'required' is required to be supplied and to be an array including ` +
        `every key in properties. Missing '${missing}'.`;
    }
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === "properties" || key === "$defs" || key === "definitions") {
      for (const [name, child] of Object.entries((value ?? {}) as Record<string, unknown>)) {
        const problem = strictSchemaProblem(child, [...context, key, name]);
        if (problem) return problem;
      }
    } else if (key === "items") {
      const problem = strictSchemaProblem(value, [...context, "items"]);
      if (problem) return problem;
    } else if (key === "anyOf" && Array.isArray(value)) {
      for (const [i, child] of value.entries()) {
        const problem = strictSchemaProblem(child, [...context, "anyOf", String(i)]);
        if (problem) return problem;
      }
    }
  }
  return undefined;
}
