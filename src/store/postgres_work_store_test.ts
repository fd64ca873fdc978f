import postgres from "postgres";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { migrate, MIGRATIONS, SCHEMA_VERSION } from "./postgres_schema.ts";
import { openPostgresWorkStore, redactDatabaseUrl } from "./postgres_work_store.ts";
import { postgresMissing, startPostgresCluster } from "./testing/postgres_cluster.ts";
import { runWorkStoreSuite } from "./testing/work_store_suite.ts";

const missing = postgresMissing();

/** A URL of `cluster` naming database `name`. */
function databaseUrl(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

Deno.test({
  name: "work store on PostgreSQL: the behavioural suite",
  ignore: missing !== undefined,
  async fn(t) {
    await using cluster = await startPostgresCluster();
    const admin = postgres(cluster.url, { onnotice: () => {} });
    let databases = 0;
    try {
      await runWorkStoreSuite(t, async (clock) => {
        const name = `suite_${++databases}`;
        await admin.unsafe(`CREATE DATABASE ${name}`);
        return await openPostgresWorkStore(databaseUrl(cluster.url, name), {
          now: () => clock.now,
        });
      });
    } finally {
      await admin.end();
    }
  },
});

Deno.test({
  name: "the schema is created once, recorded, and a newer one is refused",
  ignore: missing !== undefined,
  async fn() {
    await using cluster = await startPostgresCluster();
    const sql = postgres(cluster.url, { onnotice: () => {} });
    try {
      // Workers starting at once: one of them creates the schema, all see it done.
      const before = await Promise.all([migrate(sql), migrate(sql), migrate(sql)]);
      assertEquals(before.toSorted(), [0, SCHEMA_VERSION, SCHEMA_VERSION]);
      const rows = await sql`SELECT version, name FROM proactive_schema ORDER BY version`;
      assertEquals(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
      await sql`INSERT INTO proactive_schema (version, name) VALUES (${SCHEMA_VERSION + 1}, 'x')`;
      const error = await assertRejects(() => openPostgresWorkStore(cluster.url), ProactiveError);
      assertStringIncludes(error.message, "set up by a newer proactive");
    } finally {
      await sql.end();
    }
  },
});

Deno.test("database URLs are shown without their password", () => {
  assertEquals(
    redactDatabaseUrl("postgres://lab:s3cr%40t@db.example:5432/gym?sslmode=require"),
    "postgres://lab:***@db.example:5432/gym?sslmode=require",
  );
  assertEquals(
    redactDatabaseUrl("postgres://db/gym?password=hunter2"),
    "postgres://db/gym?password=***",
  );
  assert(!redactDatabaseUrl("not a url :: hunter2").includes("hunter2"));
});

Deno.test({
  name: "an unreachable database is a clear error without the password",
  ignore: missing !== undefined,
  async fn() {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const { port } = listener.addr as Deno.NetAddr;
    listener.close(); // nothing listens there now
    const url = `postgres://lab:hunter2@127.0.0.1:${port}/gym`;
    const error = await assertRejects(
      () => openPostgresWorkStore(url, { connectTimeoutS: 2 }),
      ProactiveError,
    );
    assertStringIncludes(
      error.message,
      `Cannot open the database postgres://lab:***@127.0.0.1:${port}/gym`,
    );
    assert(!error.message.includes("hunter2"), error.message);
  },
});

Deno.test({
  name: "a database of an older schema is migrated forward, version by version",
  ignore: missing !== undefined,
  async fn() {
    await using cluster = await startPostgresCluster();
    const sql = postgres(cluster.url, { onnotice: () => {} });
    try {
      // A database set up by a proactive that knew only the first schema version.
      await sql.unsafe(MIGRATIONS[0].sql);
      await sql`CREATE TABLE proactive_schema (version integer PRIMARY KEY, name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now())`;
      await sql`INSERT INTO proactive_schema (version, name) VALUES (1, ${MIGRATIONS[0].name})`;
      await sql`INSERT INTO proactive_scenes (key, payload, enqueued_at) VALUES ('old', '{}', 1)`;
      assertEquals(await migrate(sql), 1, "it was at version 1");
      const versions = await sql`SELECT version FROM proactive_schema ORDER BY version`;
      assertEquals(versions.map((r) => r.version), MIGRATIONS.map((m) => m.version));
      const store = await openPostgresWorkStore(cluster.url);
      assertEquals((await store.scenes.list()).map((r) => r.key), ["old"], "its data kept");
      assertEquals(await store.runs.list(), [], "the new table is there");
      await store.close();
    } finally {
      await sql.end();
    }
  },
});
