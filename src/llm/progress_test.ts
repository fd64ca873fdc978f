import { assert, assertEquals, assertMatch, assertStringIncludes } from "../../tests/assert.ts";
import { createMemoryLogger } from "../cli/testing/memory_logger.ts";
import {
  createCommandProgress,
  createProgress,
  formatDuration,
  loggerAboveProgress,
} from "./progress.ts";

function fakeClock() {
  let time = 1_000_000;
  return { now: () => time, advance: (ms: number) => time += ms };
}

Deno.test("progress on a terminal redraws one bar with rate and ETA", () => {
  const clock = fakeClock();
  const out: string[] = [];
  const progress = createProgress({
    total: 10,
    label: "reward",
    isTerminal: true,
    write: (t) => out.push(t),
    now: clock.now,
    barWidth: 10,
  });
  clock.advance(1_000);
  progress.tick();
  assertEquals(out.length, 1);
  assert(out[0].startsWith("\r\x1b[2K"));
  assertStringIncludes(out[0], "reward █░░░░░░░░░ 1/10 (10%), 1.0/s, elapsed 1s, ETA 9s");
  progress.tick(); // within 100 ms of the last draw: not redrawn
  assertEquals(out.length, 1);
  clock.advance(1_000);
  progress.tick(3, { failed: true });
  assertStringIncludes(out[1], "█████░░░░░ 5/10 (50%, 3 failed)");
  progress.clear();
  assertEquals(out[2], "\r\x1b[2K");
  progress.done();
  assert(out[3].endsWith("\n"));
  assert(!out.some((t) => t.includes("\n") && t !== out[3]));
});

Deno.test("progress elsewhere prints a plain line every interval and at the end", () => {
  const clock = fakeClock();
  const out: string[] = [];
  const progress = createProgress({
    total: 100,
    label: "reward",
    isTerminal: false,
    write: (t) => out.push(t),
    now: clock.now,
    intervalMs: 5_000,
  });
  clock.advance(1_000);
  progress.tick(); // first line at once
  for (let i = 0; i < 9; i++) {
    clock.advance(1_000);
    progress.tick();
  }
  assertEquals(out.length, 2); // at 1 s and at 6 s
  assertEquals(out[0], "reward: 1/100 (1%), 1.0/s, elapsed 1s, ETA 1m39s\n");
  assertMatch(out[1], /^reward: 6\/100 \(6%\), 1\.0\/s, elapsed 6s, ETA 1m34s\n$/);
  assert(out.every((t) => !t.includes("\r")));
  progress.done();
  assertEquals(out.at(-1), "reward: 10/100 (10%), 1.0/s, elapsed 10s, ETA 1m30s, done\n");
  progress.done();
  assertEquals(out.length, 3);
});

Deno.test("loggerAboveProgress clears the bar before a log line", () => {
  const out: string[] = [];
  const progress = createProgress({
    total: 2,
    label: "x",
    isTerminal: true,
    write: (t) => out.push(t),
    now: () => 0,
  });
  progress.tick();
  const logger = createMemoryLogger();
  loggerAboveProgress(logger, progress).warn("careful");
  assertEquals(out.at(-1), "\r\x1b[2K");
  assertEquals(logger.lines, ["warning: careful"]);
});

Deno.test("formatDuration", () => {
  assertEquals(formatDuration(950), "950ms");
  assertEquals(formatDuration(42_000), "42s");
  assertEquals(formatDuration(185_000), "3m05s");
  assertEquals(formatDuration(7_620_000), "2h07m");
  assertEquals(formatDuration(Infinity), "?");
});

Deno.test("createCommandProgress: bar on a terminal's stderr, log lines otherwise", () => {
  const raw: string[] = [];
  const logger = createMemoryLogger();
  const ctx = { stderr: (t: string) => raw.push(t), logger, now: () => 0 };
  const bar = createCommandProgress({ ...ctx, isTerminal: true }, 1, "a");
  bar.done();
  assertEquals(raw.length, 1);
  assertEquals(logger.lines, []);
  const plain = createCommandProgress({ ...ctx, isTerminal: false }, 1, "b");
  plain.tick();
  assertEquals(raw.length, 1);
  assertEquals(logger.lines, ["b: 1/1 (100%), 0.0/s, elapsed 0ms, ETA 0ms"]);
});
