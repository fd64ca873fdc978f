import { assert, assertEquals, assertMatch } from "../../tests/assert.ts";
import { leaseOwnerName } from "./lease_store.ts";

Deno.test("a lease owner names the host, the process and the run", () => {
  assertEquals(leaseOwnerName("box", 42, "abcd1234"), "box pid 42, run abcd1234");
  const a = leaseOwnerName();
  assertMatch(a, new RegExp(`^.+ pid ${Deno.pid}, run [0-9a-f]{8}$`));
  assert(a !== leaseOwnerName(), "two runs of one process are told apart");
});
