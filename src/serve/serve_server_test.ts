import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertRejects } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { createMemoryLogger } from "../cli/testing/memory_logger.ts";
import { parseResultText } from "../formats/result_file.ts";
import { command, parseServeOptions } from "./command.ts";
import { serverUrl, startServer } from "./serve_server.ts";
import { FIXTURE_TRACES } from "./testing/test_context.ts";

async function call(url: string, path: string, body?: unknown, cookie?: string) {
  const response = await fetch(new URL(path, url), {
    method: body === undefined ? "GET" : "POST",
    headers: {
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...(cookie ? { Cookie: cookie } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { response, json: await response.json() };
}

Deno.test("serverUrl brackets IPv6 hosts", () => {
  assertEquals(serverUrl("127.0.0.1", 80), "http://127.0.0.1:80/");
  assertEquals(serverUrl("::1", 8080), "http://[::1]:8080/");
});

Deno.test("startServer serves over HTTP, writes result files, and rebuilds them on restart", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "out");
    const options = parseServeOptions(
      ["--port", "0", "--out", out, "--data", FIXTURE_TRACES, "--password", "pw"],
      () => undefined,
    );
    const logger = createMemoryLogger();
    const server = await startServer(options, { logger, now: Date.now });
    let cookie = "";
    try {
      assertMatch(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      assert(server.port > 0);
      const login = await call(server.url, "/api/login", { username: "ann", password: "pw" });
      cookie = login.response.headers.get("Set-Cookie")!.split(";")[0];
      const next = await call(server.url, "/api/next", {}, cookie);
      assertEquals(next.json.trace, "alpha");
      const label = await call(server.url, "/api/label", {
        trace: "alpha",
        turn: 1,
        label: [1],
      }, cookie);
      assertEquals(label.response.status, 200);
    } finally {
      await server.shutdown();
    }
    const annId = (parseResultText(
      await Deno.readTextFile(join(out, "alpha.json")),
      "alpha.json",
    ))[1].real_user;
    assertEquals(Object.values(annId ?? {}), [[1]]);
    assert(logger.lines.some((line) => line.includes("Loaded 3 traces with 8 questions")));

    // The result folder is rebuilt from the store on start.
    await Deno.remove(join(out, "alpha.json"));
    const again = await startServer(options, { logger, now: Date.now });
    try {
      const file = parseResultText(await Deno.readTextFile(join(out, "alpha.json")), "alpha");
      assertEquals(Object.values(file[1].real_user ?? {}), [[1]]);
      const state = await call(again.url, "/api/state", undefined, cookie);
      assertEquals([state.json.trace, state.json.question.turn], ["alpha", 3]);
    } finally {
      await again.shutdown();
    }
    assert((await Deno.stat(join(out, ".state", "serve.kv"))).isFile);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a busy port is a clear error", async () => {
  const dir = await Deno.makeTempDir();
  const blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const options = parseServeOptions(
      ["--port", String(blocker.addr.port), "--out", dir, "--kv", ":memory:"],
      () => undefined,
    );
    await assertRejects(
      () => startServer(options, { logger: createMemoryLogger(), now: Date.now }),
      ProactiveError,
      `Cannot listen on 127.0.0.1:${blocker.addr.port}`,
    );
  } finally {
    blocker.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the serve command prints the Listening line and stops on the signal", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const controller = new AbortController();
    const output: string[] = [];
    const logger = createMemoryLogger();
    const running = command.run(["--port", "0", "--out", dir, "--kv", ":memory:"], {
      env: () => undefined,
      stdout: (text) => {
        output.push(text);
        controller.abort();
      },
      logger,
      isTerminal: false,
      signal: controller.signal,
      now: Date.now,
    });
    assertEquals(await running, 0);
    assertEquals(output.length, 1);
    assertMatch(output[0], /^Listening on http:\/\/127\.0\.0\.1:\d+\/\n$/);
    assert(logger.lines.some((line) => line.includes("default password")));
    assert(logger.lines.some((line) => line.includes("Loaded 13 traces with 132 questions")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("one server per result folder and per store; the locks are released on shutdown", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const deps = { logger: createMemoryLogger(), now: Date.now };
    const args = (out: string, kv: string) =>
      parseServeOptions(
        ["--port", "0", "--out", join(dir, out), "--kv", join(dir, kv), "--data", FIXTURE_TRACES],
        () => undefined,
      );
    const first = await startServer(args("out", "a.kv"), deps);
    try {
      await assertRejects(
        () => startServer(args("out", "b.kv"), deps),
        ProactiveError,
        `The result folder "${join(dir, "out")}" is in use by proactive serve, process ${Deno.pid}`,
      );
      await assertRejects(
        () => startServer(args("other", "a.kv"), deps),
        ProactiveError,
        `The store "${join(dir, "a.kv")}" is in use by proactive serve, process ${Deno.pid}`,
      );
    } finally {
      assertEquals(await first.shutdown(), { stale: [] });
    }
    const again = await startServer(args("out", "a.kv"), deps);
    await again.shutdown();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
