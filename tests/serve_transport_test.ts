/**
 * `proactive serve` login and transport over real HTTP(S) on 127.0.0.1: the login throttle
 * under 1,000 parallel requests, --trust-proxy, the Host and Origin checks, HTTPS with a
 * self-signed certificate made here, Secure cookies.
 */
import { join } from "node:path";
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "./assert.ts";
import { ProactiveError } from "../src/cli/errors.ts";
import { createMemoryLogger } from "../src/cli/testing/memory_logger.ts";
import { parseServeOptions } from "../src/serve/command.ts";
import { type RunningServer, startServer } from "../src/serve/serve_server.ts";
import { FIXTURE_TRACES } from "../src/serve/testing/test_context.ts";

const PASSWORD = "pw-transport";

async function withServer(
  flags: string[],
  fn: (server: RunningServer, dir: string) => Promise<void>,
  setup?: (dir: string) => Promise<string[]>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const extra = setup ? await setup(dir) : [];
    const options = parseServeOptions([
      ...["--port", "0", "--out", join(dir, "out"), "--kv", ":memory:"],
      ...["--data", FIXTURE_TRACES, "--password", PASSWORD, ...flags, ...extra],
    ], () => undefined);
    const server = await startServer(options, { logger: createMemoryLogger(), now: Date.now });
    try {
      await fn(server, dir);
    } finally {
      await server.shutdown();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

interface LoginReply {
  status: number;
  error?: string;
  setCookie: string | null;
  retryAfter: string | null;
}

async function login(
  url: string,
  username: string,
  password: string,
  headers: Record<string, string> = {},
  client?: Deno.HttpClient,
): Promise<LoginReply> {
  const response = await fetch(new URL("/api/login", url), {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify({ username, password }),
    client,
  });
  const body = await response.json();
  return {
    status: response.status,
    error: body.error,
    setCookie: response.headers.get("Set-Cookie"),
    retryAfter: response.headers.get("Retry-After"),
  };
}

function countStatuses(replies: LoginReply[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const reply of replies) counts.set(reply.status, (counts.get(reply.status) ?? 0) + 1);
  return counts;
}

Deno.test("1,000 parallel wrong passwords for one username: 5 verdicts, the rest 429; a right login in the burst resets only its own name", async () => {
  await withServer([], async (server) => {
    // alice has 3 failures before the burst.
    for (let i = 0; i < 3; i++) assertEquals((await login(server.url, "alice", "no")).status, 401);
    const burst: Promise<LoginReply>[] = [];
    let aliceLogin: Promise<LoginReply> | undefined;
    for (let i = 0; i < 1000; i++) {
      burst.push(login(server.url, "mallory", `guess-${i}`));
      if (i === 500) aliceLogin = login(server.url, "Alice", PASSWORD);
    }
    const replies = await Promise.all(burst);
    const counts = countStatuses(replies);
    assertEquals(counts.get(401), 5);
    assertEquals(counts.get(429), 995);
    const locked = replies.find((r) => r.status === 429)!;
    assertMatch(locked.error!, /for this username; try again in 1[45] minutes$/);
    assert(Number(locked.retryAfter) > 14 * 60 && Number(locked.retryAfter) <= 15 * 60);

    const alice = await aliceLogin!;
    assertEquals(alice.status, 200);
    // mallory stays locked, even with the right password.
    assertEquals((await login(server.url, "MALLORY", PASSWORD)).status, 429);
    // alice's count was reset to 0 (3 + 2 would have locked her): 5 more verdicts, then 429.
    for (let i = 0; i < 5; i++) assertEquals((await login(server.url, "alice", "no")).status, 401);
    assertEquals((await login(server.url, "alice", PASSWORD)).status, 429);
    // 3 + 5 + 5 = 13 failures from this address: bob behind the same address still gets in.
    assertEquals((await login(server.url, "bob", PASSWORD)).status, 200);
  });
});

Deno.test("1,000 parallel wrong passwords over many usernames from one address: 20 verdicts", async () => {
  await withServer([], async (server) => {
    const replies = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => login(server.url, `user${i % 50}`, `guess-${i}`)),
    );
    assertEquals(countStatuses(replies).get(401), 20);
    assertEquals(countStatuses(replies).get(429), 980);
    const perName = new Map<number, number>();
    replies.forEach((reply, i) => {
      if (reply.status === 401) perName.set(i % 50, (perName.get(i % 50) ?? 0) + 1);
    });
    assert([...perName.values()].every((n) => n <= 5));
    // The address is locked for everyone now, in minutes.
    const after = await login(server.url, "carol", PASSWORD);
    assertEquals(after.status, 429);
    assertMatch(after.error!, /from this address; try again in 1[45] minutes$/);
  });
});

Deno.test("--trust-proxy: the client address and scheme come from the proxy's headers", async () => {
  await withServer(["--trust-proxy"], async (server) => {
    const via = (client: string) => ({ "X-Forwarded-For": `10.9.9.9, ${client}` });
    for (let i = 0; i < 20; i++) {
      assertEquals((await login(server.url, `u${i}`, "no", via("203.0.113.7"))).status, 401);
    }
    assertEquals((await login(server.url, "ann", PASSWORD, via("203.0.113.7"))).status, 429);
    // Only the last entry counts (the one the proxy added); another client is not locked.
    assertEquals((await login(server.url, "ann", PASSWORD, via("203.0.113.8"))).status, 200);
    const https = await login(server.url, "ann", PASSWORD, {
      ...via("203.0.113.9"),
      "X-Forwarded-Proto": "https",
    });
    assertMatch(https.setCookie!, /; Secure$/);
    const http = await login(server.url, "ann", PASSWORD, via("203.0.113.9"));
    assert(!http.setCookie!.includes("Secure"));
  });
});

Deno.test("without --trust-proxy the forwarding headers are ignored", async () => {
  await withServer([], async (server) => {
    for (let i = 0; i < 20; i++) {
      const forged = { "X-Forwarded-For": `198.51.100.${i}` };
      assertEquals((await login(server.url, `u${i}`, "no", forged)).status, 401);
    }
    const forged = { "X-Forwarded-For": "198.51.100.200", "X-Forwarded-Proto": "https" };
    assertEquals((await login(server.url, "ann", PASSWORD, forged)).status, 429);
  });
  await withServer([], async (server) => {
    const reply = await login(server.url, "ann", PASSWORD, { "X-Forwarded-Proto": "https" });
    assertEquals(reply.status, 200);
    assert(!reply.setCookie!.includes("Secure"), reply.setCookie!);
  });
});

/** A raw HTTP/1.1 GET with a chosen Host header (fetch always sends the URL's host). */
async function statusForHost(port: number, host: string, path: string): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const request = `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;
  await conn.write(new TextEncoder().encode(request));
  const text = await new Response(conn.readable).text();
  return Number(text.match(/^HTTP\/1\.1 (\d{3})/)?.[1]);
}

Deno.test("on loopback only loopback Host names are answered (DNS rebinding)", async () => {
  await withServer([], async (server) => {
    for (
      const host of [
        "localhost",
        `localhost:${server.port}`,
        "127.0.0.1:1",
        "127.3.2.1",
        "[::1]:80",
      ]
    ) {
      assertEquals(await statusForHost(server.port, host, "/"), 200, host);
      assertEquals(await statusForHost(server.port, host, "/api/me"), 401, host);
    }
    for (
      const host of [
        "evil.example",
        `evil.example:${server.port}`,
        "127.0.0.1.evil.example",
        "0.0.0.0",
      ]
    ) {
      assertEquals(await statusForHost(server.port, host, "/"), 403, host);
      assertEquals(await statusForHost(server.port, host, "/api/me"), 403, host);
    }
  });
  await withServer(["--allowed-hosts", "annot.lab.example"], async (server) => {
    assertEquals(await statusForHost(server.port, "annot.lab.example:8443", "/api/me"), 401);
    assertEquals(await statusForHost(server.port, "localhost", "/api/me"), 401);
    assertEquals(await statusForHost(server.port, "other.lab.example", "/api/me"), 403);
  });
});

Deno.test("Origin must match scheme, host and port", async () => {
  await withServer([], async (server) => {
    const origin = server.url.replace(/\/$/, "");
    assertEquals((await login(server.url, "ann", PASSWORD, { Origin: origin })).status, 200);
    const port = server.port;
    for (const bad of [`https://127.0.0.1:${port}`, `http://127.0.0.1:${port + 1}`, "null"]) {
      const reply = await login(server.url, "ann", PASSWORD, { Origin: bad });
      assertEquals(reply.status, 403, bad);
      assertStringIncludes(reply.error!, "Cross-origin");
    }
  });
});

async function makeCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  const output = await new Deno.Command("openssl", {
    args: [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost"],
      ...["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
      // A leaf certificate (rustls refuses a CA certificate as the server's own).
      ...["-addext", "basicConstraints=critical,CA:FALSE"],
      ...["-days", "1", "-keyout", key, "-out", cert],
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  return { cert, key };
}

Deno.test("--cert/--key serve HTTPS; the session cookie is Secure", async () => {
  let pem = "";
  await withServer([], async (server) => {
    assertMatch(server.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
    const client = Deno.createHttpClient({ caCerts: [pem] });
    try {
      const reply = await login(server.url, "ann", PASSWORD, {}, client);
      assertEquals(reply.status, 200);
      assertMatch(reply.setCookie!, /HttpOnly; SameSite=Strict; .*; Secure$/);
      const me = await fetch(new URL("/api/me", server.url), {
        headers: { Cookie: reply.setCookie!.split(";")[0] },
        client,
      });
      assertEquals((await me.json()).annotator.username, "ann");
      // Origin over HTTPS: https://host:port is same-origin.
      const origin = server.url.replace(/\/$/, "");
      assertEquals(
        (await login(server.url, "ann", PASSWORD, { Origin: origin }, client)).status,
        200,
      );
      const downgraded = origin.replace("https:", "http:");
      assertEquals(
        (await login(server.url, "ann", PASSWORD, { Origin: downgraded }, client)).status,
        403,
      );
    } finally {
      client.close();
    }
    // Plain HTTP to the HTTPS port gets no answer it could use.
    await assertRejects(() => fetch(server.url.replace("https:", "http:")));
  }, async (dir) => {
    const { cert, key } = await makeCertificate(dir);
    pem = await Deno.readTextFile(cert);
    return ["--cert", cert, "--key", key];
  });
});

Deno.test("missing or unusable TLS files are clear errors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { cert, key } = await makeCertificate(dir);
    const start = (certFile: string, keyFile: string) =>
      startServer(
        parseServeOptions([
          ...["--port", "0", "--out", join(dir, "out"), "--kv", ":memory:"],
          ...["--data", FIXTURE_TRACES, "--cert", certFile, "--key", keyFile],
        ], () => undefined),
        { logger: createMemoryLogger(), now: Date.now },
      );
    const missing = join(dir, "nope.pem");
    await assertRejects(
      () => start(missing, key),
      ProactiveError,
      `The TLS certificate "${missing}" does not exist`,
    );
    await assertRejects(
      () => start(key, key),
      ProactiveError,
      `Cannot use the TLS certificate "${key}" with the key "${key}"`,
    );
    await assertRejects(() => start(cert, cert), ProactiveError, "Cannot use the TLS certificate");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
