import { join } from "node:path";
import { assertEquals } from "../../tests/assert.ts";
import { describeError, ProactiveError } from "./errors.ts";

/** The error `fn` throws, described. */
async function described(fn: () => unknown, path?: string): Promise<string> {
  try {
    await fn();
  } catch (error) {
    return describeError(error, path);
  }
  throw new Error("expected an error");
}

Deno.test("OS errors become sentences that name the path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "notes.txt");
    await Deno.writeTextFile(file, "x");
    const q = (path: string) => JSON.stringify(path);
    const missing = join(dir, "missing.json");
    assertEquals(await described(() => Deno.readTextFile(missing)), `${q(missing)} does not exist`);
    assertEquals(
      await described(() => Deno.writeTextFile(join(dir, "no", "out.json"), "x")),
      `The folder ${q(join(dir, "no"))} does not exist (needed for ${
        q(join(dir, "no", "out.json"))
      })`,
    );
    assertEquals(
      await described(() => Deno.readTextFile(dir)),
      `${q(dir)} is a folder, not a file`,
    );
    // A file where a folder is needed, named exactly (not the path below it).
    assertEquals(
      await described(() => Deno.mkdir(join(file, "a", "b"), { recursive: true })),
      `${q(file)} is a file, not a folder`,
    );
    assertEquals(
      await described(() => Deno.mkdir(file, { recursive: true })),
      `${q(file)} is a file, not a folder`,
    );
    assertEquals(
      await described(async () => {
        for await (const _ of Deno.readDir(file)) { /* never */ }
      }),
      `${q(file)} is a file, not a folder`,
    );
    assertEquals(await described(() => Deno.mkdir(dir)), `${q(dir)} already exists`);
    assertEquals(
      await described(() => Deno.remove(dir)),
      `${q(dir)} is a folder that is not empty`,
    );
    assertEquals(
      await described(() => Deno.rename(file, join(dir, "gone", "x"))),
      `Cannot move ${q(file)} to ${q(join(dir, "gone", "x"))}: the folder ${
        q(join(dir, "gone"))
      } does not exist`,
    );
    // Moving a file onto a folder names the folder in the way, not the file moved.
    const folder = join(dir, "in-the-way");
    await Deno.mkdir(join(folder, "inner"), { recursive: true });
    assertEquals(
      await described(() => Deno.rename(file, folder)),
      `${q(folder)} is a folder, not a file`,
    );
    // No path in the message: the caller names it.
    const kvPath = join(file, "serve.kv");
    assertEquals(
      await described(() => Deno.openKv(kvPath), kvPath),
      `${q(file)} is a file, not a folder`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("permission errors say what could not be done", () => {
  const denied = (message: string) =>
    Object.assign(new Deno.errors.PermissionDenied(message), { code: "EACCES" });
  assertEquals(
    describeError(denied("Permission denied (os error 13): readfile '/srv/a.json'")),
    'No permission to read "/srv/a.json"',
  );
  assertEquals(
    describeError(denied("Permission denied (os error 13): mkdir '/srv/out'")),
    'No permission to change "/srv/out"',
  );
});

Deno.test("other errors keep their first line", () => {
  assertEquals(describeError(new ProactiveError("input", "Bad line 3\nmore")), "Bad line 3");
  assertEquals(describeError(new Error("plain")), "plain");
  assertEquals(describeError("text"), "text");
  // An OS error without a path and no path given stays as it was.
  const bare = Object.assign(new Error("Not a directory (os error 20)"), { code: "ENOTDIR" });
  assertEquals(describeError(bare), "Not a directory (os error 20)");
});
