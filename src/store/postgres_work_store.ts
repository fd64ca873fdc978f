/**
 * `WorkStore` on PostgreSQL (`--db postgres://…` or `PROACTIVE_DATABASE_URL`), for workers
 * on many machines. Client: the `postgres` npm package (porsager/postgres: pure
 * JavaScript, no native module, a pool with prepared statements, well kept); schema from
 * `postgres_schema.ts`, migrated at open.
 *
 * - A claim is one transaction: the next row in key order that is pending or whose lease
 *   expired, `FOR UPDATE SKIP LOCKED` (workers racing take different rows, none waits for
 *   another), updated with the owner, a new token, the expiry and attempts + 1. Expired
 *   leases on their last attempt are failed first, in the same transaction.
 * - Renew, complete, fail and release are single statements fenced by `token` and
 *   `status = 'leased'`: a worker whose lease was taken over changes nothing. `complete`
 *   stores the log in the same statement as the status.
 * - The completion cache is `INSERT … ON CONFLICT DO NOTHING`: racing identical requests
 *   may both be paid for, but the first answer stored stays.
 *
 * The URL's password never appears in `where`, in errors or in logs (`redactDatabaseUrl`).
 *
 * @module
 */
import postgres, { type Sql } from "postgres";
import { runtimeError } from "../cli/errors.ts";
import type { Completion, CompletionCache } from "../llm/completion_cache.ts";
import { migrate } from "./postgres_schema.ts";
import {
  expiredReason,
  type RunAccount,
  type SceneClaim,
  type SceneQueue,
  type SceneRow,
  type SceneStatus,
  type WorkStore,
} from "./work_store.ts";

export interface PostgresWorkStoreOptions {
  now?: () => number;
  /** Connections in the pool (default 4). */
  connections?: number;
  /** Seconds to wait for a connection before the call fails (default 10). */
  connectTimeoutS?: number;
}

/** `url` without its password (for messages): `postgres://user:***@host/db`. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    for (const name of [...parsed.searchParams.keys()]) {
      if (/pass|secret|key/i.test(name)) parsed.searchParams.set(name, "***");
    }
    return parsed.toString();
  } catch {
    return "<a database URL that does not parse>";
  }
}

/** `message` without any occurrence of the URL's password. */
function withoutPassword(message: string, url: string): string {
  let password = "";
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // no password to hide
  }
  return password === "" ? message : message.split(password).join("***");
}

/** Opens the database at `url`, migrating its schema; errors name it without password. */
export async function openPostgresWorkStore(
  url: string,
  options: PostgresWorkStoreOptions = {},
): Promise<WorkStore> {
  const where = redactDatabaseUrl(url);
  const sql = postgres(url, {
    max: options.connections ?? 4,
    connect_timeout: options.connectTimeoutS ?? 10,
    idle_timeout: 60,
    onnotice: () => {},
  });
  try {
    await migrate(sql);
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => {});
    const reason = withoutPassword((error as Error).message ?? String(error), url);
    throw runtimeError(`Cannot open the database ${where}: ${reason}`, error);
  }
  return createPostgresWorkStore(sql, { where, now: options.now });
}

/** The work store over an open pool (see the module doc); `close` ends the pool. */
export function createPostgresWorkStore(
  sql: Sql,
  { where, now = Date.now }: { where: string; now?: () => number },
): WorkStore {
  return {
    engine: "postgres",
    where,
    scenes: sceneQueue(sql, now),
    completions: completionTable(sql, now),
    files: {
      async get(key) {
        const [row] = await sql<{ body: string }[]>`
          SELECT body FROM proactive_files WHERE key = ${key}`;
        return row?.body;
      },
      async put(key, text) {
        await sql`
          INSERT INTO proactive_files (key, body, at) VALUES (${key}, ${text}, ${now()})
          ON CONFLICT (key) DO UPDATE SET body = excluded.body, at = excluded.at`;
      },
      async keys(prefix) {
        const rows = await sql<{ key: string }[]>`
          SELECT key FROM proactive_files WHERE starts_with(key, ${prefix}) ORDER BY key`;
        return rows.map((row) => row.key);
      },
    },
    runs: {
      async record(account) {
        await sql`
          INSERT INTO proactive_runs (owner, at, account)
          VALUES (${account.owner}, ${account.at}, ${JSON.stringify(account)})
          ON CONFLICT (owner) DO UPDATE SET at = excluded.at, account = excluded.account`;
      },
      async list() {
        const rows = await sql<{ account: string }[]>`
          SELECT account FROM proactive_runs ORDER BY owner`;
        return rows.map((row) => JSON.parse(row.account) as RunAccount);
      },
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
}

interface Row {
  key: string;
  payload: string;
  status: SceneStatus;
  attempts: number;
  owner: string | null;
  token: string | null;
  expires_at: number | null;
  reason: string | null;
  done_at: number | null;
}

function sceneQueue(sql: Sql, now: () => number): SceneQueue {
  return {
    async enqueue(scenes) {
      let added = 0;
      const at = now();
      for (let i = 0; i < scenes.length; i += 500) {
        const batch = scenes.slice(i, i + 500).map((s) => ({
          key: s.key,
          payload: s.payload,
          enqueued_at: at,
        }));
        const rows = await sql`
          INSERT INTO proactive_scenes ${sql(batch, "key", "payload", "enqueued_at")}
          ON CONFLICT (key) DO NOTHING RETURNING key`;
        added += rows.length;
      }
      return { added, known: scenes.length - added };
    },

    claim(owner, { ttlMs, maxAttempts }) {
      return sql.begin(async (tx) => {
        const at = now();
        const spent = await tx<{ key: string; attempts: number }[]>`
          SELECT key, attempts FROM proactive_scenes
          WHERE status = 'leased' AND expires_at <= ${at} AND attempts >= ${maxAttempts}
          FOR UPDATE SKIP LOCKED`;
        for (const { key, attempts } of spent) {
          await tx`UPDATE proactive_scenes SET status = 'failed', reason = ${
            expiredReason(attempts)
          }, token = NULL, expires_at = NULL WHERE key = ${key}`;
        }
        const [next] = await tx<{ key: string }[]>`
          SELECT key FROM proactive_scenes
          WHERE status = 'pending' OR (status = 'leased' AND expires_at <= ${at})
          ORDER BY key LIMIT 1 FOR UPDATE SKIP LOCKED`;
        if (!next) return undefined;
        const token = crypto.randomUUID();
        const [row] = await tx<Row[]>`
          UPDATE proactive_scenes SET status = 'leased', owner = ${owner}, token = ${token},
            expires_at = ${at + ttlMs}, attempts = attempts + 1, leased_at = ${at}
          WHERE key = ${next.key}
          RETURNING key, payload, attempts, expires_at`;
        return {
          key: row.key,
          payload: row.payload,
          owner,
          token,
          attempt: row.attempts,
          expiresAt: row.expires_at!,
        } satisfies SceneClaim;
      });
    },

    async renew(claim, ttlMs) {
      const expiresAt = now() + ttlMs;
      const rows = await sql`
        UPDATE proactive_scenes SET expires_at = ${expiresAt}
        WHERE key = ${claim.key} AND token = ${claim.token} AND status = 'leased'
        RETURNING key`;
      return rows.length === 1 ? { ...claim, expiresAt } : undefined;
    },

    async complete(claim, log) {
      const rows = await sql`
        WITH done AS (
          UPDATE proactive_scenes SET status = 'done', done_at = ${now()}, token = NULL,
            expires_at = NULL, reason = NULL
          WHERE key = ${claim.key} AND token = ${claim.token} AND status = 'leased'
          RETURNING key)
        INSERT INTO proactive_scene_logs (key, log) SELECT key, ${log} FROM done
        ON CONFLICT (key) DO UPDATE SET log = excluded.log
        RETURNING key`;
      return rows.length === 1;
    },

    async fail(claim, reason, maxAttempts) {
      const rows = await sql<{ status: "pending" | "failed" }[]>`
        UPDATE proactive_scenes SET reason = ${reason}, token = NULL, expires_at = NULL,
          status = CASE WHEN attempts >= ${maxAttempts} THEN 'failed' ELSE 'pending' END
        WHERE key = ${claim.key} AND token = ${claim.token} AND status = 'leased'
        RETURNING status`;
      return rows[0]?.status ?? "lost";
    },

    async release(claim) {
      await sql`
        UPDATE proactive_scenes SET status = 'pending', attempts = greatest(attempts - 1, 0),
          owner = NULL, token = NULL, expires_at = NULL
        WHERE key = ${claim.key} AND token = ${claim.token} AND status = 'leased'`;
    },

    async retryFailed() {
      const rows = await sql`
        UPDATE proactive_scenes SET status = 'pending', attempts = 0, reason = NULL,
          owner = NULL
        WHERE status = 'failed' RETURNING key`;
      return rows.length;
    },

    async hasOpenWork() {
      const [{ open }] = await sql<{ open: boolean }[]>`
        SELECT EXISTS (SELECT 1 FROM proactive_scenes WHERE status IN ('pending', 'leased'))
          AS open`;
      return open;
    },

    async list() {
      const rows = await sql<Row[]>`
        SELECT key, status, attempts, owner, expires_at, reason, done_at
        FROM proactive_scenes ORDER BY key`;
      return rows.map(sceneRow);
    },

    async *logs() {
      const keys = await sql<{ key: string }[]>`
        SELECT key FROM proactive_scenes WHERE status = 'done' ORDER BY key`;
      for (const { key } of keys) {
        const [row] = await sql<{ log: string }[]>`
          SELECT log FROM proactive_scene_logs WHERE key = ${key}`;
        if (row) yield { key, log: row.log };
      }
    },
  };
}

function sceneRow(row: Row): SceneRow {
  const shown: SceneRow = { key: row.key, status: row.status, attempts: row.attempts };
  if (row.owner !== null && (row.status === "leased" || row.status === "done")) {
    shown.owner = row.owner;
  }
  if (row.status === "leased" && row.expires_at !== null) shown.expiresAt = row.expires_at;
  if (row.reason !== null) shown.reason = row.reason;
  if (row.done_at !== null && row.status === "done") shown.doneAt = row.done_at;
  return shown;
}

function completionTable(sql: Sql, now: () => number): CompletionCache {
  return {
    enabled: true,
    async get(key) {
      const [row] = await sql<{ completion: string }[]>`
        SELECT completion FROM proactive_completions WHERE key = ${key}`;
      return row ? JSON.parse(row.completion) as Completion : undefined;
    },
    async put(key, request, completion) {
      await sql`
        INSERT INTO proactive_completions (key, request, completion, created_at)
        VALUES (${key}, ${JSON.stringify(request)}, ${JSON.stringify(completion)}, ${now()})
        ON CONFLICT (key) DO NOTHING`;
    },
  };
}
