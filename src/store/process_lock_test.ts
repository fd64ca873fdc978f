import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { acquireProcessLock, describeOwner, readLockOwner } from "./process_lock.ts";

Deno.test("a second lock on the same file fails and names the owner", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "sub", "serve.lock");
    const owner = { pid: 4242, host: "box", startedAt: "2026-01-01T00:00:00.000Z" };
    const first = await acquireProcessLock(path, `The store "x"`, { owner });
    try {
      assertEquals(await readLockOwner(path), owner);
      const error = await assertRejects(
        () => acquireProcessLock(path, `The store "x"`),
        ProactiveError,
      );
      assert(error.message.includes("process 4242 on host box"), error.message);
      assert(error.message.startsWith(`The store "x" is in use`), error.message);
      // The failed attempt left the owner's record alone.
      assertEquals(await readLockOwner(path), owner);
    } finally {
      first.release();
    }
    // Released: the file is removed, and the lock can be taken again.
    assertEquals(await Deno.lstat(path).then(() => true, () => false), false);
    const again = await acquireProcessLock(path, "x");
    assertEquals((await readLockOwner(path))?.pid, Deno.pid);
    again.release();
    again.release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a lock file left by a dead process does not block", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "serve.lock");
    await Deno.writeTextFile(path, JSON.stringify({ pid: 1, host: "gone", startedAt: "" }));
    const lock = await acquireProcessLock(path, "x");
    assertEquals((await readLockOwner(path))?.host, Deno.hostname());
    lock.release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("describeOwner without a readable record", () => {
  assertEquals(describeOwner(undefined), "another process (its pid is not recorded)");
  assertEquals(describeOwner({ pid: 7, host: "h", startedAt: "" }), "process 7 on host h");
});
