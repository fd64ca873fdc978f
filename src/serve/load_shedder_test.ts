import { Hono } from "hono";
import { assertEquals } from "../../tests/assert.ts";
import { createLoadShedder, TOO_BUSY } from "./load_shedder.ts";

Deno.test("past maxInFlight requests get 503 + Retry-After at once; then pass again", async () => {
  const shedder = createLoadShedder({ maxInFlight: 2 });
  const app = new Hono();
  let open!: () => void;
  const gate = new Promise<void>((resolve) => open = resolve);
  app.use("*", shedder.middleware);
  app.get("/slow", async (c) => {
    await gate;
    return c.text("done");
  });
  const first = Promise.resolve(app.request("/slow"));
  const second = Promise.resolve(app.request("/slow"));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assertEquals(shedder.inFlight, 2);
  const third = await app.request("/slow");
  assertEquals(third.status, 503);
  assertEquals(third.headers.get("Retry-After"), "1");
  assertEquals(await third.json(), { error: TOO_BUSY });
  assertEquals(shedder.shed, 1);
  open();
  assertEquals(await (await first).text(), "done");
  assertEquals(await (await second).text(), "done");
  assertEquals(shedder.inFlight, 0);
  assertEquals((await app.request("/slow")).status, 200);
});

Deno.test("a long queue of KV commits sheds too", async () => {
  const commits = { queued: 5 };
  const shedder = createLoadShedder({ maxQueuedCommits: 5 }, commits);
  const app = new Hono();
  app.use("*", shedder.middleware);
  app.get("/", (c) => c.text("ok"));
  assertEquals((await app.request("/")).status, 503);
  commits.queued = 4;
  assertEquals((await app.request("/")).status, 200);
});

Deno.test("a failing handler still frees its slot", async () => {
  const shedder = createLoadShedder({ maxInFlight: 1 });
  const app = new Hono();
  app.use("*", shedder.middleware);
  app.get("/fail", () => {
    throw new Error("boom");
  });
  app.onError((_error, c) => c.text("failed", 500));
  assertEquals((await app.request("/fail")).status, 500);
  assertEquals(shedder.inFlight, 0);
  assertEquals((await app.request("/fail")).status, 500);
});
