import { Hono } from "hono";
import { assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { allowedHostsFor, hostGuard, hostNameOf } from "./host_check.ts";

function appAllowing(allowed: ReturnType<typeof allowedHostsFor>): Hono {
  const app = new Hono();
  app.use("*", hostGuard(allowed));
  app.get("*", (c) => c.text("ok"));
  return app;
}

async function statusFor(app: Hono, host: string): Promise<number> {
  const response = await app.request("/", { headers: { Host: host } });
  await response.body?.cancel();
  return response.status;
}

Deno.test("hostNameOf drops the port and lower-cases; junk is undefined", () => {
  assertEquals(hostNameOf("Annot.Example.org:8443"), "annot.example.org");
  assertEquals(hostNameOf("[::1]:80"), "[::1]");
  assertEquals(hostNameOf("localhost."), "localhost");
  for (const bad of ["", "a b", "a/b", "user@host", "[::1"]) {
    assertEquals(hostNameOf(bad), undefined);
  }
});

Deno.test("loopback listening answers loopback names plus the list", async () => {
  const app = appAllowing(allowedHostsFor("127.0.0.1", ["annot.example.org"]));
  for (const host of ["localhost:7860", "127.0.0.5", "[::1]:1", "ANNOT.example.org:443"]) {
    assertEquals(await statusFor(app, host), 200, host);
  }
  for (const host of ["evil.example", "localhost.evil.example", "10.0.0.1"]) {
    assertEquals(await statusFor(app, host), 403, host);
  }
  const refused = await app.request("/", { headers: { Host: "evil.example" } });
  assertStringIncludes((await refused.json()).error, 'Host "evil.example" is not allowed');
});

Deno.test("other addresses answer exactly the list, or every name without one", async () => {
  const listed = appAllowing(allowedHostsFor("0.0.0.0", ["annot.example.org", "10.0.0.5"]));
  assertEquals(await statusFor(listed, "annot.example.org"), 200);
  assertEquals(await statusFor(listed, "10.0.0.5:7860"), 200);
  assertEquals(await statusFor(listed, "localhost"), 403);
  assertEquals(await statusFor(listed, "evil.example"), 403);
  assertEquals(allowedHostsFor("0.0.0.0", []), undefined);
  assertEquals(await statusFor(appAllowing(undefined), "evil.example"), 200);
});
