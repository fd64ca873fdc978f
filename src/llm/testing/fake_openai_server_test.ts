import { assertEquals, assertThrows } from "../../../tests/assert.ts";
import { startFakeOpenAiServer } from "./fake_openai_server.ts";

const post = (baseUrl: string, body: unknown) =>
  fetch(`${baseUrl}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer k" },
    body: JSON.stringify(body),
  });

Deno.test("the fake server answers n choices with usage and records requests", async () => {
  const server = await startFakeOpenAiServer({ handler: () => ({ texts: ["a", "b"] }) });
  try {
    const response = await post(server.baseUrl, { model: "m", n: 2, messages: [] });
    const json = await response.json();
    assertEquals(json.choices.map((c: { message: { content: string } }) => c.message.content), [
      "a",
      "b",
    ]);
    assertEquals(typeof json.usage.prompt_tokens, "number");
    assertEquals(server.requests, [{ model: "m", n: 2, messages: [] }]);
    assertEquals(server.authorizations, ["Bearer k"]);
    assertEquals([server.inFlight, server.maxInFlight], [0, 1]);
  } finally {
    await server.close();
  }
});

Deno.test("the fake server sends statuses and headers, stalls bodies, and closes cleanly", async () => {
  const server = await startFakeOpenAiServer({
    handler: (_, { index }) =>
      index === 0
        ? { status: 429, headers: { "retry-after": "7" }, errorMessage: "slow" }
        : index === 1
        ? { texts: "late", stallAfterHeadersMs: 10 }
        : { texts: "never", stallAfterHeadersMs: Infinity },
  });
  try {
    const limited = await post(server.baseUrl, { model: "m", messages: [] });
    assertEquals([limited.status, limited.headers.get("retry-after")], [429, "7"]);
    assertEquals((await limited.json()).error.message, "slow");
    const late = await post(server.baseUrl, { model: "m", messages: [] });
    assertEquals((await late.json()).choices[0].message.content, "late");
    const stalled = await post(server.baseUrl, { model: "m", messages: [] });
    assertEquals(stalled.status, 200);
    const reading = stalled.text();
    await server.close(); // ends the stalled body, truncated
    const text = await reading;
    assertEquals(text.startsWith('{"id":'), true);
    assertThrows(() => JSON.parse(text), SyntaxError);
  } finally {
    await server.close();
  }
});
