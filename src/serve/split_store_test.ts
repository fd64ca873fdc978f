import { assertEquals } from "../../tests/assert.ts";
import { openSplitStore } from "./split_store.ts";

Deno.test("split store: reads see every commit that resolved, also under write load", async () => {
  const dir = await Deno.makeTempDir({ prefix: "split-store-" });
  const kv = await openSplitStore(`${dir}/store.kv`);
  try {
    let stop = false;
    const load = (async () => {
      for (let i = 0; !stop; i++) await kv.set(["load", i % 50], i);
    })();
    for (let i = 0; i < 200; i++) {
      const entry = await kv.get<number>(["n"]);
      const result = await kv.atomic().check(entry).set(["n"], i).commit();
      assertEquals(result.ok, true, `commit ${i} sees the previous one`);
      assertEquals((await kv.get<number>(["n"])).value, i);
      assertEquals(
        (await kv.getMany<[number]>([["n"]]))[0].versionstamp,
        result.ok ? result.versionstamp : "",
      );
    }
    stop = true;
    await load;
    const listed = [];
    for await (const entry of kv.list({ prefix: ["load"] })) listed.push(entry.key[1]);
    assertEquals(listed.length, 50);
    await kv.delete(["n"]);
    assertEquals((await kv.get(["n"])).value, null);
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("split store: a :memory: store is one connection", async () => {
  const kv = await openSplitStore(":memory:");
  try {
    await kv.set(["a"], 1);
    assertEquals((await kv.get(["a"])).value, 1);
  } finally {
    kv.close();
  }
});
