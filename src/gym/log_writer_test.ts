import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import type { GymRecord } from "./gym_types.ts";
import { isCompleteLog, isGymTime, openGymLog, validateGymRecord } from "./log_writer.ts";

const record = (tag: GymRecord["tags"][0], content: string | null = "x"): GymRecord => ({
  source: tag === "end" ? "system" : "EnvManager",
  time: "02-29 09:00:05",
  tags: [tag],
  content,
});

Deno.test("gym times are zero-padded MM-DD HH:MM:SS within a leap year", () => {
  for (const good of ["01-01 00:00:00", "02-29 23:59:59", "12-31 12:00:00"]) {
    assert(isGymTime(good), good);
  }
  for (
    const bad of [
      "1-01 00:00:00",
      "02-30 10:00:00",
      "13-01 00:00:00",
      "01-01 24:00:00",
      "01-01 00:60:00",
      "Time Freezed.",
      5,
      "04-31 00:00:00",
    ]
  ) {
    assert(!isGymTime(bad), String(bad));
  }
});

Deno.test("records are validated and put in the format's key order", () => {
  const checked = validateGymRecord({
    content: "e",
    tags: ["events"],
    time: "01-02 03:04:05",
    source: "EnvManager",
    extra: 1,
  });
  assertEquals(
    JSON.stringify(checked),
    '{"source":"EnvManager","time":"01-02 03:04:05","tags":["events"],"content":"e"}',
  );
  assertEquals(
    validateGymRecord({ ...record("agent.proactive", null), source: "ProactiveAgent" }).content,
    null,
  );
  const bad: [unknown, string][] = [
    [{ ...record("events"), source: "Agent" }, "unknown source"],
    [{ ...record("events"), time: "1-2 3:4:5" }, "is not"],
    [{ ...record("events"), tags: ["events", "setup"] }, "tags"],
    [{ ...record("events"), tags: ["event"] }, "tags"],
    [{ ...record("events"), content: { a: 1 } }, "content must be text"],
    [record("events", null), "content is null"],
    [{ ...record("end"), source: "User" }, "end record"],
    [[], "object"],
  ];
  for (const [value, message] of bad) {
    let error = "";
    try {
      validateGymRecord(value);
    } catch (e) {
      error = (e as Error).message;
    }
    assert(error.includes(message), `${JSON.stringify(value)}: "${error}"`);
  }
});

for (const sync of ["complete", "record"] as const) {
  Deno.test(`a log is written to .partial, line by line, and renamed when complete (sync: ${sync})`, async () => {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/scene_a.jsonl`;
    const log = await openGymLog(path, { sync });
    await log.write(record("setup", "{}"));
    // Each write is on disk when it resolves.
    assertEquals((await Deno.readTextFile(`${path}.partial`)).split("\n").length, 2);
    await Promise.all([log.write(record("events", "one")), log.write(record("events", "two"))]);
    await assertRejects(() => log.complete(), Error, "no end record");
    await log.write(record("end", '{"steps":1}'));
    await assertRejects(() => log.write(record("events")), Error, "already has its end record");
    assertEquals(log.records, 4);
    assert(!(await isCompleteLog(path)));
    await log.complete();
    const lines = (await Deno.readTextFile(path)).trimEnd().split("\n").map((l) => JSON.parse(l));
    assertEquals(lines.map((l) => l.content), ["{}", "one", "two", '{"steps":1}']);
    assert(await isCompleteLog(path));
    await assertRejects(() => Deno.stat(`${path}.partial`), Deno.errors.NotFound);
  });
}

Deno.test("opening a log again empties its partial file", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/scene_a.jsonl`;
  const first = await openGymLog(path);
  await first.write(record("setup"));
  await first.write(record("events"));
  first.close();
  const second = await openGymLog(path);
  await second.write(record("setup", "again"));
  second.close();
  const text = await Deno.readTextFile(`${path}.partial`);
  assertEquals(text.trimEnd().split("\n").length, 1);
  assert(text.includes("again"));
});

Deno.test("an invalid record is refused and not written", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/scene_a.jsonl`;
  const log = await openGymLog(path);
  await assertRejects(
    () => log.write({ ...record("events"), time: "Time Freezed." }),
    Error,
    `Invalid record 1 for "${path}.partial"`,
  );
  await log.write(record("events"));
  log.close();
  assertEquals((await Deno.readTextFile(`${path}.partial`)).trimEnd().split("\n").length, 1);
});

Deno.test("a log is complete only when its last line is a valid end record", async () => {
  const dir = await Deno.makeTempDir();
  const line = (r: GymRecord) => JSON.stringify(r) + "\n";
  const cases: [string, boolean][] = [
    [line(record("setup")) + line(record("end", "{}")), true],
    [line(record("end", "{}")) + line(record("events")), false],
    [line(record("setup")) + line(record("end", "{}")).trimEnd(), false], // cut before "\n"
    [line(record("setup")) + '{"source":"system","tags":["end"]}\n', false],
    ["", false],
    ["not json\n", false],
  ];
  for (const [i, [text, complete]] of cases.entries()) {
    await Deno.writeTextFile(`${dir}/${i}.jsonl`, text);
    assertEquals(await isCompleteLog(`${dir}/${i}.jsonl`), complete, `case ${i}`);
  }
  assertEquals(await isCompleteLog(`${dir}/missing.jsonl`), false);
});

Deno.test("a log in a missing folder fails with the path", async () => {
  const dir = await Deno.makeTempDir();
  await assertRejects(
    () => openGymLog(`${dir}/no/scene.jsonl`),
    Error,
    `${dir}/no/scene.jsonl.partial`,
  );
});

Deno.test("openGymLog refuses links at the partial or the log name, and starts a stale partial afresh", async () => {
  const dir = await Deno.makeTempDir();
  const victim = `${dir}/victim.txt`;
  await Deno.writeTextFile(victim, "keep");
  await Deno.symlink(victim, `${dir}/a.jsonl.partial`);
  await assertRejects(() => openGymLog(`${dir}/a.jsonl`), Error, "is a symbolic link");
  await Deno.symlink(victim, `${dir}/b.jsonl`);
  await assertRejects(
    () => openGymLog(`${dir}/b.jsonl`),
    Error,
    `"${dir}/b.jsonl" is a symbolic link`,
  );
  assertEquals(await Deno.readTextFile(victim), "keep");

  await Deno.writeTextFile(`${dir}/c.jsonl.partial`, "old half line");
  const log = await openGymLog(`${dir}/c.jsonl`);
  await log.write(record("end"));
  await log.complete();
  assert(await isCompleteLog(`${dir}/c.jsonl`));
  assertEquals((await Deno.readTextFile(`${dir}/c.jsonl`)).split("\n").length, 2);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("complete() refuses to rename a link put in place of the partial log", async () => {
  const dir = await Deno.makeTempDir();
  const log = await openGymLog(`${dir}/a.jsonl`);
  await log.write(record("end"));
  await Deno.remove(log.partialPath);
  await Deno.symlink(`${dir}/elsewhere`, log.partialPath);
  await assertRejects(() => log.complete(), Error, "is a symbolic link");
  assertEquals(await Deno.lstat(`${dir}/a.jsonl`).then(() => true, () => false), false);
  await Deno.remove(dir, { recursive: true });
});
