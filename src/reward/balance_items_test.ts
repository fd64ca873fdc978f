import { assert, assertEquals } from "../../tests/assert.ts";
import { parseRewardItem, type RewardItem } from "../formats/reward_item.ts";
import { readJsonlFile } from "../jsonl/jsonl_streams.ts";
import { balanceItems } from "./balance_items.ts";

const TRAIN = new URL("../../tests/testdata/reward/train_data.jsonl", import.meta.url).pathname;

async function readItems(path: string) {
  return (await readJsonlFile(path)).map(({ value, line }) => ({
    item: parseRewardItem(value, path, line),
    line,
  }));
}

function item(category: RewardItem["category"], event: string): RewardItem {
  return {
    obs: [{ time: "1", event }],
    pred_task: null,
    valid: false,
    help_needed: true,
    annotation: [false],
    category,
  };
}

Deno.test("balanceItems: the real train set, target 182, CPython's random.choice draws", async () => {
  const items = await readItems(TRAIN);
  const result = balanceItems(items, 42);
  assertEquals(result.target, 182);
  assertEquals(result.before, {
    "Missed-Need (MN)": 93,
    "Correct-Rejection (CR)": 149,
    "Correct-Detection (CD)": 474,
    "False-Alarm (FA)": 913,
  });
  assertEquals(result.after, {
    "Missed-Need (MN)": 182,
    "Correct-Rejection (CR)": 182,
    "Correct-Detection (CD)": 474,
    "False-Alarm (FA)": 913,
  });
  assertEquals(result.items.length, 1751);
  // The input first, in order, untouched.
  assertEquals(result.items.slice(0, 1629).map((b) => b.sourceIndex), [...Array(1629).keys()]);
  assert(result.items.slice(0, 1629).every((b) => !b.drawn));
  // Then the draws: MN first, then CR. Expected indices computed with CPython 3:
  // random.seed(42); [random.choice(mn) for _ in range(89)], then for cr (33).
  const drawn = result.items.slice(1629);
  assert(drawn.every((b) => b.drawn && b.line === b.sourceIndex + 1));
  const mn = drawn.slice(0, 89).map((b) => b.sourceIndex);
  const cr = drawn.slice(89).map((b) => b.sourceIndex);
  assertEquals([...mn.slice(0, 5), ...mn.slice(-2)], [81, 14, 3, 35, 31, 81, 21]);
  assertEquals([...cr.slice(0, 5), ...cr.slice(-2)], [229, 155, 134, 211, 190, 195, 185]);
  assert(drawn.slice(0, 89).every((b) => b.item.category === "Missed-Need (MN)"));
  assert(drawn.slice(89).every((b) => b.item.category === "Correct-Rejection (CR)"));
});

Deno.test("balanceItems: the seed decides the draws; the same seed gives the same list", async () => {
  const items = await readItems(TRAIN);
  const a = balanceItems(items, 42).items.map((b) => b.sourceIndex);
  const b = balanceItems(items, 42n).items.map((b) => b.sourceIndex);
  const c = balanceItems(items, 7).items.map((b) => b.sourceIndex);
  assertEquals(a, b);
  assertEquals(c.length, a.length);
  assert(a.join() !== c.join());
});

Deno.test("balanceItems: small sets, categories at the target, and an empty category", () => {
  const fa = Array.from({ length: 12 }, (_, i) => item("False-Alarm (FA)", `fa ${i}`));
  const cd = [item("Correct-Detection (CD)", "cd 0"), item("Correct-Detection (CD)", "cd 1")];
  const mn = [item("Missed-Need (MN)", "mn 0")];
  const input = [...fa, ...cd, ...mn].map((it, i) => ({ item: it, line: i + 1 }));
  const result = balanceItems(input, 1);
  assertEquals(result.target, 2);
  assertEquals(result.emptyBelowTarget, ["Correct-Rejection (CR)"]);
  assertEquals(result.items.length, 16);
  assertEquals(result.items[15], { item: mn[0], sourceIndex: 14, line: 15, drawn: true });
  assertEquals(result.after["Correct-Rejection (CR)"], 0);
  assertEquals(result.after["Correct-Detection (CD)"], 2);

  // Fewer than 5 items in the largest category: target 0, nothing drawn.
  const few = balanceItems(input.slice(12), 1);
  assertEquals(few.target, 0);
  assertEquals(few.items.length, 3);
  assertEquals(few.emptyBelowTarget, []);
});
