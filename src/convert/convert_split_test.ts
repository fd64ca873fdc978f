import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { createMemoryLogger } from "../cli/testing/memory_logger.ts";
import { CATEGORIES } from "../formats/reward_category.ts";
import { parseConvertOptions } from "./command.ts";
import { convertResults } from "./convert.ts";

const FIXTURES = fileURLToPath(new URL("../../tests/testdata/convert/", import.meta.url));

interface Line {
  obs: unknown[];
  pred_task: string | null;
  category: string;
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "convert-split-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function readLines(path: string): Promise<Line[]> {
  const text = await Deno.readTextFile(path);
  return text === "" ? [] : text.trimEnd().split("\n").map((line) => JSON.parse(line));
}

/** Converts `fixture` with `args`; resolves to the summary and both sets. */
async function run(fixture: string, args: string[]) {
  let out: { summary: Awaited<ReturnType<typeof convertResults>>; train: Line[]; test: Line[] };
  await withTempDir(async (dir) => {
    const options = parseConvertOptions([
      `${FIXTURES}${fixture}/result`,
      "--out-dir",
      dir,
      ...args,
    ]);
    const summary = await convertResults(options, { logger: createMemoryLogger() });
    out = {
      summary,
      train: await readLines(`${dir}/train_data.jsonl`),
      test: await readLines(`${dir}/test_data.jsonl`),
    };
  });
  return out!;
}

/** A situation: the observations an item was judged on (one labelled turn of one trace). */
const situation = (line: Line) => JSON.stringify(line.obs);
/** A trace: its first observation (unique per file in these fixtures, checked below). */
const trace = (line: Line) => JSON.stringify(line.obs[0]);

function shared(a: Line[], b: Line[], key: (line: Line) => string): number {
  const keys = new Set(a.map(key));
  return b.filter((line) => keys.has(key(line))).length;
}

for (const fixture of ["three_annotators", "finished_traces"]) {
  const args = ["--seed", "5", "--test-per-category", "6"];

  Deno.test(`split by item (the reference) shares situations between the sets: ${fixture}`, async () => {
    const { train, test } = await run(fixture, args);
    assert(shared(train, test, situation) > 0, "the reference split leaks situations");
  });

  Deno.test(`split by turn keeps each labelled turn on one side: ${fixture}`, async () => {
    const { summary, train, test } = await run(fixture, [...args, "--split-by", "turn"]);
    assert(test.length > 0);
    assertEquals(shared(train, test, situation), 0);
    assertEquals(summary.splitBy, "turn");
    for (const c of CATEGORIES) assert(summary.categories[c].test <= 6);
    const byItem = await run(fixture, args);
    assertEquals(
      train.length + test.length + summary.heldOut,
      byItem.train.length + byItem.test.length,
    );
  });

  Deno.test(`split by trace keeps each result file on one side: ${fixture}`, async () => {
    const { summary, train, test } = await run(fixture, [...args, "--split-by", "trace"]);
    // The first observations tell the files apart (else the check below would prove little).
    const firsts = new Set<string>();
    for (const entry of Deno.readDirSync(`${FIXTURES}${fixture}/result`)) {
      const data = JSON.parse(Deno.readTextFileSync(`${FIXTURES}${fixture}/result/${entry.name}`));
      if (data.length > 0) firsts.add(JSON.stringify(data[0].observation));
    }
    assertEquals(firsts.size, Deno.readDirSync(`${FIXTURES}${fixture}/result`).toArray().length);
    assert(test.length > 0);
    assertEquals(shared(train, test, trace), 0);
    assert(shared(train, test, situation) === 0);
    for (const c of CATEGORIES) {
      const { train: tr, test: te, heldOut, total } = summary.categories[c];
      assertEquals(tr + te + heldOut, total, c);
      assert(te <= 6, c);
    }
  });
}

Deno.test("split by trace: the summary says which test-worthy items stayed in train", async () => {
  const { summary } = await run("finished_traces", ["--split-by", "trace"]);
  const short = CATEGORIES.filter((c) => summary.categories[c].test < 30);
  assert(short.length > 0);
  for (const c of short) {
    const { test, testWorthy } = summary.categories[c];
    const note = summary.notes.find((n) => n.startsWith(`${c}: ${test} of 30 test items`));
    assert(note !== undefined, c);
    if (testWorthy > test) {
      assertStringIncludes(note, `${testWorthy - test} stay in train because their trace`);
    }
  }
});

for (const splitBy of ["turn", "trace"]) {
  Deno.test(`split by ${splitBy} is seeded: same seed, same sets; another seed, others`, async () => {
    const args = ["--test-per-category", "6", "--split-by", splitBy];
    const first = await run("three_annotators", ["--seed", "5", ...args]);
    const again = await run("three_annotators", ["--seed", "5", ...args]);
    const other = await run("three_annotators", ["--seed", "6", ...args]);
    assertEquals([again.train, again.test], [first.train, first.test]);
    assert(JSON.stringify(other.test) !== JSON.stringify(first.test));
  });
}
