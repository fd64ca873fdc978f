import { assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { createMemoryLogger } from "../cli/testing/memory_logger.ts";
import { voteFiles } from "./vote_files.ts";

/** A result file with one question turn; `labels` by annotator. */
function resultFile(labels: Record<string, unknown>): string {
  return JSON.stringify([
    { observation: { time: "1", event: "e" }, candidate_task: ["a", "b"], real_user: labels },
  ]);
}

async function withFiles(
  texts: string[],
  fn: (paths: string[]) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "vote-files-" });
  try {
    const paths = texts.map((_, i) => `${dir}/${String(i).padStart(3, "0")}.json`);
    await Promise.all(texts.map((text, i) => Deno.writeTextFile(paths[i], text)));
    await fn(paths);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("voteFiles: items and figures per file, warnings and debug lines in file order", async () => {
  const texts = [
    resultFile({ x: [0, 9], y: [0] }),
    resultFile({ x: "Reject all", y: [1] }),
    resultFile({ x: [7], y: [0, 1] }),
  ];
  await withFiles(texts, async (paths) => {
    const logger = createMemoryLogger();
    const files = await voteFiles(paths, { rules: "reference", logger });
    assertEquals(files.map((f) => [f.entryCount, f.labelledTurns]), [[1, 1], [1, 1], [1, 1]]);
    // Task 0 accepted by both (valid), task 1 rejected by both (invalid), plus a null item.
    assertEquals(files[0].items.map((item) => [item.category, item.valid]), [
      ["Missed-Need (MN)", false],
      ["Correct-Detection (CD)", true],
      ["False-Alarm (FA)", false],
    ]);
    const logged = logger.lines.map((line) => line.replace(/^(\w+): .*(\d{3})\.json.*$/, "$1 $2"));
    assertEquals(logged, ["warning 000", "debug 000", "debug 001", "warning 002", "debug 002"]);
  });
});

Deno.test("voteFiles: the first bad file stops the run, naming it", async () => {
  const texts = [resultFile({ x: [0] }), "[{]", resultFile({ x: "maybe" })];
  await withFiles(texts, async (paths) => {
    const logger = createMemoryLogger();
    await assertRejects(
      () => voteFiles(paths, { rules: "reference", logger }),
      ProactiveError,
      `Cannot parse "${paths[1]}" as JSON`,
    );
    assertEquals(logger.lines.length, 1);
    assertStringIncludes(logger.lines[0], paths[0]);
  });
});

Deno.test("voteFiles: an abort is noticed between chunks of files", async () => {
  const texts = Array.from({ length: 40 }, () => resultFile({ x: [0], y: [1] }));
  await withFiles(texts, async (paths) => {
    const controller = new AbortController();
    controller.abort();
    const logger = createMemoryLogger();
    const error = await assertRejects(
      () => voteFiles(paths, { rules: "reference", logger, signal: controller.signal }),
      ProactiveError,
      "Interrupted",
    );
    assertEquals(error.kind, "runtime");
    // The first chunk was read; the rest was not.
    assertEquals(logger.lines.length < texts.length, true);
  });
});
