import { assertEquals } from "../../tests/assert.ts";
import { findGymLogs } from "./find_gym_logs.ts";

const END = JSON.stringify({
  source: "system",
  time: "02-29 09:00:00",
  tags: ["end"],
  content: "{}",
});

Deno.test("findGymLogs: complete, incomplete, and named entries that cannot be read", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a.jsonl`, `${END}\n`);
    await Deno.writeFile(
      `${dir}/b.jsonl`,
      new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(`${END}\n`)]),
    );
    await Deno.writeTextFile(`${dir}/c.jsonl`, `${END}`); // cut before the newline
    await Deno.writeFile(`${dir}/d.jsonl`, new Uint8Array([0x7b, 0xff, 0x0a]));
    await Deno.mkdir(`${dir}/e.jsonl`);
    await Deno.writeTextFile(`${dir}/out.jsonl`, "");
    const found = await findGymLogs(dir, [`${dir}/out.jsonl`]);
    assertEquals(found.complete, [`${dir}/a.jsonl`, `${dir}/b.jsonl`]);
    assertEquals(found.incomplete, [`${dir}/c.jsonl`]);
    // Before: the folder was skipped silently and the bad byte read as U+FFFD.
    assertEquals(found.unreadable, [
      {
        log: `${dir}/d.jsonl`,
        error: `Cannot read the log "${dir}/d.jsonl": "${dir}/d.jsonl" is not UTF-8 text: ` +
          "invalid byte 0xff at byte offset 1 (line 1)",
      },
      { log: `${dir}/e.jsonl`, error: `"${dir}/e.jsonl" is a folder, not a file` },
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
