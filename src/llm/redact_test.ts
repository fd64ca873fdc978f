import { assert, assertEquals } from "../../tests/assert.ts";
import { displayUrl, redactSecrets } from "./redact.ts";

Deno.test("redactSecrets removes known keys, bearer tokens and sk- keys", () => {
  const text = "key=local-secret-42 header Authorization: Bearer abc.def other sk-abcdefghijklmnop";
  const out = redactSecrets(text, ["local-secret-42"]);
  assert(!out.includes("local-secret-42"));
  assert(!out.includes("abc.def"));
  assert(!out.includes("sk-abcdefghijklmnop"));
  assertEquals(out, "key=[redacted] header Authorization: Bearer [redacted] other [redacted]");
});

Deno.test("displayUrl drops credentials and query strings", () => {
  assertEquals(
    displayUrl("https://user:pw@example.test/v1/?api-key=zzz"),
    "https://example.test/v1",
  );
  assertEquals(displayUrl("http://127.0.0.1:8000/v1"), "http://127.0.0.1:8000/v1");
});
