import { assert, assertEquals } from "../../tests/assert.ts";
import { CATEGORIES, type Category } from "../formats/reward_category.ts";
import { PythonRandom } from "../random/python_random.ts";
import { testGrade } from "./split_dataset.ts";
import { splitGroups } from "./split_groups.ts";

interface Item {
  id: string;
  category: Category;
  valid: boolean;
  annotation: boolean[];
}

const [MN, CR, CD, FA] = CATEGORIES;
const ALL3 = [true, true, true];
const TWO = [true, true, false];
const ONE = [true, false, false];

function item(id: string, category: Category, annotation: boolean[]): Item {
  return { id, category, valid: true, annotation };
}

Deno.test("splitGroups: hand-worked example (seed 42 shuffles groups 0..3 to 2, 1, 3, 0)", () => {
  const items = [
    item("g0-mn3", MN, ALL3),
    item("g1-mn2", MN, TWO),
    item("g1-cd3", CD, ALL3),
    item("g1-fa1", FA, ONE),
    item("g2-cd3", CD, ALL3),
    item("g2-cd2", CD, TWO),
    item("g3-mn3", MN, ALL3),
    item("g3-cr3", CR, ALL3),
    item("g3-fa1", FA, ONE),
  ];
  const groups = [0, 1, 1, 1, 2, 2, 3, 3, 3];
  const { train, test, heldOut, testCounts } = splitGroups(items, groups, new PythonRandom(42), 1);
  // MN, first pass: group 2 has no MN item, group 1 only a 2-of-3 one, group 3 a 3-of-3 one
  // and fits (MN 1, CR 1): taken, which also fills CR. CD: group 2 has 2 test-worthy CD
  // items (over the quota of 1), group 1 would give MN a second test item: neither fits.
  assertEquals(test.map((x) => x.id), ["g3-mn3", "g3-cr3"]);
  assertEquals(heldOut.map((x) => x.id), ["g3-fa1"]);
  assertEquals(train.map((x) => x.id), [
    "g1-mn2",
    "g0-mn3",
    "g2-cd3",
    "g2-cd2",
    "g1-cd3",
    "g1-fa1",
  ]);
  assertEquals(testCounts, { [MN]: 1, [CR]: 1, [CD]: 0, [FA]: 0 });
});

Deno.test("splitGroups: a quota of 0 puts every item in train; no item gives empty sets", () => {
  const items = [item("a", CD, ALL3), item("b", MN, TWO)];
  const zero = splitGroups(items, [0, 1], new PythonRandom(1), 0);
  assertEquals([zero.test.length, zero.heldOut.length, zero.train.length], [0, 0, 2]);
  const none = splitGroups([], [], new PythonRandom(1), 5);
  assertEquals([none.train, none.test, none.heldOut], [[], [], []]);
});

/** Random items in random groups, from a seeded generator. */
function randomCase(seed: number) {
  const rng = new PythonRandom(seed);
  const items: Item[] = [];
  const groups: number[] = [];
  const groupCount = 1 + rng.randbelow(40);
  for (let group = 0; group < groupCount; group++) {
    const size = rng.randbelow(7);
    for (let k = 0; k < size; k++) {
      const n = 1 + rng.randbelow(4);
      const annotation = Array.from({ length: n }, () => rng.random() < 0.7);
      const category = CATEGORIES[rng.randbelow(4)];
      items.push({ id: `${group}.${k}`, category, valid: rng.random() < 0.5, annotation });
      groups.push(group);
    }
  }
  return { items, groups, quota: rng.randbelow(12) };
}

Deno.test("splitGroups: groups stay whole, quotas hold, and no train group could still be taken", () => {
  for (let seed = 0; seed < 300; seed++) {
    const { items, groups, quota } = randomCase(seed);
    const result = splitGroups(items, groups, new PythonRandom(seed), quota);
    const { train, test, heldOut, testCounts } = result;
    const groupOf = new Map(items.map((x, i) => [x, groups[i]]));
    const trainGroups = new Set(train.map((x) => groupOf.get(x)));
    const testGroups = new Set([...test, ...heldOut].map((x) => groupOf.get(x)));
    for (const group of testGroups) assert(!trainGroups.has(group), `seed ${seed}: group ${group}`);
    assertEquals(train.length + test.length + heldOut.length, items.length);
    assertEquals(new Set([...train, ...test, ...heldOut]).size, items.length);
    assert(test.every((x) => testGrade(x) !== 0) && heldOut.every((x) => testGrade(x) === 0));
    const count = CATEGORIES.map((c) => test.filter((x) => x.category === c).length);
    assertEquals(CATEGORIES.map((c) => testCounts[c]), count);
    assert(count.every((n) => n <= quota), `seed ${seed}: ${count} > ${quota}`);
    // Greedy completeness: a train group with a test-worthy item of a category short of
    // its quota must not fit (taking it would push some category over the quota).
    for (const group of trainGroups) {
      const worthy = CATEGORIES.map((c) =>
        items.filter((x, i) => groups[i] === group && x.category === c && testGrade(x) !== 0)
          .length
      );
      const wanted = worthy.some((n, c) => n > 0 && count[c] < quota);
      const fits = worthy.every((n, c) => count[c] + n <= quota);
      assert(!(wanted && fits), `seed ${seed}: group ${group} could have been taken`);
    }
    // Seeded: the same seed gives the same split.
    const again = splitGroups(items, groups, new PythonRandom(seed), quota);
    assertEquals(again.test.map((x) => x.id), test.map((x) => x.id));
    assertEquals(again.train.map((x) => x.id), train.map((x) => x.id));
  }
});
