import { assertEquals } from "../../tests/assert.ts";
import { rewardItemSchema } from "../formats/reward_item.ts";
import { type EncodedItem, encodeRewardLines } from "./reward_lines.ts";

const encode = (text: string) => new TextEncoder().encode(text);

function concat(chunks: Iterable<Uint8Array>): string {
  let text = "";
  const decoder = new TextDecoder();
  for (const chunk of chunks) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

const ITEMS: EncodedItem[] = [
  {
    obs: encode('{"time": "1", "event": "é \\"x\\""}'),
    predTask: "Tâche\n2",
    valid: false,
    helpNeeded: true,
    annotation: [true, false, false],
    category: "False-Alarm (FA)",
  },
  {
    obs: encode('{"time": "1", "event": "a"}, {"time": "2", "event": "b"}'),
    predTask: null,
    valid: true,
    helpNeeded: false,
    annotation: [],
    category: "Correct-Rejection (CR)",
  },
];

// Both lines are CPython 3.11's json.dumps(item, ensure_ascii=False) of the same items.
const EXPECTED = '{"obs": [{"time": "1", "event": "é \\"x\\""}], "pred_task": "Tâche\\n2", ' +
  '"valid": false, "help_needed": true, "annotation": [true, false, false], ' +
  '"category": "False-Alarm (FA)"}\n' +
  '{"obs": [{"time": "1", "event": "a"}, {"time": "2", "event": "b"}], "pred_task": null, ' +
  '"valid": true, "help_needed": false, "annotation": [], "category": "Correct-Rejection (CR)"}\n';

Deno.test("encodeRewardLines writes each item as Python's json.dumps does", () => {
  assertEquals(concat(encodeRewardLines(ITEMS)), EXPECTED);
});

Deno.test("lines parse back as reward items", () => {
  for (const line of EXPECTED.trimEnd().split("\n")) {
    assertEquals(rewardItemSchema.safeParse(JSON.parse(line)).success, true);
  }
});

Deno.test("the output is the same whatever the chunk size; a chunk outlives the next one", () => {
  for (const size of [1, 7, 64, 100_000]) {
    // Decode each chunk only when the next one has been produced (as a pipelined writer).
    let previous: Uint8Array | undefined;
    const seen: Uint8Array[] = [];
    for (const chunk of encodeRewardLines(ITEMS, size)) {
      if (previous) seen.push(previous.slice());
      previous = chunk;
    }
    if (previous) seen.push(previous.slice());
    assertEquals(concat(seen), EXPECTED, `chunk size ${size}`);
  }
  assertEquals(concat(encodeRewardLines([])), "");
});
