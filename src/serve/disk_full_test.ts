import { assert, assertEquals } from "../../tests/assert.ts";
import { CommitBatcher } from "./commit_batcher.ts";
import { diskFullApiError, isDiskFullError } from "./disk_full.ts";
import { createApp } from "./serve_app.ts";
import { withContext } from "./testing/test_context.ts";

Deno.test("isDiskFullError recognises SQLite's and the OS's disk-full errors only", () => {
  assert(isDiskFullError(new Error("database or disk is full")));
  assert(isDiskFullError(new Error("No space left on device (os error 28)")));
  assert(isDiskFullError(Object.assign(new Error("write failed"), { code: "ENOSPC" })));
  assert(isDiskFullError(new Error("Disk quota exceeded (os error 122)")));
  assert(!isDiskFullError(new Error("Permission denied (os error 13)")));
  assert(!isDiskFullError(new Error("os error 280")));
  assert(!isDiskFullError("database is locked"));
});

Deno.test("diskFullApiError is a 507 that says what happened", () => {
  const error = diskFullApiError(new Error("database or disk is full"));
  assertEquals(error.status, 507);
  assert(error.message.includes("disk is full"), error.message);
  assert(error.message.includes("database or disk is full"), error.message);
});

/** `kv` whose atomic commits fail like SQLite on a full disk while `full()` is true. */
function fillableKv(kv: Deno.Kv, full: () => boolean): Deno.Kv {
  return new Proxy(kv, {
    get(target, prop) {
      if (prop === "atomic") {
        return () => {
          const op = target.atomic();
          const commit = op.commit.bind(op);
          op.commit = () =>
            full() ? Promise.reject(new Error("database or disk is full")) : commit();
          return op;
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

Deno.test("a label on a full disk is a 507 with a clear message; a wrong password still a 401", async () => {
  await withContext({}, async (ctx) => {
    let full = false;
    const kv = fillableKv(ctx.kv, () => full);
    const app = createApp({ ...ctx, kv, commits: new CommitBatcher(kv), password: "pw" });
    const send = (path: string, body: unknown, cookie = "") =>
      Promise.resolve(app.request(path, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...(cookie ? { Cookie: cookie } : {}) },
        body: JSON.stringify(body),
      }));
    const login = await send("/api/login", { username: "ann", password: "pw" });
    assertEquals(login.status, 200);
    await login.body?.cancel();
    const cookie = login.headers.get("Set-Cookie")!.split(";")[0];
    const next = await (await send("/api/next", {}, cookie)).json();
    full = true;
    const label = await send("/api/label", {
      trace: next.trace,
      turn: next.question.turn,
      label: "Reject all",
    }, cookie);
    assertEquals(label.status, 507);
    const body = await label.json();
    assert(body.error.includes("disk is full"), body.error);
    assert(!body.error.includes("Internal server error"));
    const wrong = await send("/api/login", { username: "ann", password: "nope" });
    assertEquals([wrong.status, (await wrong.json()).error], [401, "Wrong password"]);
    assert(ctx.logLines.some((l) => l.includes("Cannot store the login attempt")));
    // Nothing was stored; once there is room again the same label goes through.
    full = false;
    const again = await send("/api/label", {
      trace: next.trace,
      turn: next.question.turn,
      label: "Reject all",
    }, cookie);
    assertEquals(again.status, 200);
    await again.body?.cancel();
  });
});
