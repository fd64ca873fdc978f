/**
 * Structured output against endpoints that check `response_format` the way real ones
 * do: OpenAI's strict mode (refuses unsupported keywords with a 400) and a server without
 * JSON-schema support.
 */
import { z } from "zod";
import { assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { createMemoryLogger } from "../cli/testing/memory_logger.ts";
import { openCompletionCache } from "./completion_cache.ts";
import { createLlmClient, type LlmClient } from "./llm_client.ts";
import type { EndpointConfig, LlmSettings } from "./llm_config.ts";
import { LlmStats } from "./llm_stats.ts";
import { jsonSchemaOf, ResponseFormatRefusedError } from "./structured_completion.ts";
import {
  type FakeOpenAiServer,
  type FakeOpenAiServerOptions,
  startFakeOpenAiServer,
} from "./testing/fake_openai_server.ts";

/** Uses most of what zod emits and OpenAI's strict mode refuses. */
const Constrained = z.object({
  thought: z.string().min(1).max(2000),
  judgement: z.enum(["accepted", "rejected"]),
  confidence: z.number().min(0).max(1),
  ticket: z.string().regex(/^[A-Z]+-\d+$/),
  links: z.array(z.url()).max(3),
  note: z.string().optional(),
});
const ANSWER = {
  thought: "I need it",
  judgement: "accepted",
  confidence: 0.9,
  ticket: "AB-12",
  links: ["https://example.com/a"],
  note: null,
};

async function withEndpoint(
  serverOptions: FakeOpenAiServerOptions,
  test: (server: FakeOpenAiServer, make: (e?: Partial<EndpointConfig>) => LlmClient) => Promise<
    void
  >,
  settings: Partial<LlmSettings> = {},
): Promise<void> {
  await using server = await startFakeOpenAiServer(serverOptions);
  const make = (endpoint: Partial<EndpointConfig> = {}) =>
    createLlmClient({
      endpoint: {
        alias: "gpt",
        baseUrl: server.baseUrl,
        model: "m",
        apiKeys: [],
        params: {},
        concurrency: 4,
        ...endpoint,
      },
      settings: {
        maxRetries: 0,
        timeoutMs: 5_000,
        retryAfterCapMs: 1_000,
        maxRepairs: 0,
        ...settings,
      },
      cache: openCompletionCache({ dir: null }),
      stats: new LlmStats(),
      logger: createMemoryLogger(),
    });
  await test(server, make);
}

const ask = [{ role: "user" as const, content: "Answer in JSON." }];

Deno.test("the fake endpoint refuses a raw zod schema in strict mode with OpenAI's 400", async () => {
  await withEndpoint({ responseFormatCheck: "openai" }, async (server) => {
    const response = await fetch(`${server.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "m",
        messages: ask,
        response_format: {
          type: "json_schema",
          json_schema: {
            name: "answer",
            schema: jsonSchemaOf(Constrained.required()),
            strict: true,
          },
        },
      }),
    });
    assertEquals(response.status, 400);
    assertEquals(await response.json(), {
      error: {
        message: "Invalid schema for response_format 'answer': In context=('properties', " +
          "'thought'), 'minLength' is not permitted.",
        type: "invalid_request_error",
        param: "response_format",
        code: "invalid_json_schema",
      },
    });
  });
});

Deno.test("our strict response_format passes OpenAI's checks; zod still checks the answer", async () => {
  await withEndpoint(
    {
      responseFormatCheck: "openai",
      handler: ({ messages }) => ({
        texts: messages.length === 1
          ? JSON.stringify({ ...ANSWER, confidence: 7 })
          : JSON.stringify(ANSWER),
      }),
    },
    async (server, make) => {
      const client = make();
      const [value] = await client.chatJson(Constrained, ask, {}, { maxRepairs: 1 });
      const { note: _, ...withoutNote } = ANSWER;
      assertEquals(value, withoutNote); // null for an optional member reads as absent
      assertEquals(server.requests.length, 2); // confidence 7 broke the local max(1): re-asked
      const format = server.requests[0].response_format as {
        json_schema: { strict: boolean; schema: { required: string[] } };
      };
      assertEquals(format.json_schema.strict, true);
      assertEquals(format.json_schema.schema.required, Object.keys(ANSWER));
    },
  );
});

Deno.test("an endpoint without JSON-schema support: the error names the switch", async () => {
  await withEndpoint({ responseFormatCheck: "unsupported" }, async (server, make) => {
    const error = await assertRejects(
      () => make().chatJson(Constrained, ask),
      ResponseFormatRefusedError,
    );
    assertStringIncludes(error.message, "400 Invalid parameter: 'response_format'");
    assertStringIncludes(error.message, "pass --response-format json_object (or none)");
    assertStringIncludes(error.message, `"response_format: json_object" under models.gpt`);

    // The model's json_object mode sends {"type": "json_object"} and is accepted.
    server.setHandler(() => ({ texts: JSON.stringify(ANSWER) }));
    const [value] = await make({ responseFormat: "json_object" }).chatJson(Constrained, ask);
    assertEquals(value.ticket, "AB-12");
    assertEquals(server.requests.at(-1)!.response_format, { type: "json_object" });
  });
});

Deno.test("--response-format overrides the model's mode; a json_object refusal advises none", async () => {
  await withEndpoint({
    handler: (body) =>
      body.response_format
        ? { status: 400, errorMessage: "response_format json_object is not supported" }
        : { texts: JSON.stringify(ANSWER) },
  }, async (server, make) => {
    const error = await assertRejects(
      () => make({ responseFormat: "json_object" }).chatJson(Constrained, ask),
      ResponseFormatRefusedError,
    );
    assertStringIncludes(error.message, "pass --response-format none");
    assertStringIncludes(error.message, `"response_format: none" under models.gpt`);
    assertEquals(server.requests.length, 1);
  });
  await withEndpoint(
    { handler: () => ({ texts: JSON.stringify(ANSWER) }) },
    async (server, make) => {
      await make({ responseFormat: "json_object" }).chatJson(Constrained, ask);
      assertEquals("response_format" in server.requests[0], false);
    },
    { responseFormat: "none" },
  );
});

Deno.test("responseFormat is what chatJson sends in the client's mode; none gives none", async () => {
  await withEndpoint(
    { handler: () => ({ texts: JSON.stringify(ANSWER) }) },
    async (server, make) => {
      const client = make();
      const format = client.responseFormat(Constrained, { schemaName: "constrained" });
      await client.chatJson(Constrained, ask, {}, { schemaName: "constrained" });
      assertEquals(server.requests[0].response_format, format);
      assertEquals(client.responseFormat(Constrained, { schemaName: "constrained" }), format);
      assertEquals(
        (format as { json_schema: { strict: boolean } }).json_schema.strict,
        true,
        "strict by default",
      );
      assertEquals(make({ responseFormat: "json_object" }).responseFormat(Constrained), {
        type: "json_object",
      });
      assertEquals(make({ responseFormat: "none" }).responseFormat(Constrained), undefined);
    },
  );
  await withEndpoint({}, (_server, make) => {
    // --response-format wins over the model's own mode.
    assertEquals(make({ responseFormat: "json_object" }).responseFormat(Constrained), undefined);
    return Promise.resolve();
  }, { responseFormat: "none" });
});

Deno.test("chat with a response_format the endpoint refuses names the switch; without one it does not", async () => {
  await withEndpoint({ responseFormatCheck: "unsupported" }, async (server, make) => {
    const client = make();
    const format = client.responseFormat(Constrained);
    const error = await assertRejects(
      () => client.chat(ask, { response_format: format }),
      ResponseFormatRefusedError,
    );
    assertStringIncludes(error.message, "pass --response-format json_object (or none)");
    server.setHandler(() => ({ status: 400, errorMessage: "response_format is not allowed" }));
    const plain = await assertRejects(() => client.chat(ask), ProactiveError, "failed: 400");
    assertEquals(plain instanceof ResponseFormatRefusedError, false);
  });
});
