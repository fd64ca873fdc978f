import { join } from "node:path";
import { assertEquals } from "../../tests/assert.ts";
import { LlmStats } from "./llm_stats.ts";
import { readUsageJournal, removeUsageJournal, UsageJournal } from "./usage_journal.ts";

const endpoint = { alias: "reward", model: "m", baseUrl: "http://127.0.0.1:1/v1" };

Deno.test("the journal gives back each run that did not end, its counters per endpoint", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, ".x.journal");
  let time = Date.UTC(2026, 0, 1);
  const now = () => (time += 1000);

  // Run a: killed (no end line). Its counters come through LlmStats' listener.
  const a = await UsageJournal.open(path, "a", now);
  const stats = new LlmStats({ onAdd: (e, d) => a.record(e, d) });
  stats.add(endpoint, { calls: 1, requests: 1 });
  stats.add(endpoint, { promptTokens: 10, completionTokens: 5 });
  stats.add({ ...endpoint, alias: "other" }, { requests: 2, retries: 1 });
  a.close();
  // Run b: interrupted; run c: ended normally (its summary counts it); run d: failed.
  const b = await UsageJournal.open(path, "b", now);
  b.record(endpoint, { requests: 3 });
  b.end("interrupted");
  const c = await UsageJournal.open(path, "c", now);
  c.record(endpoint, { requests: 4 });
  c.end("done");
  const d = await UsageJournal.open(path, "d", now);
  d.record(endpoint, { requests: 1 });
  d.end("failed");
  // A killed process's last line may be cut.
  await Deno.writeTextFile(path, '{"run":"e","at":1,"delta":{"requ', { append: true });

  const runs = await readUsageJournal(path);
  assertEquals(runs.map((r) => [r.run, r.end, r.llm.requests]), [
    ["a", "killed", 3],
    ["b", "interrupted", 3],
    ["d", "failed", 1],
  ]);
  assertEquals(runs[0].llm.promptTokens, 10);
  assertEquals(runs[0].llm.endpoints.map((e) => [e.alias, e.requests, e.retries]), [
    ["reward", 1, 0],
    ["other", 2, 1],
  ]);
  assertEquals(runs[0].startedAt, new Date(Date.UTC(2026, 0, 1) + 1000).toISOString());
  assertEquals(runs[0].lastAt, new Date(Date.UTC(2026, 0, 1) + 3000).toISOString());

  await removeUsageJournal(path);
  assertEquals(await readUsageJournal(path), []);
  await removeUsageJournal(path); // missing is fine
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the journal refuses a planted link", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "victim"), "keep");
  await Deno.symlink(join(dir, "victim"), join(dir, ".x.journal"));
  let message = "";
  await UsageJournal.open(join(dir, ".x.journal"), "a", Date.now).catch((e) => message = e.message);
  assertEquals(message.includes("is a symbolic link"), true);
  assertEquals(await Deno.readTextFile(join(dir, "victim")), "keep");
  await Deno.remove(dir, { recursive: true });
});
