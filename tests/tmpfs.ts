/**
 * Small real file systems for full-disk tests: a tmpfs of a given size mounted on a
 * temporary folder. Mounting needs root (CAP_SYS_ADMIN); `canMountTmpfs()` says whether
 * this process can, so such tests run on CI (root) and are ignored elsewhere.
 */

/** True when this process may mount a tmpfs (root with CAP_SYS_ADMIN), tried once. */
export function canMountTmpfs(): boolean {
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return false;
  const dir = Deno.makeTempDirSync({ prefix: "tmpfs-probe-" });
  try {
    const mounted = new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
    if (mounted) new Deno.Command("umount", { args: [dir] }).outputSync();
    return mounted;
  } catch {
    return false;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** Runs `fn` with a fresh tmpfs of `size` (e.g. "1m") mounted on a temporary folder. */
export async function withTmpfs<T>(size: string, fn: (mount: string) => Promise<T>): Promise<T> {
  const mount = await Deno.makeTempDir({ prefix: "tmpfs-" });
  const mounted = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", mount],
  }).output();
  if (!mounted.success) throw new Error(new TextDecoder().decode(mounted.stderr));
  try {
    return await fn(mount);
  } finally {
    const unmounted = await new Deno.Command("umount", { args: [mount] }).output();
    if (!unmounted.success) await new Deno.Command("umount", { args: ["-l", mount] }).output();
    await Deno.remove(mount, { recursive: true });
  }
}

/** Fills the file system of `dir` with a file named `name` until it is full. */
export async function fillUp(path: string): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true });
  try {
    const chunk = new Uint8Array(4096);
    for (;;) await file.write(chunk);
  } catch (error) {
    if (!String(error).includes("No space left on device")) throw error;
  } finally {
    file.close();
  }
}
