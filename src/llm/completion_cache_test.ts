import { createHash } from "node:crypto";
import { assert, assertEquals, assertNotEquals } from "../../tests/assert.ts";
import { createMemoryLogger } from "../cli/testing/memory_logger.ts";
import { canonicalJson, canonicalMessages } from "./canonical_json.ts";
import {
  cacheKey,
  type Completion,
  type CompletionRequest,
  openCompletionCache,
  requestKeyer,
} from "./completion_cache.ts";
import { withTempDir } from "../../tests/temp_dir.ts";

const request: CompletionRequest = {
  model: "m",
  messages: [{ role: "user", content: "hello" }],
  params: { temperature: 0.8, n: 5 },
};
const completion: Completion = {
  choices: [{ text: "hi", finishReason: "stop" }],
  usage: { promptTokens: 3, completionTokens: 1 },
};

Deno.test("cacheKey covers model, messages, every parameter and the tag, in any key order", () => {
  const key = cacheKey(request);
  assertEquals(key.length, 64);
  assertEquals(cacheKey({ ...request, params: { n: 5, temperature: 0.8 } }), key);
  assertNotEquals(cacheKey({ ...request, model: "m2" }), key);
  assertNotEquals(cacheKey({ ...request, params: { temperature: 0.8, n: 4 } }), key);
  assertNotEquals(cacheKey({ ...request, params: { ...request.params, top_p: 1 } }), key);
  assertNotEquals(
    cacheKey({
      ...request,
      params: { ...request.params, response_format: { type: "json_object" } },
    }),
    key,
  );
  assertNotEquals(cacheKey({ ...request, messages: [{ role: "user", content: "hi" }] }), key);
  assertNotEquals(cacheKey({ ...request, tag: "attempt-2" }), key);
  assertEquals(
    canonicalJson({ b: 1, a: { d: undefined, c: [2, { z: 1, y: 2 }] } }),
    '{"a":{"c":[2,{"y":2,"z":1}]},"b":1}',
  );
});

Deno.test("the request's canonical JSON built from its parts is canonicalJson of the whole", () => {
  // Keys in the index stay the same as when the whole request went through canonicalJson.
  const requests: CompletionRequest[] = [
    request,
    { ...request, tag: "copy:0/attempt:2" },
    {
      model: 'm "quoted" ü',
      messages: [
        { role: "system", content: "line\nbreak \u2028 \ud83d\ude00 \u0000" },
        { role: "user", content: "" },
        // Shapes the fast path does not take: extra keys, non-string content.
        { role: "user", content: "x", name: "bob" } as { role: string; content: string },
        { role: "user", content: [{ type: "text", text: "t" }] } as unknown as {
          role: string;
          content: string;
        },
      ],
      params: { b: { z: [1, { y: undefined, x: 2 }] }, a: null, seed: 7 },
    },
    { model: "m", messages: [], params: {} },
  ];
  for (const r of requests) {
    const whole = canonicalJson({
      model: r.model,
      messages: r.messages,
      params: r.params,
      tag: r.tag ?? null,
    });
    assertEquals(cacheKey(r), createHash("sha256").update(whole).digest("hex"));
    assertEquals(canonicalMessages(r.messages), canonicalJson(r.messages));
    // One keyer, several params and tags: each key is the whole request's key.
    const keyOf = requestKeyer(r.model, canonicalMessages(r.messages));
    for (const params of [r.params, {}, { ...r.params, seed: 12345 }]) {
      for (const tag of [r.tag, undefined, "attempt:2"]) {
        assertEquals(keyOf(params, tag), cacheKey({ ...r, params, tag }));
      }
    }
  }
  // The key of the first request as the whole-request form computed it before (pinned).
  assertEquals(
    cacheKey(request),
    "4dd7276dc276b471bbda7ad8e4f725d1df0657d6bb2c3f67cdb093308d970dd5",
  );
});

Deno.test("the file cache stores and returns values larger than 64 KiB", async () => {
  await withTempDir(async (dir) => {
    const cache = openCompletionCache({ dir, now: () => 0 });
    const big: Completion = {
      choices: [{ text: "x".repeat(200_000) + "ü", finishReason: "length" }],
      usage: { promptTokens: 1, completionTokens: 50_000 },
    };
    const key = cacheKey(request);
    assertEquals(await cache.get(key), undefined);
    await cache.put(key, request, big);
    assertEquals(await cache.get(key), big);
    // A second handle on the same folder (a new run) sees it too.
    assertEquals(await openCompletionCache({ dir }).get(key), big);
  });
});

Deno.test("a corrupt cache entry is reported and treated as missing", async () => {
  await withTempDir(async (dir) => {
    const logger = createMemoryLogger();
    const key = cacheKey(request);
    await openCompletionCache({ dir }).put(key, request, completion);
    const folder = `${dir}/completions-v1`;
    const [name] = [...Deno.readDirSync(folder)].map((entry) => entry.name);
    const text = await Deno.readTextFile(`${folder}/${name}`);
    await Deno.writeTextFile(`${folder}/${name}`, text.replace('"format":', '"formaat":'));
    const cache = openCompletionCache({ dir, logger });
    assertEquals(await cache.get(key), undefined);
    assert(logger.lines.some((line) => line.includes("corrupt completion cache entry")));
    await cache.put(key, request, completion);
    assertEquals(await cache.get(key), completion);
  });
});

Deno.test("a disabled cache neither stores nor finds", async () => {
  const cache = openCompletionCache({ dir: null });
  const key = cacheKey(request);
  await cache.put(key, request, completion);
  assertEquals(cache.enabled, false);
  assertEquals(await cache.get(key), undefined);
});
