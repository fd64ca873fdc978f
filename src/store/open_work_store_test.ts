import { assertEquals } from "../../tests/assert.ts";
import { withTempDir } from "../../tests/temp_dir.ts";
import { isDatabaseUrl, openWorkStore } from "./open_work_store.ts";
import { postgresMissing, startPostgresCluster } from "./testing/postgres_cluster.ts";

Deno.test("--db: a postgres:// URL is PostgreSQL, anything else a Deno KV file", async () => {
  for (const url of ["postgres://h/db", "postgresql://u:p@h:5432/db", "POSTGRES://h/db"]) {
    assertEquals(isDatabaseUrl(url), true, url);
  }
  for (const path of ["work.kv", "/data/postgres/work.kv", "postgres.kv", "http://h/db"]) {
    assertEquals(isDatabaseUrl(path), false, path);
  }
  await withTempDir(async (dir) => {
    const store = await openWorkStore(`${dir}/state/work.kv`);
    assertEquals([store.engine, store.where], ["kv", `${dir}/state/work.kv`]);
    await store.close();
  });
});

Deno.test({
  name: "--db postgres://… opens PostgreSQL and names it without the password",
  ignore: postgresMissing() !== undefined,
  async fn() {
    await using cluster = await startPostgresCluster();
    const store = await openWorkStore(cluster.url);
    assertEquals([store.engine, store.where], ["postgres", cluster.url]);
    await store.close();
  },
});
