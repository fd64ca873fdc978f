import { assert, assertEquals } from "../../tests/assert.ts";
import { healthStatus, shutdownLine, storageHealth } from "./health.ts";
import type { StaleFile } from "./result_writer.ts";
import { createApp } from "./serve_app.ts";
import { withContext } from "./testing/test_context.ts";

const STALE = {
  trace: "alpha",
  path: "/srv/out/alpha.json",
  error: "Is a directory (os error 21)",
  since: Date.UTC(2026, 0, 2, 3, 4, 5),
  attempts: 3,
};

Deno.test("storageHealth: ok with no stale files, 503 reasons otherwise", () => {
  const healthy = storageHealth([]);
  assertEquals(healthy, { ok: true, staleFiles: [], reasons: [] });
  assertEquals(healthStatus(healthy), 200);
  const sick = storageHealth([STALE]);
  assertEquals(healthStatus(sick), 503);
  assertEquals(sick.staleFiles, [{
    trace: "alpha",
    file: "alpha.json",
    error: "Is a directory (os error 21)",
    since: "2026-01-02T03:04:05.000Z",
    attempts: 3,
  }]);
  assert(sick.reasons[0].includes("alpha.json is stale: Is a directory"), sick.reasons[0]);
});

Deno.test("shutdownLine counts the stale files and says why", () => {
  assertEquals(shutdownLine([]), "Server stopped; result files are up to date");
  const one = shutdownLine([STALE]);
  assert(
    one.startsWith(`Server stopped; 1 result file is stale: "/srv/out/alpha.json" (Is a directory`),
    one,
  );
  const two = shutdownLine([STALE, { ...STALE, trace: "beta", path: "/srv/out/beta.json" }]);
  assert(two.includes("2 result files are stale"), two);
  assert(two.includes('"/srv/out/beta.json"'), two);
});

Deno.test("GET /api/health: 200 when every file is current, 503 with the reasons otherwise", async () => {
  await withContext({}, async (ctx) => {
    let stale: StaleFile[] = [];
    const app = createApp({ ...ctx, storageHealth: () => storageHealth(stale), password: "pw" });
    const healthy = await app.request("/api/health");
    assertEquals([healthy.status, await healthy.json()], [200, {
      ok: true,
      staleFiles: [],
      reasons: [],
    }]);
    stale = [STALE];
    const sick = await app.request("/api/health");
    assertEquals(sick.status, 503);
    const body = await sick.json();
    assertEquals([body.ok, body.staleFiles[0].file], [false, "alpha.json"]);
    assert(body.reasons[0].includes("Is a directory"), body.reasons[0]);
    // A context without a writer (unit tests) is healthy.
    const plain = await createApp({ ...ctx, password: "pw" }).request("/api/health");
    assertEquals(plain.status, 200);
    await plain.body?.cancel();
  });
});
