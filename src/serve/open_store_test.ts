import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { isDamagedStoreError, openStore } from "./open_store.ts";

Deno.test("openStore refuses a file that is not a database and says how to recover", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "serve.kv");
    await Deno.writeFile(path, new Uint8Array(8192).map((_, i) => (i * 7919) % 251));
    const error = await assertRejects(() => openStore(path), ProactiveError);
    assert(error.message.startsWith(`The store "${path}" is damaged (`), error.message);
    assert(error.message.includes(`mv ${path} ${path}.broken`), error.message);
    assert(error.message.includes("labels come back from the result files"), error.message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openStore opens a fresh and an existing store", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "serve.kv");
    const kv = await openStore(path);
    await kv.set(["a"], 1);
    kv.close();
    const again = await openStore(path);
    assertEquals((await again.get(["a"])).value, 1);
    again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("isDamagedStoreError only matches corruption", () => {
  assert(isDamagedStoreError(new Error("file is not a database")));
  assert(isDamagedStoreError(new Error("database disk image is malformed")));
  assert(!isDamagedStoreError(new Error("database is locked")));
  assert(!isDamagedStoreError(new Error("Permission denied (os error 13)")));
});
