/**
 * The PostgreSQL schema of the work store (`postgres_work_store.ts`), created and migrated
 * by the program itself, never by hand: `migrate` applies the `MIGRATIONS` a database
 * lacks, in order, in one transaction under an advisory lock (so workers starting at once
 * do it once), and records each in `proactive_schema (version, name, applied_at)`. A
 * database set up by a newer proactive (a version this one does not know) is refused.
 *
 * Keys are `text COLLATE "C"` (byte order: the order Deno KV lists them in), times are
 * milliseconds as `double precision` (exact up to 2^53).
 *
 * @module
 */
import type { Sql } from "postgres";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "scene queue, scene logs, completion cache",
    sql: `
      CREATE TABLE proactive_scenes (
        key text COLLATE "C" PRIMARY KEY,
        payload text NOT NULL,
        status text NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'leased', 'done', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        owner text,
        token text,
        expires_at double precision,
        reason text,
        enqueued_at double precision NOT NULL,
        leased_at double precision,
        done_at double precision
      );
      CREATE INDEX proactive_scenes_by_status ON proactive_scenes (status, key);
      CREATE TABLE proactive_scene_logs (
        key text COLLATE "C" PRIMARY KEY REFERENCES proactive_scenes (key) ON DELETE CASCADE,
        log text NOT NULL
      );
      CREATE TABLE proactive_completions (
        key text COLLATE "C" PRIMARY KEY,
        request text NOT NULL,
        completion text NOT NULL,
        created_at double precision NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: "run accounting",
    sql: `
      CREATE TABLE proactive_runs (
        owner text COLLATE "C" PRIMARY KEY,
        at double precision NOT NULL,
        account text NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: "stored files of resumable steps",
    sql: `
      CREATE TABLE proactive_files (
        key text COLLATE "C" PRIMARY KEY,
        body text NOT NULL,
        at double precision NOT NULL
      );
    `,
  },
];

/** An arbitrary constant: the advisory lock the migrations run under. */
const MIGRATION_LOCK = 7_310_402_117;

/** The newest schema version this program knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/**
 * Brings the database to `SCHEMA_VERSION`; resolves to the version it had before (0: new).
 * Throws when the database is newer than this program.
 */
export async function migrate(sql: Sql): Promise<number> {
  return await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`
      CREATE TABLE IF NOT EXISTS proactive_schema (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`;
    const [{ version }] = await tx<{ version: number }[]>`
      SELECT coalesce(max(version), 0)::integer AS version FROM proactive_schema`;
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `the database was set up by a newer proactive (schema version ${version}; this one ` +
          `knows up to ${SCHEMA_VERSION}): upgrade proactive on this machine`,
      );
    }
    for (const migration of MIGRATIONS) {
      if (migration.version <= version) continue;
      await tx.unsafe(migration.sql);
      await tx`INSERT INTO proactive_schema (version, name)
        VALUES (${migration.version}, ${migration.name})`;
    }
    return version;
  });
}
