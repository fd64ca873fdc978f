/**
 * User names an admin blocked (`POST /api/admin/block`, `status_routes.ts`): a blocked
 * annotator's every request is refused with 403 (`sessionMiddlewares`, `serve_env.ts`), so
 * their sessions end at once, and logging in again is refused (`auth_routes.ts`); their
 * labels stay (`convert` uses them like any other). Kept in KV (`["blocked", name]`,
 * `kv_schema.ts`) and mirrored in memory: read once before the first check, then changed
 * only through this object, so a request costs one set lookup.
 *
 * @module
 */
import { canonicalUsername } from "./annotators.ts";
import { type BlockedRecord, KEY } from "./kv_schema.ts";

export class Blocklist {
  readonly #kv: Deno.Kv;
  readonly #now: () => number;
  #names?: Promise<Set<string>>;

  constructor(kv: Deno.Kv, now: () => number) {
    this.#kv = kv;
    this.#now = now;
  }

  /** True when `username` (any spelling of it) is blocked. */
  async has(username: string): Promise<boolean> {
    return (await this.#load()).has(canonicalUsername(username));
  }

  /** The blocked names, canonical. */
  async names(): Promise<string[]> {
    return [...await this.#load()].sort();
  }

  /** Blocks (`blocked`) or unblocks `username`; `by` names the admin. */
  async set(username: string, blocked: boolean, by: string): Promise<void> {
    const names = await this.#load();
    const name = canonicalUsername(username);
    if (blocked) {
      const record: BlockedRecord = { at: this.#now(), by };
      await this.#kv.set(KEY.blocked(name), record);
      names.add(name);
    } else {
      await this.#kv.delete(KEY.blocked(name));
      names.delete(name);
    }
  }

  #load(): Promise<Set<string>> {
    return this.#names ??= (async () => {
      const names = new Set<string>();
      for await (const entry of this.#kv.list({ prefix: KEY.allBlocked })) {
        names.add(entry.key[1] as string);
      }
      return names;
    })().catch((error) => {
      this.#names = undefined; // the next check reads again
      throw error;
    });
  }
}
