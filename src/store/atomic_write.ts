import { basename, dirname, join } from "node:path";

/**
 * Replaces `path` with `data` atomically: the bytes go to a temporary file in the same
 * folder, are flushed to disk, and the file is renamed over the target. Readers see the
 * old file or the new one, never half of either; a crash leaves at most a stray
 * `.<name>.tmp-*` file, which is never read.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.tmp-${crypto.randomUUID().slice(0, 8)}`);
  const file = await Deno.open(temp, { write: true, create: true, truncate: true });
  try {
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await file.syncData();
  } catch (error) {
    file.close();
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
  file.close();
  try {
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/** `writeFileAtomic` for JSON text. */
export function writeJsonAtomic(path: string, value: unknown, indent = 2): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, indent) + "\n");
}
