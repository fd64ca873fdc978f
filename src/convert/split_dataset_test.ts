import { assertEquals } from "../../tests/assert.ts";
import type { Category } from "../formats/reward_item.ts";
import { PythonRandom } from "../random/python_random.ts";
import { splitDataset } from "./split_dataset.ts";

interface Item {
  id: string;
  category: Category;
  valid: boolean;
  annotation: boolean[];
}

const CD: Category = "Correct-Detection (CD)";
const FA: Category = "False-Alarm (FA)";
const MN: Category = "Missed-Need (MN)";

function item(id: string, category: Category, valid: boolean, annotation: boolean[]): Item {
  return { id, category, valid, annotation };
}

Deno.test("the split shuffles each category with Python's shuffle before taking test items", () => {
  // seed(42) + shuffle([0..9]) → [7, 3, 2, 8, 5, 6, 9, 4, 0, 1] in CPython.
  const items = Array.from({ length: 10 }, (_, i) => item(`cd${i}`, CD, true, [true, true, true]));
  const { train, test } = splitDataset(items, new PythonRandom(42), 3);
  assertEquals(test.map((x) => x.id), ["cd7", "cd3", "cd2"]);
  assertEquals(train.map((x) => x.id), ["cd8", "cd5", "cd6", "cd9", "cd4", "cd0", "cd1"]);
});

Deno.test("first pass: exactly 3 annotations all equal to valid; then exactly 2 equal", () => {
  const items = [
    item("two-of-3", CD, true, [true, true, false]),
    item("three", CD, true, [true, true, true]),
    item("four-all", CD, true, [true, true, true, true]),
    item("two-of-4", CD, true, [true, true, false, false]),
    item("one", CD, true, [true, false, false]),
  ];
  const rng = new PythonRandom(1);
  const { test, train, testCounts } = splitDataset(items, rng, 3);
  // "three" is the only 3-of-3 item; the exactly-2 pass then takes two-of-3 and two-of-4
  // in shuffled order; four-all (4 equal) and one never qualify.
  assertEquals(test[0].id, "three");
  assertEquals(test.slice(1).map((x) => x.id).sort(), ["two-of-3", "two-of-4"]);
  assertEquals(train.map((x) => x.id).sort(), ["four-all", "one"]);
  assertEquals(testCounts[CD], 3);
});

Deno.test("the exactly-2 pass rescans from the front of what is left, up to the limit", () => {
  const items = [
    item("a", FA, false, [false, false, true]),
    item("b", FA, false, [false, false, false]),
    item("c", FA, false, [false, false, true]),
  ];
  // Find a seed that keeps the order a, b, c for 3 items (shuffle of [0,1,2] is identity).
  let seed = 0;
  while (new PythonRandom(seed).shuffle([0, 1, 2]).join() !== "0,1,2") seed++;
  const { test, train } = splitDataset(items, new PythonRandom(seed), 2);
  assertEquals(test.map((x) => x.id), ["b", "a"]);
  assertEquals(train.map((x) => x.id), ["c"]);
});

Deno.test("categories are processed MN, CR, CD, FA with one generator; counts per category", () => {
  const items = [
    item("fa", FA, false, [false, false, false]),
    item("cd", CD, true, [true, true, true]),
    item("mn1", MN, false, [false, false, false]),
    item("mn2", MN, false, [false, false, true]),
  ];
  const { test, train, testCounts } = splitDataset(items, new PythonRandom(42), 1);
  assertEquals(test.map((x) => x.category), [MN, CD, FA]);
  assertEquals(test[0].id, "mn1");
  assertEquals(train.map((x) => x.id), ["mn2"]);
  assertEquals(testCounts, {
    "Missed-Need (MN)": 1,
    "Correct-Rejection (CR)": 0,
    "Correct-Detection (CD)": 1,
    "False-Alarm (FA)": 1,
  });
});

Deno.test("the generator state carries over from one category to the next", () => {
  const mn = Array.from({ length: 4 }, (_, i) => item(`mn${i}`, MN, false, [false, false, false]));
  const cd = Array.from({ length: 10 }, (_, i) => item(`cd${i}`, CD, true, [true, true, true]));
  const { train } = splitDataset([...mn, ...cd], new PythonRandom(42), 0);
  const rng = new PythonRandom(42);
  const expectedMn = rng.shuffle([0, 1, 2, 3]).map((i) => `mn${i}`);
  const expectedCd = rng.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]).map((i) => `cd${i}`);
  assertEquals(train.map((x) => x.id), [...expectedMn, ...expectedCd]);
});
