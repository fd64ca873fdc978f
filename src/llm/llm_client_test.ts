/**
 * The LLM layer end to end: the real `openai` client against the fake server on
 * 127.0.0.1, with an injected sleep (so backoff and Retry-After cost no time).
 */
import type { CallUsage } from "./llm_types.ts";
import { z } from "zod";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { createMemoryLogger } from "../cli/testing/memory_logger.ts";
import { writeJsonAtomic } from "../store/atomic_write.ts";
import { openCompletionCache } from "./completion_cache.ts";
import { createLlmClient, type LlmClient, plainHeadersFetch } from "./llm_client.ts";
import type { EndpointConfig, LlmSettings } from "./llm_config.ts";
import { LlmStats } from "./llm_stats.ts";
import type { ChatMessage } from "./llm_types.ts";
import {
  type FakeHandler,
  type FakeOpenAiServer,
  startFakeOpenAiServer,
} from "./testing/fake_openai_server.ts";

const KEY_A = "sk-test-KEYAAAA-0123456789";
const KEY_B = "sk-test-KEYBBBB-9876543210";

const SETTINGS: LlmSettings = {
  maxRetries: 3,
  timeoutMs: 5_000,
  retryAfterCapMs: 600_000,
  maxRepairs: 2,
};

interface Harness {
  server: FakeOpenAiServer;
  dir: string;
  stats: LlmStats;
  logger: ReturnType<typeof createMemoryLogger>;
  sleeps: number[];
  client: LlmClient;
  /** A new client (a new run) on the same server and cache folder. */
  fresh(overrides?: Partial<EndpointConfig>): LlmClient;
}

async function withHarness(
  handler: FakeHandler,
  test: (h: Harness) => Promise<void>,
  { settings = {}, endpoint = {}, cache = true }: {
    settings?: Partial<LlmSettings>;
    endpoint?: Partial<EndpointConfig>;
    cache?: boolean;
  } = {},
): Promise<void> {
  const server = await startFakeOpenAiServer({ handler });
  const dir = await Deno.makeTempDir({ prefix: "llm_client_test_" });
  try {
    const stats = new LlmStats();
    const logger = createMemoryLogger();
    const sleeps: number[] = [];
    const make = (overrides: Partial<EndpointConfig> = {}) =>
      createLlmClient({
        endpoint: {
          alias: "fake",
          baseUrl: server.baseUrl,
          model: "fake-model",
          apiKeys: [KEY_A],
          params: {},
          concurrency: 16,
          ...endpoint,
          ...overrides,
        },
        settings: { ...SETTINGS, ...settings },
        cache: openCompletionCache({ dir: cache ? dir : null, logger }),
        stats,
        logger,
        sleep: (ms) => {
          sleeps.push(ms);
          return Promise.resolve();
        },
        random: () => 0.5,
        backoff: { baseDelayMs: 100, maxDelayMs: 1_000 },
      });
    await test({ server, dir, stats, logger, sleeps, client: make(), fresh: make });
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const ask = (content: string): ChatMessage[] => [
  { role: "system", content: "You judge." },
  { role: "user", content },
];
const Judgement = z.object({ thought: z.string(), judgement: z.enum(["accepted", "rejected"]) });
const answer = (judgement: string) => JSON.stringify({ thought: "because", judgement });

/** Every file under `dir`, recursively, as text. */
async function readAll(dir: string): Promise<string[]> {
  const texts: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) texts.push(...await readAll(path));
    else texts.push(await Deno.readTextFile(path));
  }
  return texts;
}

Deno.test("chatJson reads a fenced answer and sends the JSON schema", async () => {
  await withHarness(() => ({ texts: "```json\n" + answer("accepted") + "\n```" }), async (h) => {
    const values = await h.client.chatJson(Judgement, ask("a"), { temperature: 0 }, {
      schemaName: "judgement",
    });
    assertEquals(values, [{ thought: "because", judgement: "accepted" }]);
    const body = h.server.requests[0];
    assertEquals(body.model, "fake-model");
    assertEquals(body.temperature, 0);
    const format = body.response_format as { type: string; json_schema: { name: string } };
    assertEquals(format.type, "json_schema");
    assertEquals(format.json_schema.name, "judgement");
    assertEquals(h.stats.totals.requests, 1);
    assert(h.stats.totals.promptTokens > 0);
  });
});

Deno.test("a broken answer is re-asked with the validation error shown to the model", async () => {
  await withHarness(({ messages }) => ({
    texts: messages.length === 2
      ? '{"thought": "hmm", "judgement": "perhaps",}'
      : answer("rejected"),
  }), async (h) => {
    const [value] = await h.client.chatJson(Judgement, ask("b"));
    assertEquals(value.judgement, "rejected");
    assertEquals(h.server.requests.length, 2);
    const reask = h.server.requests[1].messages;
    assertEquals(reask[2].role, "assistant");
    assertEquals(reask[3].role, "user");
    assertStringIncludes(String(reask[3].content), "$.judgement: Invalid option");
    assertEquals(h.stats.totals.repairs, 1);
  });
});

Deno.test("--no-response-format sends no response_format", async () => {
  await withHarness(() => ({ texts: answer("accepted") }), async (h) => {
    await h.client.chatJson(Judgement, ask("c"));
    assertEquals("response_format" in h.server.requests[0], false);
  }, { settings: { responseFormat: "none" } });
});

Deno.test("429 with Retry-After is honoured, above 60 s too, and capped", async () => {
  const retryAfter = ["2", "120", "3600"];
  await withHarness(({ messages }, { index }) => {
    const which = Number(messages[1].content);
    return index % 2 === 0
      ? { status: 429, headers: { "retry-after": retryAfter[which] }, errorMessage: "slow down" }
      : { texts: "ok" };
  }, async (h) => {
    for (const which of [0, 1, 2]) {
      const reply = await h.client.chat(ask(String(which)));
      assertEquals(reply.choices, ["ok"]);
    }
    assertEquals(h.sleeps, [2_000, 120_000, 300_000]);
    assertEquals(h.server.requests.length, 6);
    assertEquals(h.stats.totals.retries, 3);
    assert(h.logger.lines.some((line) => line.includes("capped by --retry-after-cap")));
  }, { settings: { retryAfterCapMs: 300_000 } });
});

Deno.test("500 is retried with jittered exponential backoff", async () => {
  await withHarness(
    (_, { index }) => index < 2 ? { status: 500 } : { texts: "fine" },
    async (h) => {
      assertEquals((await h.client.chat(ask("x"))).choices, ["fine"]);
      assertEquals(h.sleeps, [50, 100]); // random 0.5 × 100 ms × 2^k
      assertEquals(h.stats.totals.requests, 3);
    },
  );
});

Deno.test("a body that stalls after the headers hits the deadline and is retried", async () => {
  await withHarness(
    (_, { index }) =>
      index === 0 ? { texts: "never complete", stallAfterHeadersMs: Infinity } : { texts: "done" },
    async (h) => {
      assertEquals((await h.client.chat(ask("stall"))).choices, ["done"]);
      assertEquals(h.server.requests.length, 2);
      assertEquals(h.stats.totals.retries, 1);
      assert(h.logger.lines.some((line) => line.includes("timed out: no complete answer")));
    },
    { settings: { timeoutMs: 200 } },
  );
});

Deno.test("retries are bounded; the error names the endpoint and never the key", async () => {
  await withHarness(
    () => ({ status: 503, errorMessage: `overloaded (got ${KEY_A})` }),
    async (h) => {
      const error = await assertRejects(() => h.client.chat(ask("x")), ProactiveError);
      assertEquals(h.server.requests.length, 4); // 1 + maxRetries
      assertStringIncludes(
        error.message,
        `endpoint "fake" (${h.server.baseUrl}, model fake-model)`,
      );
      assertStringIncludes(error.message, "failed after 4 attempts: 503");
      assert(!error.message.includes(KEY_A));
      assertEquals(h.stats.totals.failures, 1);
    },
  );
});

Deno.test("a client error (400) is not retried", async () => {
  await withHarness(
    () => ({ status: 400, errorMessage: "response_format unsupported" }),
    async (h) => {
      await assertRejects(() => h.client.chat(ask("x")), ProactiveError, "failed: 400");
      assertEquals(h.server.requests.length, 1);
      // A structured call adds a hint when the endpoint rejects response_format.
      await assertRejects(
        () => h.client.chatJson(Judgement, ask("y")),
        ProactiveError,
        "--response-format json_object",
      );
    },
  );
});

Deno.test("connection errors are retried, then reported", async () => {
  const closed = await startFakeOpenAiServer();
  await closed.close();
  await withHarness(() => ({ texts: "unused" }), async (h) => {
    const client = h.fresh({ baseUrl: closed.baseUrl });
    await assertRejects(() => client.chat(ask("x")), ProactiveError, "connection failed");
    assertEquals(h.sleeps.length, 3);
  });
});

Deno.test("the concurrency limit holds at the server under 50 parallel calls", async () => {
  await withHarness(() => ({ texts: "ok", delayMs: 5 }), async (h) => {
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => h.client.chat(ask(`item ${i}`))),
    );
    assertEquals(replies.length, 50);
    assertEquals(h.server.requests.length, 50);
    assert(h.server.maxInFlight <= 4, `max in flight ${h.server.maxInFlight}`);
    assert(h.server.maxInFlight >= 2, "calls ran in parallel");
    assertEquals(h.client.limiter.maxInFlight, 4);
  }, { endpoint: { concurrency: 4 } });
});

Deno.test("a second identical call is served from the cache, also by a new client", async () => {
  await withHarness(() => ({ texts: answer("accepted") }), async (h) => {
    const first = await h.client.chat(ask("same"), { temperature: 0.3 });
    const again = await h.client.chat(ask("same"), { temperature: 0.3 });
    assertEquals([first.cached, again.cached], [false, true]);
    assertEquals(again.choices, first.choices);
    await h.client.chatJson(Judgement, ask("json"));
    const requests = h.server.requests.length;
    // A new run on the same cache folder: no request, even to another base URL (nothing
    // listens there) with another key — neither is part of the cache key.
    const elsewhere = h.fresh({ baseUrl: "http://127.0.0.1:9/v1", apiKeys: [KEY_B] });
    assertEquals((await elsewhere.chat(ask("same"), { temperature: 0.3 })).cached, true);
    assertEquals(await elsewhere.chatJson(Judgement, ask("json")), [
      { thought: "because", judgement: "accepted" },
    ]);
    assertEquals(h.server.requests.length, requests); // zero new requests
    // Any parameter change or a cache tag is a new request.
    await h.client.chat(ask("same"), { temperature: 0.4 });
    await h.client.chat(ask("same"), { temperature: 0.3 }, { cacheTag: "attempt-2" });
    assertEquals(h.server.requests.length, requests + 2);
    assertEquals(h.stats.totals.cacheHits, 3);
    assertEquals(h.stats.totals.requests, requests + 2);
  });
});

Deno.test("identical calls in flight at once share one request", async () => {
  await withHarness(() => ({ texts: "shared", delayMs: 20 }), async (h) => {
    const replies = await Promise.all([1, 2, 3].map(() => h.client.chat(ask("dup"))));
    assertEquals(replies.map((r) => r.choices[0]), ["shared", "shared", "shared"]);
    assertEquals(h.server.requests.length, 1);
  });
});

Deno.test("a call that joined one stopped by its own signal asks for itself", async () => {
  await withHarness(() => ({ texts: "mine", delayMs: 40 }), async (h) => {
    const abandoned = new AbortController();
    const first = h.client.chat(ask("dup"), {}, { signal: abandoned.signal });
    const second = h.client.chat(ask("dup")); // joins the first one's request
    await new Promise((resolve) => setTimeout(resolve, 10));
    abandoned.abort(new Error("scene abandoned"));
    await assertRejects(() => first, Error, "scene abandoned");
    assertEquals((await second).choices[0], "mine");
    assertEquals(h.server.requests.length, 2, "the second call sent its own request");
  });
});

Deno.test("answers larger than 64 KiB round-trip through the cache", async () => {
  const big = "y".repeat(150_000);
  await withHarness(() => ({ texts: big }), async (h) => {
    assertEquals((await h.client.chat(ask("big"))).choices[0].length, 150_000);
    const reply = await h.fresh().chat(ask("big"));
    assertEquals([reply.cached, reply.choices[0] === big], [true, true]);
    assertEquals(h.server.requests.length, 1);
  });
});

Deno.test("n > 1 returns every choice, each validated", async () => {
  await withHarness(
    ({ n }) => ({
      texts: Array.from({ length: n ?? 1 }, (_, i) => answer(i % 2 ? "rejected" : "accepted")),
    }),
    async (h) => {
      const values = await h.client.chatJson(Judgement, ask("n"), { n: 5, temperature: 0.8 });
      assertEquals(values.map((v) => v.judgement), [
        "accepted",
        "rejected",
        "accepted",
        "rejected",
        "accepted",
      ]);
      assertEquals(h.server.requests[0].n, 5);
      assertEquals((await h.client.chat(ask("n2"), { n: 3 })).choices.length, 3);
    },
  );
});

Deno.test("an interrupted run re-sends only the calls that had not completed", async () => {
  const items = Array.from({ length: 10 }, (_, i) => `item ${i}`);
  await withHarness(({ messages }) => {
    const slow = Number(String(messages[1].content).split(" ")[1]) >= 6;
    return slow ? { texts: "late", delayMs: 60_000 } : { texts: "early" };
  }, async (h) => {
    const stop = new AbortController();
    let answered = 0;
    const run = Promise.allSettled(items.map(async (item) => {
      const reply = await h.client.chat(ask(item), {}, { signal: stop.signal });
      answered++;
      return reply;
    }));
    while (answered < 6 || h.server.requests.length < 10) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    stop.abort(new Error("killed"));
    const settled = await run;
    assertEquals(settled.filter((s) => s.status === "fulfilled").length, 6);
    h.server.setHandler(() => ({ texts: "again" }));
    const before = h.server.requests.length;
    const replies = await Promise.all(items.map((item) => h.fresh().chat(ask(item))));
    assertEquals(h.server.requests.length - before, 4);
    assertEquals(replies.filter((r) => r.cached).length, 6);
  });
});

Deno.test("keys rotate and appear in no file written, log line or error", async () => {
  await withHarness(
    (_, { index }) =>
      index === 2 ? { status: 401, errorMessage: `Incorrect API key provided: ${KEY_B}` } : {
        texts: answer("accepted"),
      },
    async (h) => {
      await h.client.chat(ask("one"));
      await h.client.chatJson(Judgement, ask("two"));
      const error = await assertRejects(() => h.client.chat(ask("three")), ProactiveError);
      assertEquals(h.server.authorizations, [
        `Bearer ${KEY_A}`,
        `Bearer ${KEY_B}`,
        `Bearer ${KEY_A}`,
      ]);
      const statsFile = `${h.dir}/summary.json`;
      await writeJsonAtomic(statsFile, { llm: h.stats.toJSON() });
      const written = [
        ...await readAll(h.dir),
        h.stats.formatStats(),
        ...h.logger.lines,
        error.message,
      ];
      assert(written.length >= 4);
      for (const text of written) {
        for (const key of [KEY_A, KEY_B, "KEYAAAA", "KEYBBBB"]) assert(!text.includes(key), text);
      }
    },
    { endpoint: { apiKeys: [KEY_A, KEY_B] } },
  );
});

Deno.test("onUsage tells each call's requests and tokens: retries, re-asks, cache hits", async () => {
  await withHarness(
    ({ messages }, { index }) =>
      index === 0 ? { status: 500 } : {
        texts: messages.length === 2 ? "not json" : answer("accepted"),
        usage: { prompt_tokens: 10, completion_tokens: 3 },
      },
    async (h) => {
      const seen: CallUsage[] = [];
      const onUsage = (usage: CallUsage) => seen.push(usage);
      await h.client.chatJson(Judgement, ask("u"), {}, { onUsage });
      // The first completion took two requests (a 500, then "not json"), the re-ask one.
      const answer = { promptTokens: 10, completionTokens: 3 };
      assertEquals(seen, [
        { requests: 2, promptTokens: 10, completionTokens: 3, cached: false, answer },
        { requests: 1, promptTokens: 10, completionTokens: 3, cached: false, answer },
      ]);
      seen.length = 0;
      await h.fresh().chatJson(Judgement, ask("u"), {}, { onUsage });
      // From the cache: nothing sent, but the answers' own tokens are still told.
      assertEquals(seen.map((u) => [u.requests, u.promptTokens, u.cached, u.answer]), [
        [0, 0, true, answer],
        [0, 0, true, answer],
      ]);
      assertEquals(h.stats.totals.requests, 3);
    },
  );
});

Deno.test("the response_format built once per schema still follows each call's name and strictness", async () => {
  await withHarness(
    () => ({ texts: JSON.stringify({ thought: "t", judgement: "accepted" }) }),
    async (h) => {
      await h.client.chatJson(Judgement, ask("1"), {}, { schemaName: "first" });
      await h.client.chatJson(Judgement, ask("2"), {}, { schemaName: "first" });
      await h.client.chatJson(Judgement, ask("3"), {}, { schemaName: "second" });
      await h.client.chatJson(Judgement, ask("4"), {}, { schemaName: "first", strict: false });
      const formats = h.server.requests.map((r) =>
        r.response_format as { json_schema: { name: string; strict: boolean; schema: unknown } }
      );
      assertEquals(
        formats.map((f) => [f.json_schema.name, f.json_schema.strict]),
        [["first", true], ["first", true], ["second", true], ["first", false]],
      );
      assertEquals(formats[0], formats[1]);
      assertEquals(formats[0].json_schema.schema, formats[2].json_schema.schema);
    },
  );
});

Deno.test("plainHeadersFetch passes a Headers object on as a record and other inits as they are", async () => {
  const seen: (RequestInit | undefined)[] = [];
  const inner = ((_input: string | URL | Request, init?: RequestInit) => {
    seen.push(init);
    return Promise.resolve(new Response("{}"));
  }) as typeof fetch;
  const wrapped = plainHeadersFetch(inner);
  const signal = new AbortController().signal;
  const headers = new Headers({ Authorization: "Bearer k", "X-Two": "a" });
  headers.append("x-two", "b");
  await wrapped("http://127.0.0.1:1/v1/chat/completions", {
    method: "POST",
    headers,
    body: "{}",
    signal,
  });
  assertEquals(seen[0]?.headers, { authorization: "Bearer k", "x-two": "a, b" });
  assertEquals([seen[0]?.method, seen[0]?.body, seen[0]?.signal], ["POST", "{}", signal]);
  // A Request built from either carries the same headers.
  const viaRecord = new Request("http://x/", { headers: seen[0]!.headers });
  assertEquals([...viaRecord.headers], [...new Request("http://x/", { headers }).headers]);
  const record = { method: "GET", headers: { a: "1" } };
  await wrapped("http://x/", record);
  await wrapped("http://x/");
  assert(seen[1] === record && seen[2] === undefined);
});
