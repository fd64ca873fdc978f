import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { createMemoryLogger } from "../cli/testing/memory_logger.ts";
import { FIXTURE_TRACES } from "./testing/test_context.ts";
import { catalogTrace, embeddedCatalog, loadCatalog, loadCatalogDir } from "./trace_catalog.ts";

const TESTDATA = fileURLToPath(new URL("../../tests/testdata/serve", import.meta.url));

Deno.test("the embedded catalog holds the 12 ProactiveBench traces and a help-mode one", () => {
  const catalog = embeddedCatalog();
  assertEquals(catalog.traces.length, 13);
  assertEquals(catalog.traces[0].name, "code_11");
  assertEquals(catalog.traces.at(-1)?.name, "writing_16");
  assertEquals(catalog.traces[6].name, "empty_code_11"); // in name order
  const help = catalog.get("empty_code_11")!;
  assertEquals([help.mode, help.questions], ["help", [3, 7, 10, 14]]);
  // code_11's events, without its candidate tasks.
  const source = catalog.get("code_11")!;
  assertEquals(help.turns.map((t) => t.observation), source.turns.map((t) => t.observation));
  assert(help.turns.every((t) => t.agent_response.candidate_task.length === 0));
  const code11 = catalog.get("code_11");
  assert(code11);
  assertEquals(code11.mode, "tasks");
  assertEquals(code11.questions.length, 8);
  for (const turn of code11.questions) {
    assert(code11.turns[turn].agent_response.candidate_task.length > 0);
  }
  assertEquals(catalog.traces.reduce((n, t) => n + t.questions.length, 0), 128 + 4);
  assertEquals(catalog.get("splits"), undefined);
});

Deno.test("a data folder: splits.json ignored, help mode at existing checkpoints", async () => {
  const catalog = await loadCatalogDir(FIXTURE_TRACES);
  assertEquals(catalog.traces.map((t) => t.name), ["alpha", "beta", "empty_gamma"]);
  assertEquals(catalog.get("alpha")?.questions, [1, 3, 4]);
  assertEquals(catalog.get("alpha")?.questionIndex.get(3), 1);
  assertEquals(catalog.get("beta")?.questions, [0, 2]);
  const gamma = catalog.get("empty_gamma");
  assertEquals(gamma?.mode, "help");
  // 12 turns: checkpoint 14 does not exist and is skipped.
  assertEquals(gamma?.questions, [3, 7, 10]);
  const custom = await loadCatalog(FIXTURE_TRACES, [0, 11, 12]);
  assertEquals(custom.get("empty_gamma")?.questions, [0, 11]);
});

Deno.test("a trace without questions is skipped with a warning", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const turn = { observation: { time: "1", event: "e" }, agent_response: { candidate_task: [] } };
    await Deno.writeTextFile(join(dir, "quiet.json"), JSON.stringify([turn, turn]));
    await Deno.writeTextFile(join(dir, "empty_short.json"), JSON.stringify([turn, turn]));
    await Deno.copyFile(join(FIXTURE_TRACES, "beta.json"), join(dir, "beta.json"));
    const logger = createMemoryLogger();
    const catalog = await loadCatalogDir(dir, [3], logger);
    assertEquals(catalog.traces.map((t) => t.name), ["beta"]);
    assertEquals(logger.lines.length, 2);
    assert(logger.lines.some((line) => line.includes('"empty_short": it has no question')));
    assertEquals(catalogTrace("empty_short", [turn], [0]).questions, [0]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad data folders name the file at fault", async () => {
  await assertRejects(
    () => loadCatalogDir(join(TESTDATA, "bad_name")),
    ProactiveError,
    'Invalid trace file name "',
  );
  await assertRejects(
    () => loadCatalogDir(join(TESTDATA, "bad_trace")),
    ProactiveError,
    'broken.json" at $[0]',
  );
  await assertRejects(
    () => loadCatalogDir(join(TESTDATA, "does_not_exist")),
    ProactiveError,
    "Cannot read the trace folder",
  );
  const empty = await Deno.makeTempDir();
  try {
    await assertRejects(() => loadCatalogDir(empty), ProactiveError, "No trace with questions");
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});

Deno.test("a data folder: a folder named like a trace is an error naming it, a BOM is dropped", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const alpha = await Deno.readFile(join(FIXTURE_TRACES, "alpha.json"));
    await Deno.writeFile(join(dir, "alpha.json"), new Uint8Array([0xef, 0xbb, 0xbf, ...alpha]));
    const catalog = await loadCatalogDir(dir);
    assertEquals(catalog.traces.map((t) => t.name), ["alpha"]);
    // Before: the folder was skipped without a word.
    await Deno.mkdir(join(dir, "beta.json"));
    await assertRejects(
      () => loadCatalogDir(dir),
      ProactiveError,
      `"${join(dir, "beta.json")}" is a folder, not a file`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
