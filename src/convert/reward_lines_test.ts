import { assert, assertEquals } from "../../tests/assert.ts";
import { rewardItemSchema } from "../formats/reward_item.ts";
import { type EncodedItem, encodeRewardLines, itemTail, LineEncoder } from "./reward_lines.ts";
import type { Vote } from "./vote_rules.ts";

function concat(chunks: Iterable<Uint8Array>): string {
  let text = "";
  const decoder = new TextDecoder();
  for (const chunk of chunks) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

// Python JSON text, as `parseResultData` gives it (a line break in a string is `\n`).
const OBSERVATIONS = [
  '{"time": "1", "event": "é \\"x\\"\\n"}',
  '{"time": "2", "event": "b", "n": 1.5}',
];

const VOTES: Vote[] = [
  {
    predTask: "Tâche\n2 \u0001 😀 \ud800",
    valid: false,
    helpNeeded: true,
    annotation: [true, false, false],
    category: "False-Alarm (FA)",
  },
  {
    predTask: null,
    valid: true,
    helpNeeded: false,
    annotation: [],
    category: "Correct-Rejection (CR)",
  },
  {
    predTask: "t",
    valid: true,
    helpNeeded: false,
    annotation: Array.from({ length: 30 }, (_, i) => i % 3 === 0),
    category: "Correct-Detection (CD)",
  },
];

// The first two lines are CPython 3.11's json.dumps(item, ensure_ascii=False) of the same
// items (the lone surrogate, which Python cannot encode to UTF-8, aside).
const FIRST = '{"time": "1", "event": "é \\"x\\"\\n"}';
const BOTH = `${FIRST}, {"time": "2", "event": "b", "n": 1.5}`;
const EXPECTED = [
  `{"obs": [${FIRST}], "pred_task": "Tâche\\n2 \\u0001 😀 \\ud800", ` +
  '"valid": false, "help_needed": true, "annotation": [true, false, false], ' +
  '"category": "False-Alarm (FA)"}\n',
  `{"obs": [${BOTH}], "pred_task": null, "valid": true, "help_needed": false, ` +
  '"annotation": [], "category": "Correct-Rejection (CR)"}\n',
  `{"obs": [${BOTH}], "pred_task": "t", "valid": true, "help_needed": false, "annotation": [` +
  VOTES[2].annotation.join(", ") + '], "category": "Correct-Detection (CD)"}\n',
];

/** The items of one file: the first vote is of entry 0, the others of entry 1. */
function fileItems(lines = new LineEncoder()): EncodedItem[] {
  const items: EncodedItem[] = [];
  lines.encodeFile(OBSERVATIONS, [0, 1, 1], VOTES, items);
  return items;
}

Deno.test("encodeRewardLines writes each item as Python's json.dumps does", () => {
  assertEquals(concat(encodeRewardLines(fileItems())), EXPECTED.join(""));
});

Deno.test("items keep what the split needs; the observations are encoded once per file", () => {
  const items = fileItems();
  assertEquals(
    items.map((item) => [item.category, item.valid, item.annotation]),
    VOTES.map((vote) => [vote.category, vote.valid, vote.annotation]),
  );
  assert(items.every((item) => item.bytes === items[0].bytes), "one buffer");
  assert(items.every((item) => item.headStart === items[0].headStart), "one prefix");
  assertEquals(items[1].headEnd, items[2].headEnd);
  const head = items[0].bytes.subarray(items[0].headStart, items[0].headEnd);
  assertEquals(concat([head]), '{"obs": [' + OBSERVATIONS[0]);
});

Deno.test("files fill small buffers one after the other; earlier items stay intact", () => {
  const lines = new LineEncoder(64);
  const items = [...fileItems(lines), ...fileItems(lines), ...fileItems(lines)];
  assert(items[0].bytes !== items[3].bytes, "a new buffer per file");
  const order = [items[5], items[0], items[3], items[8], items[4], items[1]];
  const expected = [2, 0, 0, 2, 1, 1].map((i) => EXPECTED[i]).join("");
  assertEquals(concat(encodeRewardLines(order)), expected);
});

Deno.test("itemTail is the text after the observations", () => {
  VOTES.forEach((vote, i) => assertEquals(EXPECTED[i].endsWith(itemTail(vote)), true));
});

Deno.test("lines parse back as reward items", () => {
  for (const line of EXPECTED) {
    assertEquals(rewardItemSchema.safeParse(JSON.parse(line)).success, true);
  }
});

Deno.test("the output is the same whatever the chunk size; a chunk outlives the next one", () => {
  const items = fileItems();
  for (const size of [1, 7, 64, 100_000]) {
    // Decode each chunk only when the next one has been produced (as a pipelined writer).
    let previous: Uint8Array | undefined;
    const seen: Uint8Array[] = [];
    for (const chunk of encodeRewardLines(items, size)) {
      if (previous) seen.push(previous.slice());
      previous = chunk;
    }
    if (previous) seen.push(previous.slice());
    assertEquals(concat(seen), EXPECTED.join(""), `chunk size ${size}`);
  }
  assertEquals(concat(encodeRewardLines([])), "");
});
