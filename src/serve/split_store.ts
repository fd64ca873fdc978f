/**
 * Opens the serve store with two connections to the same Deno KV file: one for writes
 * (atomic commits, set, delete) and one for reads (get, getMany, list). Deno KV runs the
 * operations of one connection one after another, so on a single connection every read
 * waits behind the commit being synced to disk; on its own connection a read takes
 * microseconds however busy the writes are. A read started after a commit resolved sees
 * that commit (SQLite WAL), so callers keep read-your-writes. ":memory:" stores cannot be
 * shared between connections and get one.
 *
 * `startServer` (`serve_server.ts`) passes `openSplitStore` to `openStore`
 * (`open_store.ts`); every serve module then uses the returned `Deno.Kv` as one store.
 *
 * @module
 */

/** Opens the store at `path` as a writer and a reader connection (one for ":memory:"). */
export async function openSplitStore(path: string): Promise<Deno.Kv> {
  const writer = await Deno.openKv(path);
  if (path === ":memory:") return writer;
  let reader: Deno.Kv;
  try {
    reader = await Deno.openKv(path);
  } catch (error) {
    writer.close();
    throw error;
  }
  return splitStore(writer, reader);
}

const READS = new Set<PropertyKey>(["get", "getMany", "list"]);

/** `writer` with its reads sent to `reader`; closing it closes both. */
export function splitStore(writer: Deno.Kv, reader: Deno.Kv): Deno.Kv {
  return new Proxy(writer, {
    get(target, property) {
      if (READS.has(property)) {
        const read = Reflect.get(reader, property, reader) as (...args: unknown[]) => unknown;
        return read.bind(reader);
      }
      if (property === "close") {
        return () => {
          reader.close();
          target.close();
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
