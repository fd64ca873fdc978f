import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { openAppendLogStore } from "./append_log_store.ts";
import { withTempDir } from "../../tests/temp_dir.ts";

const key = (n: number) => n.toString(16).padStart(64, "0");

async function segments(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

Deno.test("append log: parallel appends are grouped and found again, also by a new store", async () => {
  await withTempDir(async (dir) => {
    const store = openAppendLogStore(dir);
    assertEquals(await store.get(key(1)), { found: false });
    await Promise.all(Array.from({ length: 100 }, (_, i) => store.append(key(i), { n: i })));
    assertEquals(await store.get(key(42)), { found: true, value: { key: key(42), n: 42 } });
    assertEquals((await segments(dir)).length, 1);
    const lines = (await Deno.readTextFile(`${dir}/${(await segments(dir))[0]}`)).split("\n");
    assertEquals(lines.length, 101); // 100 lines and the final newline
    assert(lines[0].startsWith(`{"key":"${key(0)}"`));
    const again = openAppendLogStore(dir);
    assertEquals(await again.get(key(99)), { found: true, value: { key: key(99), n: 99 } });
    await again.append(key(99), { n: "newer" });
    assertEquals((await segments(dir)).length, 2);
    assertEquals(await openAppendLogStore(dir).get(key(99)), {
      found: true,
      value: { key: key(99), n: "newer" },
    });
  });
});

Deno.test("append log: values of several MiB cross the scan's chunk boundaries", async () => {
  await withTempDir(async (dir) => {
    const store = openAppendLogStore(dir);
    const big = "é".repeat(700_000); // 1.4 MB in UTF-8
    for (let i = 0; i < 4; i++) await store.append(key(i), { text: big + i });
    const fresh = openAppendLogStore(dir);
    for (let i = 0; i < 4; i++) {
      const line = await fresh.get(key(i));
      assert(line.found && "value" in line && line.value.text === big + i, `entry ${i}`);
    }
  });
});

Deno.test("append log: a torn last line is ignored and a corrupt line reported", async () => {
  await withTempDir(async (dir) => {
    const store = openAppendLogStore(dir);
    await store.append(key(1), { ok: true });
    await store.append(key(2), { ok: true });
    const path = `${dir}/${(await segments(dir))[0]}`;
    const text = await Deno.readTextFile(path);
    // Line 1 damaged in place; a kill mid-write left half of line 3 without a newline.
    await Deno.writeTextFile(
      path,
      text.replace('"ok":true}\n', '"ok":tru#}\n') + `{"key":"${key(3)}","ok":`,
    );
    const fresh = openAppendLogStore(dir);
    assertEquals(await fresh.get(key(1)), { found: true, corrupt: true, path });
    assertEquals(await fresh.get(key(2)), { found: true, value: { key: key(2), ok: true } });
    assertEquals(await fresh.get(key(3)), { found: false });
    await fresh.append(key(3), { ok: "again" }); // into a new segment, not after the torn line
    assertEquals(await openAppendLogStore(dir).get(key(3)), {
      found: true,
      value: { key: key(3), ok: "again" },
    });
    await assertRejects(() => fresh.append("not-hex", {}), RangeError);
  });
});

Deno.test("append log: a segment replaced by a link is never appended to", async () => {
  await withTempDir(async (dir) => {
    const store = openAppendLogStore(dir);
    await store.append(key(1), { n: 1 });
    const [segment] = await segments(dir);
    await Deno.writeTextFile(`${dir}/../victim-${segment}`, "keep");
    await Deno.remove(`${dir}/${segment}`);
    await Deno.symlink(`${dir}/../victim-${segment}`, `${dir}/${segment}`);
    await assertRejects(() => store.append(key(2), { n: 2 }), Error, "is a symbolic link");
    assertEquals(await Deno.readTextFile(`${dir}/../victim-${segment}`), "keep");
    await Deno.remove(`${dir}/../victim-${segment}`);
  });
});
