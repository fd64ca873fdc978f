import { assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import {
  createExclusive,
  openNoFollow,
  readFileNoFollow,
  refuseStoreLinks,
  refuseSymlink,
  SymlinkRefusedError,
} from "./no_follow.ts";
import { withTempDir } from "../../tests/temp_dir.ts";

Deno.test("createExclusive fails on a planted link, dangling or not, and writes nothing through it", () =>
  withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/target`, "keep");
    await Deno.symlink(`${dir}/target`, `${dir}/live`);
    await Deno.symlink(`${dir}/missing`, `${dir}/dangling`);
    await assertRejects(() => createExclusive(`${dir}/live`), Deno.errors.AlreadyExists);
    await assertRejects(() => createExclusive(`${dir}/dangling`), Deno.errors.AlreadyExists);
    assertEquals(await Deno.readTextFile(`${dir}/target`), "keep");
    assertEquals(await Deno.lstat(`${dir}/missing`).catch(() => "none"), "none");
    const file = await createExclusive(`${dir}/fresh`, { mode: 0o600 });
    file.close();
    assertEquals((await Deno.stat(`${dir}/fresh`)).mode! & 0o777, 0o600);
  }));

Deno.test("openNoFollow refuses a link and opens or creates a plain file", () =>
  withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/target`, "keep");
    await Deno.symlink(`${dir}/target`, `${dir}/link`);
    const error = await assertRejects(
      () => openNoFollow(`${dir}/link`, { write: true }),
      SymlinkRefusedError,
    );
    assertStringIncludes(error.message, `"${dir}/link" is a symbolic link`);
    await assertRejects(() => refuseSymlink(`${dir}/link`), SymlinkRefusedError);
    await refuseSymlink(`${dir}/target`);
    await refuseSymlink(`${dir}/nothing`);

    const created = await openNoFollow(`${dir}/new`, { write: true, create: true });
    await created.write(new TextEncoder().encode("x"));
    created.close();
    const read = await openNoFollow(`${dir}/new`, { read: true });
    const buffer = new Uint8Array(4);
    assertEquals(await read.read(buffer), 1);
    read.close();
    assertEquals(await Deno.readTextFile(`${dir}/target`), "keep");
  }));

Deno.test("readFileNoFollow reads a plain file whole and refuses a link without reading it", () =>
  withTempDir(async (dir) => {
    const big = "x".repeat(200_000) + "end";
    await Deno.writeTextFile(`${dir}/plain`, big);
    assertEquals(new TextDecoder().decode(await readFileNoFollow(`${dir}/plain`)), big);
    await Deno.writeTextFile(`${dir}/secret`, "secret");
    await Deno.symlink(`${dir}/secret`, `${dir}/link`);
    const error = await assertRejects(() => readFileNoFollow(`${dir}/link`), SymlinkRefusedError);
    assertStringIncludes(error.message, `"${dir}/link" is a symbolic link`);
    await assertRejects(() => readFileNoFollow(`${dir}/none`), Deno.errors.NotFound);
  }));

Deno.test("openNoFollow with append adds at the end and refuses a link", () =>
  withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/log`, "a");
    const file = await openNoFollow(`${dir}/log`, { append: true, create: true });
    await file.write(new TextEncoder().encode("b"));
    file.close();
    assertEquals(await Deno.readTextFile(`${dir}/log`), "ab");
    await Deno.symlink(`${dir}/log`, `${dir}/link`);
    await assertRejects(
      () => openNoFollow(`${dir}/link`, { append: true, create: true }),
      SymlinkRefusedError,
    );
    assertEquals(await Deno.readTextFile(`${dir}/log`), "ab");
  }));

Deno.test("refuseStoreLinks: a store file or its -wal/-shm companion that is a link", () =>
  withTempDir(async (dir) => {
    await refuseStoreLinks(":memory:");
    await refuseStoreLinks(`${dir}/a.kv`);
    await Deno.symlink(`${dir}/elsewhere`, `${dir}/a.kv-wal`);
    const error = await assertRejects(() => refuseStoreLinks(`${dir}/a.kv`), SymlinkRefusedError);
    assertStringIncludes(error.message, `"${dir}/a.kv-wal" is a symbolic link`);
  }));
