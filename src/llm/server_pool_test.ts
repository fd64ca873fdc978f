import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { ConcurrencyLimiter } from "./concurrency_limiter.ts";
import { type PoolServer, ServerPool } from "./server_pool.ts";

const URLS = ["http://a/v1", "http://b/v1", "http://c/v1"];

function pool(clock = { now: 0 }, changes: string[] = []) {
  return new ServerPool({
    urls: URLS,
    concurrency: 2,
    now: () => clock.now,
    onChange: (server, change) => changes.push(`${server.url} ${change}`),
  });
}

const names = (servers: PoolServer[]) => servers.map((s) => s.url.slice(7, 8));

Deno.test("pick: the fewest requests in flight, ties in turn", () => {
  const p = pool();
  assertEquals(p.limiter.limit, 6, "2 per server");
  const first = [p.pick(), p.pick(), p.pick()];
  assertEquals(names(first), ["a", "b", "c"]);
  p.finish(first[1]); // b is free again: it has the fewest
  assertEquals(names([p.pick()]), ["b"]);
  // All at 1: in turn, from the one after the last picked.
  assertEquals(names([p.pick(), p.pick(), p.pick()]), ["c", "a", "b"]);
  assertEquals(p.servers.map((s) => s.inFlight), [2, 2, 2]);
});

Deno.test("a failing server is set aside for a growing interval, its share goes to the others", () => {
  const clock = { now: 0 };
  const changes: string[] = [];
  const p = pool(clock, changes);
  const b = p.servers[1];
  p.report(b, "down");
  assertEquals([b.asideUntil, p.limiter.limit], [1000, 4], "1 s; two servers' worth");
  assertEquals(names([p.pick(), p.pick(), p.pick(), p.pick()]), ["a", "c", "a", "c"]);
  clock.now = 1000; // due back: picked again
  for (const server of p.servers) server.inFlight = 0;
  assertEquals(names([p.pick(), p.pick(), p.pick()]).sort(), ["a", "b", "c"]);
  assertEquals(p.limiter.limit, 6);
  p.report(b, "down"); // failed again: 2 s this time, then 4 s
  assertEquals(b.asideUntil, 3000);
  p.report(b, "down");
  assertEquals(b.asideUntil, 1000 + 4000);
  p.report(b, "ok");
  assertEquals([b.asideUntil, b.failures, b.setAside], [0, 0, 3]);
  assertEquals(changes, [
    "http://b/v1 aside",
    "http://b/v1 aside",
    "http://b/v1 aside",
    "http://b/v1 back",
  ]);
});

Deno.test("with every server set aside, requests go to the one due back first", () => {
  const clock = { now: 0 };
  const p = pool(clock);
  p.report(p.servers[0], "down");
  p.report(p.servers[0], "down"); // a: 2 s
  p.report(p.servers[1], "down"); // b: 1 s
  clock.now = 500;
  p.report(p.servers[2], "down"); // c: until 1.5 s
  assertEquals(p.limiter.limit, 2, "one server's worth");
  assertEquals(names([p.pick(), p.pick()]), ["b", "b"]);
});

Deno.test("one server: always it, never set aside", () => {
  const p = new ServerPool({ urls: ["http://only/v1"], concurrency: 3 });
  const server = p.pick();
  p.report(server, "down");
  assertEquals([p.pick().url, server.asideUntil, p.limiter.limit], ["http://only/v1", 0, 3]);
  assertThrows(() => new ServerPool({ urls: [], concurrency: 1 }), RangeError);
});

Deno.test("setLimit: a higher limit starts waiting tasks, a lower one holds new ones back", async () => {
  const limiter = new ConcurrencyLimiter(1);
  const started: number[] = [];
  const gates: (() => void)[] = [];
  const task = (n: number) => () =>
    new Promise<void>((resolve) => {
      started.push(n);
      gates.push(resolve);
    });
  const runs = [1, 2, 3, 4].map((n) => limiter.run(task(n)));
  await Promise.resolve();
  assertEquals(started, [1]);
  limiter.setLimit(3);
  await Promise.resolve();
  assertEquals(started, [1, 2, 3]);
  limiter.setLimit(1);
  gates.shift()!(); // 1 ends: 2 of 3 still run, above the new limit: 4 waits
  await new Promise((resolve) => setTimeout(resolve, 0));
  assertEquals(started, [1, 2, 3]);
  gates.shift()!();
  gates.shift()!();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assertEquals(started, [1, 2, 3, 4]);
  gates.shift()!();
  await Promise.all(runs);
  assertThrows(() => limiter.setLimit(0), RangeError);
});
