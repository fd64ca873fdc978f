import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import {
  compareCodePoints,
  isPlainResultFile,
  listResultFiles,
  parseResultData,
  readResultFile,
} from "./read_results.ts";

function entry(event: string, extra: Record<string, unknown> = {}) {
  return { observation: { time: "1", event }, candidate_task: [], ...extra };
}

Deno.test("listResultFiles: *.json files only, no hidden files, code-point order", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const name of ["b.json", "a.json", "😀.json", "ﬀ.json", ".hidden.json", "notes.txt"]) {
      await Deno.writeTextFile(`${dir}/${name}`, "[]");
    }
    await Deno.mkdir(`${dir}/folder`);
    await Deno.symlink(`${dir}/a.json`, `${dir}/link.json`);
    // Python sorts by code point: U+FB00 (ﬀ) before U+1F600 (😀); UTF-16 order would not.
    assertEquals(await listResultFiles(dir), [
      "a.json",
      "b.json",
      "link.json",
      "ﬀ.json",
      "😀.json",
    ]);
    // A folder named like a result file is left out (as by the reference), not silently.
    await Deno.mkdir(`${dir}/folder.json`);
    const warnings: string[] = [];
    assertEquals((await listResultFiles(dir, (m) => warnings.push(m))).length, 5);
    assertEquals(warnings, [`"${dir}/folder.json" is a folder, not a file: skipped`]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("listResultFiles names a missing folder", async () => {
  await assertRejects(
    () => listResultFiles("/nonexistent/result"),
    ProactiveError,
    'Cannot read the result folder "/nonexistent/result": "/nonexistent/result" does not exist',
  );
});

Deno.test("compareCodePoints orders like Python's sorted()", () => {
  const names = ["😀", "ﬀ", "z", "Z", "é", "a", "ab", ""];
  assertEquals(names.sort(compareCodePoints), ["", "Z", "a", "ab", "z", "é", "ﬀ", "😀"]);
});

Deno.test("parseResultData: labelled turns, counts and observations as Python JSON", async () => {
  const file = [
    entry("first"),
    {
      observation: { event: '二 "q"', time: "2", extra: 1 },
      candidate_task: ["x", "y"],
      real_user: { u1: [1], u2: "Reject all" },
    },
    entry("third"),
    { ...entry("fourth"), candidate_task: ["z"], real_user: { u1: [0, 5] } },
    entry("after the last question"),
  ];
  const warnings: string[] = [];
  const data = await parseResultData(JSON.stringify(file), "r.json", (m) => warnings.push(m));
  assertEquals(data.entryCount, 5);
  assertEquals(data.turns.map((t) => [t.entry, t.tasks, t.annotators, t.labels]), [
    [1, ["x", "y"], ["u1", "u2"], [[1], "Reject all"]],
    [3, ["z"], ["u1"], [[0, 5]]],
  ]);
  // Entries 0..3 (the last labelled turn): the one after it is never written.
  assertEquals(data.observations.length, 4);
  assertEquals(
    data.observations.slice(0, 2),
    ['{"time": "1", "event": "first"}', '{"event": "二 \\"q\\"", "time": "2", "extra": 1}'],
  );
  assertEquals(warnings.length, 1);
  assertEquals(warnings[0].includes("$[3].real_user.u1"), true);
});

Deno.test("parseResultData keeps the file's order of integer-like keys", async () => {
  const text = '[{"observation": {"time": "1", "10": "x", "event": "e"}, "candidate_task": ' +
    '["t"], "real_user": {"f00d": [0], "7": "Reject all", "2": [0]}}]';
  const data = await parseResultData(text, "r.json");
  assertEquals(data.turns[0].annotators, ["f00d", "7", "2"]);
  assertEquals(data.turns[0].labels, [[0], "Reject all", [0]]);
  assertEquals(data.observations, ['{"time": "1", "10": "x", "event": "e"}']);
});

Deno.test("parseResultData: errors name the file and the JSON path", async () => {
  await assertRejects(
    () => parseResultData("[{", "bad.json"),
    ProactiveError,
    'Cannot parse "bad.json" as JSON',
  );
  await assertRejects(
    () => parseResultData('{"a": 1}', "obj.json"),
    ProactiveError,
    'Invalid result file "obj.json" at $:',
  );
  const wrongLabel = [{ ...entry("e"), candidate_task: ["t"], real_user: { u: "maybe" } }];
  await assertRejects(
    () => parseResultData(JSON.stringify(wrongLabel), "w.json"),
    ProactiveError,
    'Invalid result file "w.json" at $[0].real_user.u',
  );
  const noEvent = [{ observation: { time: "1" }, candidate_task: [] }];
  await assertRejects(
    () => parseResultData(JSON.stringify(noEvent), "n.json"),
    ProactiveError,
    "at $[0].observation.event",
  );
  const mixed = [{ ...entry("e"), candidate_task: ["t"], real_user: { a: "need", b: [0] } }];
  const error = await assertRejects(
    () => parseResultData(JSON.stringify(mixed), "m.json"),
    ProactiveError,
    'Invalid result file "m.json" at $[0].real_user: mixes help-mode labels',
  );
  assertEquals(error.kind, "input");
});

Deno.test("isPlainResultFile accepts what the schema accepts and refuses odd shapes", () => {
  assertEquals(isPlainResultFile([entry("e", { real_user: { a: [0, 1], b: "no need" } })]), true);
  assertEquals(isPlainResultFile([entry("e", { real_user: { a: [-1] } })]), false);
  assertEquals(isPlainResultFile([entry("e", { real_user: { a: [1.5] } })]), false);
  assertEquals(isPlainResultFile([entry("e", { real_user: null })]), false);
  assertEquals(
    isPlainResultFile([{ observation: { time: 1, event: "e" }, candidate_task: [] }]),
    false,
  );
  assertEquals(isPlainResultFile({}), false);
});

Deno.test("readResultFile refuses files that are not UTF-8, naming them", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/x.json`, new Uint8Array([0x5b, 0xff, 0x5d]));
    await assertRejects(
      () => readResultFile(`${dir}/x.json`),
      ProactiveError,
      `The result file "${dir}/x.json" is not UTF-8 text: invalid byte 0xff at byte offset 1`,
    );
    // U+FFFD itself is valid UTF-8.
    const labelled = entry("\ufffd", { candidate_task: ["t"], real_user: { a: [0] } });
    await Deno.writeTextFile(`${dir}/ok.json`, JSON.stringify([labelled]));
    const file = await readResultFile(`${dir}/ok.json`);
    assertEquals(file.observations, ['{"time": "1", "event": "\ufffd"}']);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A raw trace turn, as the reference server appends it when an annotator finishes. */
function rawTurn(event: string, tasks: string[] = []) {
  return {
    observation: { time: "1", event },
    agent_response: { candidate_task: tasks },
    task_status: tasks.length > 0,
  };
}

Deno.test("parseResultData: raw trace turns count as entries and lend their observation", async () => {
  const file = [
    rawTurn("r0", ["ignored"]),
    entry("s1", { candidate_task: ["t"], real_user: { a: [0], b: "Reject all" } }),
    rawTurn("r2"),
    rawTurn("r3", ["x"]),
  ];
  const data = await parseResultData(JSON.stringify(file), "f.json");
  assertEquals(data.entryCount, 4);
  assertEquals(data.turns.map((t) => [t.entry, t.tasks]), [[1, ["t"]]]);
  assertEquals(data.observations, [
    '{"time": "1", "event": "r0"}',
    '{"time": "1", "event": "s1"}',
  ]);
  const allRaw = await parseResultData(JSON.stringify([rawTurn("a"), rawTurn("b")]), "r.json");
  assertEquals([allRaw.entryCount, allRaw.turns.length], [2, 0]);
});

Deno.test("parseResultData: a labelled entry needs candidate_task; others need one shape", async () => {
  const labelledRaw = [{ ...rawTurn("e", ["t"]), real_user: { a: [0] } }];
  await assertRejects(
    () => parseResultData(JSON.stringify(labelledRaw), "l.json"),
    ProactiveError,
    'Invalid result file "l.json" at $[0].candidate_task: an entry with real_user must carry ' +
      "candidate_task",
  );
  await assertRejects(
    () => parseResultData(JSON.stringify([{ observation: { time: "1", event: "e" } }]), "n.json"),
    ProactiveError,
    'Invalid result file "n.json" at $[0]: expected a saved turn',
  );
  const badRaw = [{
    observation: { time: "1", event: "e" },
    agent_response: { candidate_task: [1] },
  }];
  await assertRejects(
    () => parseResultData(JSON.stringify(badRaw), "b.json"),
    ProactiveError,
    'Invalid result file "b.json" at $[0].agent_response.candidate_task[0]',
  );
  assertEquals(isPlainResultFile(labelledRaw), false);
  assertEquals(isPlainResultFile(badRaw), false);
  assertEquals(isPlainResultFile([rawTurn("e", ["t"]), entry("f")]), true);
});
