import { assert, assertEquals, assertMatch } from "../../tests/assert.ts";
import {
  abandonedOnThisHost,
  isProcessAlive,
  leaseOwnerName,
  parseLeaseOwner,
} from "./lease_store.ts";

Deno.test("a lease owner names the host, the process and the run", () => {
  assertEquals(leaseOwnerName("box", 42, "abcd1234"), "box pid 42, run abcd1234");
  const a = leaseOwnerName();
  assertMatch(a, new RegExp(`^.+ pid ${Deno.pid}, run [0-9a-f]{8}$`));
  assert(a !== leaseOwnerName(), "two runs of one process are told apart");
});

Deno.test("abandonedOnThisHost: a dead pid on this host, never another host's or a live one", async () => {
  assertEquals(parseLeaseOwner("box pid 42, run abcd1234"), { host: "box", pid: 42 });
  assertEquals(parseLeaseOwner("someone else"), undefined);
  const alive = new Set([7]);
  const check = abandonedOnThisHost("box", (pid) => alive.has(pid));
  const holder = (owner: string) => ({ owner, expiresAt: 0 });
  assertEquals(check(holder(leaseOwnerName("box", 42, "r"))), true);
  assertEquals(check(holder(leaseOwnerName("box", 7, "r"))), false);
  assertEquals(check(holder(leaseOwnerName("other", 42, "r"))), false);
  assertEquals(check(holder(leaseOwnerName("box", Deno.pid, "r"))), false, "this process");
  assertEquals(check(holder("hand-made owner")), false);

  // The real check: this process is alive, a reaped child is not.
  assertEquals(isProcessAlive(Deno.pid), true);
  const child = new Deno.Command(Deno.execPath(), { args: ["eval", ""] }).spawn();
  await child.status;
  assertEquals(isProcessAlive(child.pid), false);
});
