import {
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "../../tests/assert.ts";
import {
  DEFAULT_SEED_TEXT,
  DEFAULT_SEEDS_SOURCE,
  parseSeedText,
  readSeeds,
  selectKinds,
} from "./seed_file.ts";

const SOURCE_YAML = new URL("../../data/seedtask.yaml", import.meta.url);

Deno.test("the embedded seeds are the bytes of data/seedtask.yaml", async () => {
  assertEquals(DEFAULT_SEED_TEXT, await Deno.readTextFile(SOURCE_YAML));
});

Deno.test("the default seeds: three kinds, 68 seed tasks in file order", async () => {
  const seeds = await readSeeds(undefined);
  assertEquals(seeds.length, 68);
  assertEquals([...new Set(seeds.map((s) => s.kind))], [
    "codingassistant",
    "writingassistant",
    "dailyassistant",
  ]);
  assertEquals(seeds.filter((s) => s.kind === "codingassistant").length, 23);
  assertEquals(seeds[0].taskIndex, 0);
  assertStringIncludes(seeds[0].task, "binary search");
  assertEquals(seeds[23].kind, "writingassistant");
  assertEquals(seeds[23].taskIndex, 0);
  assertEquals(seeds[0].sampleEvents.length, 65);
});

Deno.test("seed files: errors name the file and the path", () => {
  const bad = (text: string) => () => parseSeedText(text, "s.yaml");
  assertThrows(bad("- a\n- b\n"), Error, `Invalid seed file "s.yaml": expected a mapping`);
  assertThrows(bad("{}\n"), Error, `Invalid seed file "s.yaml" at $: expected at least one`);
  assertThrows(
    bad("k:\n  tasks: [a, '  ']\n  sample_events: [e]\n"),
    Error,
    `Invalid seed file "s.yaml" at $.k.tasks[1]: expected non-empty text`,
  );
  assertThrows(
    bad("k:\n  tasks: [a]\n"),
    Error,
    `Invalid seed file "s.yaml" at $.k.sample_events`,
  );
  assertThrows(bad("k:\n"), Error, `Invalid seed file "s.yaml" at $.k`);
  assertThrows(bad("k: [unclosed\n"), Error, `Cannot parse "s.yaml" as YAML`);
  assertThrows(
    bad("a b:\n  tasks: [t]\n  sample_events: [e]\na_b:\n  tasks: [t]\n  sample_events: [e]\n"),
    Error,
    `the kinds "a b" and "a_b" would both name their scenes "a_b"`,
  );
});

Deno.test("readSeeds: a missing file or a folder is named", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assertRejects(
      () => readSeeds(`${dir}/none.yaml`),
      Error,
      `The seed file "${dir}/none.yaml" does not exist`,
    );
    await assertRejects(
      () => readSeeds(dir),
      Error,
      `The seed file "${dir}" is a folder, not a file`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("selectKinds: keeps seed order; unknown kinds list the known ones", async () => {
  const seeds = await readSeeds(undefined);
  const picked = selectKinds(seeds, ["dailyassistant", "codingassistant"], DEFAULT_SEEDS_SOURCE);
  assertEquals(picked.length, 46);
  assertEquals(picked[0].kind, "codingassistant");
  assertEquals(picked.at(-1)!.kind, "dailyassistant");
  assertEquals(selectKinds(seeds, undefined, DEFAULT_SEEDS_SOURCE).length, 68);
  assertThrows(
    () => selectKinds(seeds, ["coding"], DEFAULT_SEEDS_SOURCE),
    Error,
    `Unknown scene kind "coding" in --kinds: "embedded seedtask.yaml" has "codingassistant"`,
  );
});
