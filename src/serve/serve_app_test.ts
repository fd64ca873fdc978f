import { assert, assertEquals, assertMatch, assertStringIncludes } from "../../tests/assert.ts";
import { unzipSync } from "fflate";
import type { Hono } from "hono";
import { join } from "node:path";
import { KEY } from "./kv_schema.ts";
import { createApp } from "./serve_app.ts";
import type { State } from "./state.ts";
import type { Status } from "./status.ts";
import { type TestContext, withContext } from "./testing/test_context.ts";

const PASSWORD = "correct horse";
const ADMIN_PASSWORD = "battery staple";

function appOf(ctx: TestContext): Hono {
  return createApp({ ...ctx, password: PASSWORD, adminPassword: ADMIN_PASSWORD });
}

function post(
  app: Hono,
  path: string,
  body: unknown,
  options: { cookie?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  return Promise.resolve(app.request(path, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      ...(options.cookie ? { Cookie: options.cookie } : {}),
      ...options.headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  }));
}

function get(app: Hono, path: string, cookie?: string): Promise<Response> {
  return Promise.resolve(app.request(path, { headers: cookie ? { Cookie: cookie } : {} }));
}

async function login(app: Hono, username: string, password = PASSWORD): Promise<string> {
  const response = await post(app, "/api/login", { username, password });
  assertEquals(response.status, 200);
  await response.body?.cancel();
  return response.headers.get("Set-Cookie")!.split(";")[0];
}

async function expectError(response: Response, status: number, includes: string) {
  assertEquals(response.status, status);
  assertEquals(response.headers.get("Content-Type"), "application/json; charset=utf-8");
  const body = await response.json();
  assertEquals(Object.keys(body), ["error"]);
  assertStringIncludes(body.error, includes);
}

Deno.test("pages and assets are served with their types and security headers", async () => {
  await withContext({}, async (ctx) => {
    const app = appOf(ctx);
    const expected: [string, string][] = [
      ["/", "text/html; charset=utf-8"],
      ["/status", "text/html; charset=utf-8"],
      ["/app.js", "text/javascript; charset=utf-8"],
      ["/app.css", "text/css; charset=utf-8"],
      ["/status.js", "text/javascript; charset=utf-8"],
    ];
    for (const [path, type] of expected) {
      const response = await get(app, path);
      assertEquals(response.status, 200, path);
      assertEquals(response.headers.get("Content-Type"), type);
      assertStringIncludes(response.headers.get("Content-Security-Policy")!, "default-src 'self'");
      assertStringIncludes(
        response.headers.get("Content-Security-Policy")!,
        "frame-ancestors 'none'",
      );
      assertEquals(response.headers.get("X-Content-Type-Options"), "nosniff");
      assertEquals(response.headers.get("Referrer-Policy"), "no-referrer");
      await response.body?.cancel();
    }
    await expectError(await get(app, "/../etc/passwd"), 404, "Not found");
    await expectError(await get(app, "/api/nothing"), 404, "Not found");
  });
});

Deno.test("login, me, logout; the cookie is httpOnly and SameSite=Strict", async () => {
  await withContext({}, async (ctx) => {
    const app = appOf(ctx);
    await expectError(await get(app, "/api/me"), 401, "Not logged in");
    await expectError(
      await post(app, "/api/login", { username: "ann", password: "nope" }),
      401,
      "Wrong password",
    );
    const response = await post(app, "/api/login", { username: " ann ", password: PASSWORD });
    assertEquals(response.status, 200);
    const body = await response.json();
    assertEquals(body.annotator.username, "ann");
    assertMatch(body.annotator.id, /^[0-9a-f]{32}$/);
    const setCookie = response.headers.get("Set-Cookie")!;
    assertMatch(setCookie, /^proactive_session=[A-Za-z0-9_-]+;/);
    for (const flag of ["HttpOnly", "SameSite=Strict", "Path=/"]) {
      assertStringIncludes(setCookie, flag);
    }
    const cookie = setCookie.split(";")[0];
    const me = await get(app, "/api/me", cookie);
    assertEquals(await me.json(), { annotator: { username: "ann", id: body.annotator.id } });
    // The same username always gets the same id.
    const again = await post(app, "/api/login", { username: "ann", password: PASSWORD });
    assertEquals((await again.json()).annotator.id, body.annotator.id);

    const logout = await post(app, "/api/logout", "", { cookie }); // empty body = {}
    assertEquals(await logout.json(), { ok: true });
    assertStringIncludes(logout.headers.get("Set-Cookie")!, "Max-Age=0");
    await expectError(await get(app, "/api/me", cookie), 401, "Not logged in");
    await expectError(
      await get(app, "/api/state", "proactive_session=forged"),
      401,
      "Not logged in",
    );
  });
});

Deno.test("429 after 5 wrong passwords for one username, with Retry-After", async () => {
  await withContext({}, async (ctx) => {
    const app = appOf(ctx);
    for (let i = 0; i < 5; i++) {
      const response = await post(app, "/api/login", { username: "x", password: `guess${i}` });
      await expectError(response, 401, "Wrong password");
    }
    ctx.clock.now += 3 * 60 * 1000 - 1;
    // "X" is the same username as "x".
    const locked = await post(app, "/api/login", { username: "X", password: PASSWORD });
    const retry = Number(locked.headers.get("Retry-After"));
    assertEquals(retry, 12 * 60 + 1);
    await expectError(locked, 429, "for this username; try again in 13 minutes");
    // Another annotator behind the same address is not shut out.
    assertEquals(
      (await post(app, "/api/login", { username: "y", password: PASSWORD })).status,
      200,
    );
    ctx.clock.now += 12 * 60 * 1000 + 1;
    assertEquals(
      (await post(app, "/api/login", { username: "x", password: PASSWORD })).status,
      200,
    );
    assert(!ctx.logLines.some((line) => line.includes(PASSWORD)), "no password in the log");
  });
});

Deno.test("POST guards: 415, 403, 413, 400", async () => {
  await withContext({}, async (ctx) => {
    const app = appOf(ctx);
    const body = { username: "u", password: PASSWORD };
    await expectError(
      await post(app, "/api/login", body, { headers: { "Content-Type": "text/plain" } }),
      415,
      "application/json",
    );
    await expectError(
      await post(app, "/api/login", body, { headers: { Origin: "https://evil.example" } }),
      403,
      "Cross-origin",
    );
    await expectError(
      await post(app, "/api/login", body, { headers: { "Sec-Fetch-Site": "cross-site" } }),
      403,
      "Cross-site",
    );
    // Scheme and port count: the app answers http://localhost here.
    for (const origin of ["https://localhost", "http://localhost:8080", "null"]) {
      await expectError(
        await post(app, "/api/login", body, { headers: { Origin: origin } }),
        403,
        "Cross-origin",
      );
    }
    const sameOrigin = await post(app, "/api/login", body, {
      headers: { Origin: "http://localhost", "Sec-Fetch-Site": "same-origin" },
    });
    assertEquals(sameOrigin.status, 200);
    await sameOrigin.body?.cancel();
    const huge = JSON.stringify({ username: "u", password: "x".repeat(1024 * 1024) });
    await expectError(await post(app, "/api/login", huge), 413, "1 MiB");
    await expectError(await post(app, "/api/login", "{nope"), 400, "not valid JSON");
    await expectError(await post(app, "/api/login", { username: 5 }), 400, "username:");
    await expectError(await post(app, "/api/login", [1]), 400, "body:");
    await expectError(
      await post(app, "/api/login", { username: "a\u0000b", password: PASSWORD }),
      400,
      "username: control characters are not allowed",
    );
    await expectError(
      await post(app, "/api/login", { username: "   ", password: PASSWORD }),
      400,
      "username: expected 1 to 64 characters",
    );
    await expectError(
      await post(app, "/api/login", { username: "ad\u202emin", password: PASSWORD }),
      400,
      "username: bidirectional control characters",
    );
  });
});

Deno.test("label and question errors: 400, 401, 403, 404, 409", async () => {
  await withContext({}, async (ctx) => {
    const app = appOf(ctx);
    await expectError(
      await post(app, "/api/label", { trace: "alpha", turn: 1, label: [0] }),
      401,
      "Not logged in",
    );
    const cookie = await login(app, "ann");
    const next: State = await (await post(app, "/api/next", {}, { cookie })).json();
    assertEquals([next.trace, next.question?.turn], ["alpha", 1]);
    const label = (body: unknown) => post(app, "/api/label", body, { cookie });
    await expectError(await label({ trace: "alpha", turn: 1, label: "maybe" }), 400, "label:");
    await expectError(await label({ trace: "alpha", turn: -1, label: [0] }), 400, "turn:");
    await expectError(await label({ trace: "alpha", turn: 1, label: [1, 0] }), 400, "sorted");
    await expectError(await label({ trace: "alpha", turn: 1, label: [9] }), 400, "out of range");
    await expectError(await label({ trace: "alpha", turn: 1, label: "need" }), 400, "label:");
    await expectError(
      await label({ trace: "../etc/passwd", turn: 1, label: [0] }),
      400,
      "not a valid trace name",
    );
    await expectError(
      await label({ trace: "a/b", turn: 1, label: [0] }),
      400,
      "not a valid trace name",
    );
    await expectError(
      await label({ trace: "nothing_here", turn: 1, label: [0] }),
      404,
      "Unknown trace",
    );
    await expectError(
      await label({ trace: "beta", turn: 0, label: [0] }),
      403,
      "not assigned to you",
    );
    await expectError(await label({ trace: "alpha", turn: 2, label: [0] }), 409, "not a question");
    await expectError(await label({ trace: "alpha", turn: 3, label: [0] }), 409, "not reached yet");
    const q = (query: string) => get(app, `/api/question?${query}`, cookie);
    await expectError(await q("trace=alpha"), 400, "turn:");
    await expectError(await q("turn=1"), 400, "trace:");
    await expectError(await q("trace=..%2Fx&turn=1"), 400, "not a valid trace name");
    await expectError(await q("trace=zzz&turn=1"), 404, "Unknown trace");
    await expectError(await q("trace=beta&turn=0"), 403, "not assigned");
    await expectError(await q("trace=alpha&turn=3"), 409, "not reached");
    await expectError(await get(app, "/api/state?since=-2", cookie), 400, "since:");
    await expectError(await post(app, "/api/next", { since: "x" }, { cookie }), 400, "since:");
  });
});

Deno.test("annotating a trace through the API, then status", async () => {
  await withContext({ annotatorsPerTrace: 1 }, async (ctx) => {
    const app = appOf(ctx);
    const cookie = await login(app, "ann");
    const empty: State = await (await get(app, "/api/state", cookie)).json();
    assertEquals([empty.trace, empty.allDone], [null, false]);
    let state: State = await (await post(app, "/api/next", { since: 7 }, { cookie })).json();
    assertEquals([state.trace, state.since, state.revealed, state.events.length], [
      "alpha",
      0,
      2,
      2,
    ]);
    state = await (await post(app, "/api/label", {
      trace: "alpha",
      turn: 1,
      label: [0, 2],
      since: 2,
    }, { cookie })).json();
    assertEquals([state.since, state.revealed, state.question?.turn, state.previousTurn], [
      2,
      4,
      3,
      1,
    ]);
    assertEquals(state.events.map((e) => e.turn), [2, 3]);
    const question = await (await get(app, "/api/question?trace=alpha&turn=1", cookie)).json();
    assertEquals([question.label, question.number, question.count], [[0, 2], 1, 3]);
    const resumed: State = await (await get(app, "/api/state?since=4", cookie)).json();
    assertEquals([resumed.question?.turn, resumed.events], [3, []]);
    for (const turn of [3, 4]) {
      state = await (await post(app, "/api/label", { trace: "alpha", turn, label: "Reject all" }, {
        cookie,
      })).json();
    }
    assertEquals([state.finished, state.question, state.revealed, state.previousTurn], [
      true,
      null,
      6,
      4,
    ]);
    // Changing an earlier answer of a finished trace keeps it finished.
    state =
      await (await post(app, "/api/label", { trace: "alpha", turn: 1, label: [1] }, { cookie }))
        .json();
    assertEquals(state.finished, true);

    const other = await login(app, "bob");
    await (await post(app, "/api/next", {}, { cookie: other })).body?.cancel();
    const names: (string | null)[] = [];
    for (let i = 0; i < 4; i++) {
      const next: State = await (await post(app, "/api/next", {}, { cookie })).json();
      names.push(next.trace);
      if (next.allDone) {
        // beta is bob's, still in progress: not "all done", just nothing left right now.
        assertEquals(next.nothingLeft, "full");
        assertStringIncludes(next.message!, "Nothing left for you right now");
        break;
      }
      for (const turn of ctx.catalog.get(next.trace!)!.questions) {
        const label = next.mode === "help" ? "no need" : [0];
        await (await post(app, "/api/label", { trace: next.trace, turn, label }, { cookie })).body
          ?.cancel();
      }
    }
    assertEquals(names, ["empty_gamma", null]); // beta went to bob, N = 1
    // Once bob is done too, every trace has its annotator: all done, for both.
    for (const turn of ctx.catalog.get("beta")!.questions) {
      const body = { trace: "beta", turn, label: [0] };
      await (await post(app, "/api/label", body, { cookie: other })).body?.cancel();
    }
    for (const who of [cookie, other]) {
      const done: State = await (await post(app, "/api/next", {}, { cookie: who })).json();
      assertEquals([done.nothingLeft, done.message], ["done", "All traces are done. Thank you!"]);
    }

    const admin = await login(app, "lead", ADMIN_PASSWORD);
    const status: Status = await (await get(app, "/api/status", admin)).json();
    assertEquals(status.annotatorsPerTrace, 1);
    assertEquals(status.traces.map((t) => [t.trace, t.mode, t.questions, t.done, t.inProgress]), [
      ["alpha", "tasks", 3, 1, 0],
      ["beta", "tasks", 2, 1, 0],
      ["empty_gamma", "help", 3, 1, 0],
    ]);
    assertEquals(status.traces[1].annotators[0].username, "bob");
    assertEquals(status.traces[1].annotators[0].status, "done");
    assertEquals(
      status.annotators.map((a) => [a.username, a.done, a.inProgress, a.labels]),
      [["ann", 2, 0, 6], ["bob", 1, 0, 2]],
    );
    // 6 labels within the same minute of the test clock: at least a minute, so 360 an hour.
    assertEquals(status.annotators.map((a) => a.labelsPerHour), [360, 120]);
    assertEquals(status.agreement, {
      measure: "Krippendorff's alpha (nominal)",
      value: null,
      units: 0,
      pairable: 0,
    });
    await expectError(await get(app, "/api/status"), 401, "Not logged in");
  });
});

Deno.test("status reports agreement over task labels of several annotators", async () => {
  await withContext({ annotatorsPerTrace: 2 }, async (ctx) => {
    const app = appOf(ctx);
    const cookies = [];
    for (const name of ["a", "b", "c", "d"]) {
      const cookie = await login(app, name);
      cookies.push(cookie);
      await (await post(app, "/api/next", {}, { cookie })).body?.cancel();
    }
    // a and d hold alpha; both answer turn 1 only: [0,2] vs [0] → units [T,T],[F,F],[T,F].
    for (const [cookie, label] of [[cookies[0], [0, 2]], [cookies[3], [0]]] as const) {
      const response = await post(app, "/api/label", { trace: "alpha", turn: 1, label }, {
        cookie,
      });
      assertEquals(response.status, 200);
      await response.body?.cancel();
    }
    const admin = await login(app, "lead", ADMIN_PASSWORD);
    const status: Status = await (await get(app, "/api/status", admin)).json();
    assertEquals([status.agreement.units, status.agreement.pairable], [3, 6]);
    assert(Math.abs(status.agreement.value! - 4 / 9) < 1e-12);
    // Per annotator: a and d share those 3 units (alpha 4/9 each); b and c share none.
    const byName = new Map(status.annotators.map((a) => [a.username, a]));
    for (const name of ["a", "d"]) {
      const own = byName.get(name)!.agreement;
      assertEquals([own.units, own.pairable], [3, 6], name);
      assert(Math.abs(own.value! - 4 / 9) < 1e-12, name);
    }
    assertEquals(byName.get("b")!.agreement, {
      ...status.agreement,
      value: null,
      units: 0,
      pairable: 0,
    });
    assertEquals(byName.get("a")!.labelsPerHour, null, "one label: no speed yet");
    // Totals: every trace has someone, none has its 2 annotators done; 2 of 16 labels, both
    // in the last hour, so 14 left take 7 hours at that pace.
    assertEquals(status.totals, {
      traces: { done: 0, inProgress: 3, untouched: 0 },
      labels: { done: 2, needed: 16 },
      labelsLastHour: 2,
      hoursLeft: 7,
    });
    // The label history as a download, for admins only.
    const download = await get(app, "/api/admin/history.jsonl", admin);
    assertEquals(
      download.headers.get("Content-Disposition"),
      'attachment; filename="label_history.jsonl"',
    );
    const lines = (await download.text()).trim().split("\n").map((line) => JSON.parse(line));
    // (Both at the same instant of the test clock: in either order.)
    const changes = lines.map((l) => JSON.stringify([l.trace, l.turn, l.old, l.new])).sort();
    assertEquals(changes, ['["alpha",1,null,[0,2]]', '["alpha",1,null,[0]]']);
    await expectError(await get(app, "/api/admin/history.jsonl", cookies[0]), 403, "Admins only");
  });
});

Deno.test("the result folder as a zip download, for admins only", async () => {
  await withContext({}, async (ctx) => {
    const result = '[{"real_user":{}}]\n';
    const notes = '{"trace":"alpha","turns":[]}\n';
    await Deno.writeTextFile(join(ctx.outDir, "alpha.json"), result);
    await Deno.mkdir(join(ctx.outDir, "notes"));
    await Deno.writeTextFile(join(ctx.outDir, "notes", "alpha.json"), notes);
    await Deno.mkdir(join(ctx.outDir, ".state"));
    await Deno.writeTextFile(join(ctx.outDir, ".state", "serve.lock"), "pid");
    const app = appOf(ctx);
    const admin = await login(app, "lead", ADMIN_PASSWORD);
    const download = await get(app, "/api/admin/results.zip", admin);
    assertEquals(download.status, 200);
    assertEquals(download.headers.get("Content-Type"), "application/zip");
    assertEquals(
      download.headers.get("Content-Disposition"),
      'attachment; filename="results-20240529T162640Z.zip"',
    );
    assertEquals(download.headers.get("Cache-Control"), "no-store");
    const entries = unzipSync(new Uint8Array(await download.arrayBuffer()));
    const decoder = new TextDecoder();
    assertEquals(
      Object.entries(entries).map(([name, bytes]) => [name, decoder.decode(bytes)]),
      [["results/alpha.json", result], ["results/notes/alpha.json", notes]],
    );
    const ann = await login(app, "ann");
    await expectError(await get(app, "/api/admin/results.zip", ann), 403, "Admins only");
    await expectError(await get(app, "/api/admin/results.zip"), 401, "Not logged in");
    const off = createApp({ ...ctx, password: PASSWORD });
    await expectError(await get(off, "/api/admin/results.zip", admin), 404, "--admin-password");
  });
});

Deno.test("login: spellings of a name are one annotator; old records keep their ids", async () => {
  await withContext({}, async (ctx) => {
    // Stored the old way (trimmed + NFC, case kept) before usernames were case-folded.
    const old = { id: "a".repeat(32), username: "Alice", createdAt: 1 };
    await ctx.kv.set(KEY.annotator("Alice"), old);
    const app = appOf(ctx);
    for (const spelling of ["Alice", "alice", " ALICE ", "\uff41\uff4c\uff49\uff43\uff45"]) {
      const response = await post(app, "/api/login", { username: spelling, password: PASSWORD });
      assertEquals((await response.json()).annotator, { username: "Alice", id: old.id }, spelling);
    }
    const bob = await (await post(app, "/api/login", { username: "Bob", password: PASSWORD }))
      .json();
    assertEquals(bob.annotator.username, "bob");
    const again = await post(app, "/api/login", { username: "BOB", password: PASSWORD });
    assertEquals((await again.json()).annotator.id, bob.annotator.id);
  });
});

Deno.test("a stale label (replaces) gets 409 with the current answer and version", async () => {
  await withContext({}, async (ctx) => {
    const app = appOf(ctx);
    const cookie = await login(app, "ann");
    const next: State = await (await post(app, "/api/next", {}, { cookie })).json();
    assertEquals([next.trace, next.question?.turn, next.question?.version], ["alpha", 1, null]);
    const label = (body: unknown) => post(app, "/api/label", body, { cookie });
    await expectError(
      await label({ trace: "alpha", turn: 1, label: [0], replaces: "old" }),
      400,
      "replaces:",
    );
    const saved = await label({ trace: "alpha", turn: 1, label: [0], replaces: "new" });
    assertEquals(saved.status, 200);
    assertEquals(((await saved.json()) as State).question?.turn, 3);
    const question = await (await get(app, "/api/question?trace=alpha&turn=1", cookie)).json();
    assertMatch(question.version, /^[0-9a-f]{20}$/);

    const stale = await label({ trace: "alpha", turn: 1, label: [1, 2], replaces: "new" });
    assertEquals(stale.status, 409);
    const body = await stale.json();
    assertStringIncludes(body.error, "answered meanwhile");
    assertEquals(body.current, { label: [0], version: question.version });

    const replaced = await label({
      trace: "alpha",
      turn: 1,
      label: [1, 2],
      replaces: body.current.version,
    });
    assertEquals(replaced.status, 200);
    await replaced.body?.cancel();
    const after = await (await get(app, "/api/question?trace=alpha&turn=1", cookie)).json();
    assertEquals(after.label, [1, 2]);
    assert(after.version > question.version);
  });
});

Deno.test("past the load limit API requests get 503 + Retry-After; pages are still served", async () => {
  await withContext({}, async (ctx) => {
    const app = createApp({ ...ctx, password: PASSWORD, load: { maxInFlight: 0 } });
    for (const response of [await post(app, "/api/login", {}), await get(app, "/api/state")]) {
      assertEquals(response.status, 503);
      assertEquals(response.headers.get("Retry-After"), "1");
      assertEquals(await response.json(), { error: "Server too busy, retrying" });
    }
    const page = await get(app, "/");
    assertEquals(page.status, 200);
    await page.body?.cancel();
    const health = await get(app, "/api/health"); // never shed: 503 there means stale files
    assertEquals([health.status, (await health.json()).ok], [200, true]);
  });
});

Deno.test("login: one durable commit stores a new annotator with its session, or the session alone", async () => {
  await withContext({}, async (ctx) => {
    const app = appOf(ctx);
    const before = ctx.commits.commits;
    const first = await post(app, "/api/login", { username: "Carol", password: PASSWORD });
    assertEquals(first.status, 200);
    const carol = (await first.json()).annotator;
    assertEquals(ctx.commits.commits - before, 1); // annotator + session, one atomic commit
    const stored = await ctx.kv.get<{ id: string }>(KEY.annotator("carol"));
    assertEquals(stored.value?.id, carol.id);
    const cookie = first.headers.get("Set-Cookie")!.split(";")[0];
    assertEquals((await (await get(app, "/api/me", cookie)).json()).annotator, carol);

    const again = await post(app, "/api/login", { username: "CAROL", password: PASSWORD });
    assertEquals((await again.json()).annotator, carol);
    assertEquals(ctx.commits.commits - before, 2); // the existing annotator: the session only
    // The session is in KV (not only in this app's cache): a fresh app finds it.
    const other = appOf(ctx);
    const token = again.headers.get("Set-Cookie")!.split(";")[0];
    assertEquals((await (await get(other, "/api/me", token)).json()).annotator, carol);

    // Racing first logins of one new name still give one id, and every session works.
    const racing = await Promise.all(
      ["dave", "Dave", " DAVE "].map((username) =>
        post(app, "/api/login", { username, password: PASSWORD })
      ),
    );
    const ids = new Set<string>();
    for (const response of racing) {
      assertEquals(response.status, 200);
      const cookieOf = response.headers.get("Set-Cookie")!.split(";")[0];
      ids.add((await response.json()).annotator.id);
      const me = await (await get(other, "/api/me", cookieOf)).json();
      assertEquals(me.annotator.username, "dave");
    }
    assertEquals(ids.size, 1);
  });
});

Deno.test("admin: off without an admin password, 403 for annotators, an admin does not annotate", async () => {
  await withContext({}, async (ctx) => {
    const off = createApp({ ...ctx, password: PASSWORD });
    const annotator = await login(off, "ann");
    await expectError(await get(off, "/api/status", annotator), 404, "--admin-password");
    const offPage = await get(off, "/status", annotator);
    assertEquals(offPage.status, 404);
    assertStringIncludes(await offPage.text(), "PROACTIVE_ADMIN_PASSWORD");
    // The admin password of another server opens nothing here: it is a wrong password.
    const wrong = await post(off, "/api/login", { username: "lead", password: ADMIN_PASSWORD });
    assertEquals(wrong.status, 401);
    await wrong.body?.cancel();

    const app = appOf(ctx);
    const ann = await login(app, "ann");
    await expectError(await get(app, "/api/status", ann), 403, "Admins only");
    const page = await get(app, "/status", ann);
    assertEquals(page.status, 403);
    assertStringIncludes(await page.text(), "admin password");
    const me = await (await get(app, "/api/me", ann)).json();
    assertEquals(Object.keys(me), ["annotator"]);

    const response = await post(app, "/api/login", { username: "Lead", password: ADMIN_PASSWORD });
    assertEquals(await response.json(), { admin: { username: "Lead" } });
    const admin = response.headers.get("Set-Cookie")!.split(";")[0];
    assertEquals(await (await get(app, "/api/me", admin)).json(), { admin: { username: "Lead" } });
    assertEquals((await get(app, "/api/status", admin)).status, 200);
    const adminPage = await get(app, "/status", admin);
    assertEquals(adminPage.status, 200);
    await adminPage.body?.cancel();
    for (
      const [path, body] of [["/api/next", {}], ["/api/label", {
        trace: "alpha",
        turn: 1,
        label: [0],
      }]] as const
    ) {
      await expectError(await post(app, path, body, { cookie: admin }), 403, "does not annotate");
    }
    await expectError(await get(app, "/api/state", admin), 403, "does not annotate");
    // An admin login creates no annotator: the status lists only ann.
    const status: Status = await (await get(app, "/api/status", admin)).json();
    assertEquals(status.annotators.map((a) => a.username), ["ann"]);
  });
});

Deno.test("next: nothing left because every open trace is the annotator's own", async () => {
  await withContext({ annotatorsPerTrace: 2 }, async (ctx) => {
    const app = appOf(ctx);
    const cookie = await login(app, "solo");
    for (let i = 0; i < 3; i++) {
      const next: State = await (await post(app, "/api/next", {}, { cookie })).json();
      for (const turn of ctx.catalog.get(next.trace!)!.questions) {
        const label = next.mode === "help" ? "need" : "Reject all";
        await (await post(app, "/api/label", { trace: next.trace, turn, label }, { cookie })).body
          ?.cancel();
      }
    }
    const last: State = await (await post(app, "/api/next", {}, { cookie })).json();
    assertEquals([last.allDone, last.nothingLeft], [true, "yours"]);
    assertStringIncludes(last.message!, "You have annotated every trace");
  });
});

Deno.test("every State carries the annotator's traces and the project's labels", async () => {
  await withContext({ annotatorsPerTrace: 2 }, async (ctx) => {
    const app = appOf(ctx);
    const needed = ctx.catalog.traces.reduce((n, t) => n + t.questions.length, 0) * 2;
    const ann = await login(app, "ann");
    const bob = await login(app, "bob");
    let state: State = await (await get(app, "/api/state", ann)).json();
    assertEquals(state.progress, {
      traces: { done: 0, inProgress: 0 },
      labels: { done: 0, needed },
    });
    state = await (await post(app, "/api/next", {}, { cookie: ann })).json();
    assertEquals(state.progress!.traces, { done: 0, inProgress: 1 });
    const trace = ctx.catalog.get(state.trace!)!;
    for (const turn of trace.questions) {
      const label = trace.mode === "help" ? "need" : "Reject all";
      state = await (await post(app, "/api/label", { trace: trace.name, turn, label }, {
        cookie: ann,
      })).json();
    }
    assertEquals(state.progress, {
      traces: { done: 1, inProgress: 0 },
      labels: { done: trace.questions.length, needed },
    });
    // bob sees the project's count, and his own traces only.
    const theirs: State = await (await post(app, "/api/next", {}, { cookie: bob })).json();
    assertEquals(theirs.progress, {
      traces: { done: 0, inProgress: 1 },
      labels: { done: trace.questions.length, needed },
    });
  });
});

Deno.test("answers: the annotator's own answers of a trace, in order; 403 for a trace not theirs", async () => {
  await withContext({}, async (ctx) => {
    const app = appOf(ctx);
    const ann = await login(app, "ann");
    const next: State = await (await post(app, "/api/next", {}, { cookie: ann })).json();
    const trace = ctx.catalog.get(next.trace!)!;
    const labels = trace.mode === "help" ? ["need", "no need"] : [[0], "Reject all"];
    for (const [i, label] of labels.entries()) {
      const body = { trace: trace.name, turn: trace.questions[i], label };
      await (await post(app, "/api/label", body, { cookie: ann })).body?.cancel();
    }
    const list = await (await get(app, `/api/answers?trace=${trace.name}`, ann)).json();
    assertEquals(list, {
      trace: trace.name,
      count: trace.questions.length,
      answers: labels.map((label, i) => ({ turn: trace.questions[i], number: i + 1, label })),
    });
    const bob = await login(app, "bob");
    await expectError(await get(app, `/api/answers?trace=${trace.name}`, bob), 403, "not assigned");
    await expectError(await get(app, "/api/answers", bob), 400, "trace: required");
    await expectError(await get(app, "/api/answers?trace=nope", bob), 404, "Unknown trace");
  });
});

Deno.test("admin: releasing an annotator's unfinished trace frees it and removes its labels", async () => {
  await withContext({ annotatorsPerTrace: 1 }, async (ctx) => {
    const app = appOf(ctx);
    const bob = await login(app, "bob");
    const taken: State = await (await post(app, "/api/next", {}, { cookie: bob })).json();
    const trace = ctx.catalog.get(taken.trace!)!;
    const label = trace.mode === "help" ? "need" : [0];
    const body = { trace: trace.name, turn: trace.questions[0], label };
    await (await post(app, "/api/label", body, { cookie: bob })).body?.cancel();
    const bobId = taken.annotator.id;
    await expectError(
      await post(app, "/api/admin/release", { annotator: bobId }, { cookie: bob }),
      403,
      "Admins only",
    );

    const admin = await login(app, "lead", ADMIN_PASSWORD);
    const reply = await post(app, "/api/admin/release", { annotator: bobId }, { cookie: admin });
    assertEquals(await reply.json(), { released: [trace.name] });
    const status: Status = await (await get(app, "/api/status", admin)).json();
    const row = status.traces.find((t) => t.trace === trace.name)!;
    assertEquals([row.done, row.inProgress], [0, 0], "the slot is free");
    const bobs = status.annotators.find((a) => a.username === "bob")!;
    assertEquals([bobs.inProgress, bobs.labels], [0, 0], "and bob's label on it is gone");
    // Released again: nothing left to release; a malformed id is a 400.
    assertEquals(
      await (await post(app, "/api/admin/release", { annotator: bobId }, { cookie: admin })).json(),
      { released: [] },
    );
    await expectError(
      await post(app, "/api/admin/release", { annotator: "bob" }, { cookie: admin }),
      400,
      "annotator",
    );
  });
});

Deno.test("admin: a blocked user name is refused at once and at login, its labels stay", async () => {
  await withContext({}, async (ctx) => {
    const app = appOf(ctx);
    const ann = await login(app, "ann");
    const taken: State = await (await post(app, "/api/next", {}, { cookie: ann })).json();
    const trace = ctx.catalog.get(taken.trace!)!;
    const body = {
      trace: trace.name,
      turn: trace.questions[0],
      label: trace.mode === "help" ? "need" : [0],
    };
    await (await post(app, "/api/label", body, { cookie: ann })).body?.cancel();
    const block = (cookie: string, blocked: boolean) =>
      post(app, "/api/admin/block", { username: " ANN ", blocked }, { cookie });
    await expectError(await block(ann, true), 403, "Admins only");

    const admin = await login(app, "lead", ADMIN_PASSWORD);
    assertEquals(await (await block(admin, true)).json(), { blocked: ["ann"] });
    await expectError(await get(app, "/api/state", ann), 403, "blocked"); // the session ends
    const again = await post(app, "/api/login", { username: "Ann", password: PASSWORD });
    assertEquals(again.status, 403);
    await again.body?.cancel();
    const status = await (await get(app, "/api/status", admin)).json();
    assertEquals(status.blocked, ["ann"]);
    assertEquals(
      status.annotators.find((a: { username: string }) => a.username === "ann").labels,
      1,
    );

    assertEquals(await (await block(admin, false)).json(), { blocked: [] });
    assertEquals((await get(app, "/api/state", ann)).status, 200, "unblocked: the session works");
  });
});

/** Every admin route: its method, path and a well-formed body. */
const ADMIN_ROUTES: [string, string, unknown?][] = [
  ["GET", "/api/status"],
  ["GET", "/api/admin/history.jsonl"],
  ["GET", "/api/admin/results.zip"],
  ["GET", "/api/admin/review"],
  ["GET", "/api/admin/review/events?trace=alpha&turn=1"],
  ["POST", "/api/admin/release", { annotator: "0".repeat(32) }],
  ["POST", "/api/admin/block", { username: "x", blocked: true }],
  ["POST", "/api/admin/decision", { trace: "alpha", turn: 1, label: [0] }],
];

Deno.test("every admin route: 404 while off, 401 without a session, 403 for an annotator", async () => {
  await withContext({}, async (ctx) => {
    const app = appOf(ctx);
    const off = createApp({ ...ctx, password: PASSWORD });
    const ann = await login(app, "ann");
    const offAnn = await login(off, "ann");
    for (const [method, path, body] of ADMIN_ROUTES) {
      const send = (on: Hono, cookie?: string) =>
        method === "GET" ? get(on, path, cookie) : post(on, path, body, { cookie });
      await expectError(await send(off, offAnn), 404, "--admin-password");
      await expectError(await send(app), 401, "Not logged in");
      await expectError(await send(app, ann), 403, "Admins only");
    }
    for (const page of ["/status", "/review"]) {
      const response = await get(app, page, ann);
      assertEquals(response.status, 403, page);
      await response.body?.cancel();
    }
    assertEquals((await storedDecisions(ctx)).length, 0, "the annotator's decision was not stored");
  });
});

async function storedDecisions(ctx: TestContext) {
  const decisions = [];
  for await (const entry of ctx.kv.list({ prefix: KEY.decisions })) decisions.push(entry);
  return decisions;
}

Deno.test("review: the queue, the events up to a question, and a decision (admins only)", async () => {
  await withContext({}, async (ctx) => {
    const app = appOf(ctx);
    const admin = await login(app, "lead", ADMIN_PASSWORD);
    const empty = await (await get(app, "/api/admin/review", admin)).json();
    assertEquals(empty, { units: [] });
    const events = await (await get(app, "/api/admin/review/events?trace=alpha&turn=3", admin))
      .json();
    assertEquals(events.trace, "alpha");
    assertEquals(events.events.map((e: { turn: number }) => e.turn), [0, 1, 2, 3]);
    await expectError(
      await get(app, "/api/admin/review/events?trace=alpha&turn=0", admin),
      409,
      "not a question",
    );
    await expectError(
      await get(app, "/api/admin/review/events?trace=nope&turn=1", admin),
      404,
      "nope",
    );
    await expectError(
      await post(app, "/api/admin/decision", { trace: "alpha", turn: 1, label: [9] }, {
        cookie: admin,
      }),
      400,
      "out of range",
    );
    await expectError(
      await post(app, "/api/admin/decision", {
        trace: "alpha",
        turn: 1,
        label: [0],
        note: "x".repeat(501),
      }, {
        cookie: admin,
      }),
      400,
      "note: at most 500 characters",
    );
    const ok = await post(app, "/api/admin/decision", {
      trace: "alpha",
      turn: 1,
      label: [0],
      note: " kept ",
    }, {
      cookie: admin,
    });
    assertEquals(await ok.json(), { ok: true });
    const { units } = await (await get(app, "/api/admin/review", admin)).json();
    assertEquals(units.length, 1, "a decided question is listed even without labels");
    assertEquals([units[0].trace, units[0].turn, units[0].decision.label, units[0].decision.note], [
      "alpha",
      1,
      [0],
      "kept",
    ]);
    assertEquals(units[0].decision.by, "lead");
    assertEquals(ctx.changed.at(-1), "alpha");
  });
});
