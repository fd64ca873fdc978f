/**
 * The leak-free split of `--split-by turn|trace`: `splitGroups` (called by `convert.ts`,
 * which numbers the groups: one labelled turn, or one result file) keeps every group on one
 * side. The groups are shuffled once with the seeded generator; per category they are
 * taken for the test set with the reference's two passes (`testGrade`, `split_dataset.ts`)
 * while every category stays within `--test-per-category`. A taken group's test-worthy
 * items form the test set and its other items are held out (in neither file); the other
 * groups are the training set.
 *
 * @module
 */
import { CATEGORIES, type Category } from "../formats/reward_category.ts";
import type { PythonRandom } from "../random/python_random.ts";
import { type SplitItem, type SplitResult, testGrade } from "./split_dataset.ts";

/** How items are kept together by the split (see `splitGroups`). */
export type SplitBy = "item" | "turn" | "trace";
export const SPLIT_BY: readonly SplitBy[] = ["item", "turn", "trace"];

export interface GroupSplitResult<T> extends SplitResult<T> {
  /** Items of test groups that may not be test items (see `testGrade`): in neither set. */
  heldOut: T[];
}

/**
 * A leak-free train/test split: every group (the items of one labelled turn, or of one
 * result file, i.e. one trace) lands on one side whole. `groups[i]` is the group of
 * `items[i]`; groups are numbered from 0 in the order the items come (file order, turn
 * order). With one generator seeded once:
 *
 * 1. the list of groups is shuffled once (Python `random.shuffle`);
 * 2. for the categories in the order MN, CR, CD, FA, the shuffled groups are scanned from
 *    the front, first for groups holding an item of the category with exactly 3
 *    annotations all equal to `valid`, then for groups holding one with exactly 2 equal
 *    (the reference's two passes), until the category has `testPerCategory` test items.
 *    A group is taken only if every category stays within `testPerCategory`; all of its
 *    test-worthy items (either kind) count for their categories;
 * 3. taken groups give their test-worthy items to the test set and the rest of their items
 *    to `heldOut` (in neither set: they share the test situations); the other groups go
 *    to train whole.
 *
 * Both sets list the categories in the order MN, CR, CD, FA; within a category, test items
 * come in the order their groups were taken and train items in shuffled group order, each
 * group's items in file order.
 */
export function splitGroups<T extends SplitItem>(
  items: readonly T[],
  groups: readonly number[],
  rng: PythonRandom,
  testPerCategory: number,
): GroupSplitResult<T> {
  const members: T[][] = [];
  items.forEach((item, i) => (members[groups[i]] ??= []).push(item));
  const order = rng.shuffle(members.map((_, group) => group).filter((g) => members[g]));

  // worthy[g][c]: test-worthy items of category c in group g; grades[g][c]: which passes
  // (bit 1: exactly 3 of 3 agree, bit 2: exactly 2 agree) find an item of c in group g.
  const worthy = new Map<number, number[]>();
  const grades = new Map<number, number[]>();
  for (const group of order) {
    const counts = CATEGORIES.map(() => 0);
    const bits = CATEGORIES.map(() => 0);
    for (const item of members[group]) {
      const grade = testGrade(item);
      if (grade === 0) continue;
      const c = CATEGORIES.indexOf(item.category);
      counts[c]++;
      bits[c] |= grade;
    }
    worthy.set(group, counts);
    grades.set(group, bits);
  }

  const count = CATEGORIES.map(() => 0);
  const taken = new Set<number>();
  const takenOrder: number[] = [];
  const fits = (group: number) =>
    worthy.get(group)!.every((n, c) => count[c] + n <= testPerCategory);
  CATEGORIES.forEach((_, c) => {
    for (const grade of [1, 2]) {
      for (const group of order) {
        if (count[c] >= testPerCategory) return;
        if (taken.has(group) || !(grades.get(group)![c] & grade) || !fits(group)) continue;
        taken.add(group);
        takenOrder.push(group);
        worthy.get(group)!.forEach((n, k) => count[k] += n);
      }
    }
  });

  const byCategory = (groupList: number[], keep: (item: T) => boolean) => {
    const out: T[] = [];
    for (const category of CATEGORIES) {
      for (const group of groupList) {
        for (const item of members[group]) {
          if (item.category === category && keep(item)) out.push(item);
        }
      }
    }
    return out;
  };
  const test = byCategory(takenOrder, (item) => testGrade(item) !== 0);
  const heldOut = byCategory(takenOrder, (item) => testGrade(item) === 0);
  const train = byCategory(order.filter((group) => !taken.has(group)), () => true);
  const testCounts = Object.fromEntries(
    CATEGORIES.map((category, c) => [category, count[c]]),
  ) as Record<Category, number>;
  return { train, test, testCounts, heldOut };
}
