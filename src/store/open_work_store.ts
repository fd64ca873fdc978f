/**
 * Choosing the engine of the work store (`work_store.ts`): `--db` (or
 * `PROACTIVE_DATABASE_URL`) with a `postgres://` / `postgresql://` URL opens PostgreSQL
 * (`postgres_work_store.ts`, workers on many machines); anything else is the path of a
 * local Deno KV file (`kv_work_store.ts`, the zero-setup default on one machine).
 *
 * @module
 */
import type { FlagDecls } from "../cli/flags.ts";
import { openKvWorkStore } from "./kv_work_store.ts";
import { openPostgresWorkStore, redactDatabaseUrl } from "./postgres_work_store.ts";
import type { WorkStore } from "./work_store.ts";

/** The `--db` flag, declared once for every command that shares work. */
export const DB_FLAG = {
  db: {
    kind: "string",
    value: "URL",
    env: "PROACTIVE_DATABASE_URL",
    help: [
      "Share the work through PostgreSQL (postgres://user:pass@host/db),",
      "or a Deno KV file (a path); env PROACTIVE_DATABASE_URL",
    ],
  },
} as const satisfies FlagDecls;

/** True for a PostgreSQL connection URL. */
export function isDatabaseUrl(db: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(db);
}

export interface OpenWorkStoreOptions {
  now?: () => number;
  /** Seconds to wait for a PostgreSQL connection (default 10). */
  connectTimeoutS?: number;
}

/** How messages name the store `db` (its `where` once open): no password. */
export function workStoreWhere(db: string): string {
  return isDatabaseUrl(db) ? redactDatabaseUrl(db) : db;
}

/** Opens the store `db` names (see the module doc). */
export function openWorkStore(db: string, options: OpenWorkStoreOptions = {}): Promise<WorkStore> {
  return isDatabaseUrl(db)
    ? openPostgresWorkStore(db, options)
    : openKvWorkStore(db, { now: options.now });
}
