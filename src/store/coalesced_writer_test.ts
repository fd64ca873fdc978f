import { assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import { createMemoryLogger } from "../cli/testing/memory_logger.ts";
import { CoalescedWriter } from "./coalesced_writer.ts";

Deno.test("CoalescedWriter: writes never overlap; requests during a write make one more", async () => {
  let running = 0;
  let overlap = false;
  const started: number[] = [];
  let value = 0;
  const writer = new CoalescedWriter(async () => {
    if (running > 0) overlap = true;
    running++;
    started.push(value);
    await new Promise((resolve) => setTimeout(resolve, 5));
    running--;
  });
  value = 1;
  writer.request();
  value = 2;
  writer.request();
  value = 3;
  writer.request();
  await writer.flush();
  assertEquals(overlap, false);
  assertEquals(started, [1, 3]);
  assertEquals(writer.writes, 2);
  writer.request();
  await writer.flush();
  assertEquals(writer.writes, 3);
});

Deno.test("CoalescedWriter: a failed write is reported once, rethrown by flush, tried again", async () => {
  const logger = createMemoryLogger();
  const warn = (error: unknown) => logger.warn(`Cannot write: ${(error as Error).message}`);
  let fail = true;
  const writer = new CoalescedWriter(() => {
    if (fail) return Promise.reject(new Error("disk full"));
    return Promise.resolve();
  }, warn);
  writer.request();
  await assertRejects(() => writer.flush(), Error, "disk full");
  writer.request();
  await assertRejects(() => writer.flush(), Error, "disk full");
  assertEquals(logger.lines.length, 1);
  assertStringIncludes(logger.lines[0], "Cannot write: disk full");
  fail = false;
  writer.request();
  await writer.flush();
  assertEquals(writer.writes, 1);
});
