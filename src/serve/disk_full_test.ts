import { assert, assertEquals } from "../../tests/assert.ts";
import { diskFullApiError, isDiskFullError } from "./disk_full.ts";

Deno.test("isDiskFullError recognises SQLite's and the OS's disk-full errors only", () => {
  assert(isDiskFullError(new Error("database or disk is full")));
  assert(isDiskFullError(new Error("No space left on device (os error 28)")));
  assert(isDiskFullError(Object.assign(new Error("write failed"), { code: "ENOSPC" })));
  assert(isDiskFullError(new Error("Disk quota exceeded (os error 122)")));
  assert(!isDiskFullError(new Error("Permission denied (os error 13)")));
  assert(!isDiskFullError(new Error("os error 280")));
  assert(!isDiskFullError("database is locked"));
});

Deno.test("diskFullApiError is a 507 that says what happened", () => {
  const error = diskFullApiError(new Error("database or disk is full"));
  assertEquals(error.status, 507);
  assert(error.message.includes("disk is full"), error.message);
  assert(error.message.includes("database or disk is full"), error.message);
});
