import { assertEquals } from "../../tests/assert.ts";
import { KEY, type TraceRecord } from "./kv_schema.ts";
import { TraceRecords } from "./trace_records.ts";

const record = (ids: string[]): TraceRecord => ({
  members: ids.map((id) => ({ id, reservation: id, reservedAt: 0, lastActivity: 0, answered: 0 })),
});

Deno.test("the mirror loads, follows commits, keeps the newest, and refreshes", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const first = await kv.set(KEY.trace("t"), record(["a"]));
    const records = new TraceRecords(kv);
    await records.load();
    assertEquals(records.get("t").value, record(["a"]));
    assertEquals(records.get("t").versionstamp, first.versionstamp);
    assertEquals(records.get("never"), {
      key: ["trace", "never"],
      value: null,
      versionstamp: null,
    });

    const second = await kv.set(KEY.trace("t"), record(["a", "b"]));
    records.committed("t", record(["a", "b"]), second.versionstamp);
    // An older commit resolving late does not overwrite the newer one.
    records.committed("t", record(["a"]), first.versionstamp);
    assertEquals(records.get("t").value, record(["a", "b"]));

    await kv.set(KEY.trace("t"), record(["c"])); // written behind the mirror's back
    assertEquals(records.get("t").value, record(["a", "b"]));
    assertEquals((await records.refresh("t")).value, record(["c"]));
  } finally {
    kv.close();
  }
});

Deno.test("stale scans are due only when a reservation may have become idle", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const records = new TraceRecords(kv);
    assertEquals(records.staleScanDue(0), true);
    records.setNextStaleAt(1000);
    assertEquals(records.staleScanDue(999), false);
    assertEquals(records.staleScanDue(1000), true);
    records.setNextStaleAt(Infinity);
    records.committed("t", record(["a"]), "00000000000000010000", 500);
    assertEquals(records.staleScanDue(499), false);
    assertEquals(records.staleScanDue(500), true);
    await records.refresh("t");
    assertEquals(records.staleScanDue(0), true);
  } finally {
    kv.close();
  }
});

Deno.test("current pointers: read once, follow commits, keep the newest, refresh", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const records = new TraceRecords(kv);
    assertEquals((await records.current("a")).value, null);
    const first = await kv.set(KEY.current("a"), "t1"); // behind the mirror's back
    assertEquals((await records.current("a")).value, null, "mirrored after the first read");
    assertEquals((await records.refreshCurrent("a")).value, "t1");
    const second = await kv.set(KEY.current("a"), "t2");
    records.currentCommitted("a", "t2", second.versionstamp);
    records.currentCommitted("a", "t1", first.versionstamp); // an older commit resolving late
    assertEquals(await records.current("a"), {
      key: ["current", "a"],
      value: "t2",
      versionstamp: second.versionstamp,
    });
  } finally {
    kv.close();
  }
});
