/**
 * The reference's train/test split (rule 6), item by item: `splitDataset`, used by
 * `convert.ts` for `--split-by item` (the default). Per category (MN, CR, CD, FA): a Python
 * `random.shuffle` with the run's one seeded generator (`PythonRandom`), then two passes
 * taking test items, first those with exactly 3 annotations all equal to `valid`, then
 * those with exactly 2 equal (`testGrade`), up to `--test-per-category`. One situation can
 * thus land in both sets, with different tasks; `split_groups.ts` avoids that and reuses
 * `SplitItem` and `testGrade`, as does the summary's count of test-worthy items.
 *
 * @module
 */
import type { PythonRandom } from "../random/python_random.ts";
import { CATEGORIES, type Category } from "../formats/reward_category.ts";

/** What the split looks at in an item. */
export interface SplitItem {
  category: Category;
  valid: boolean;
  annotation: readonly boolean[];
}

export interface SplitResult<T> {
  train: T[];
  test: T[];
  /** Items moved to the test set, per category. */
  testCounts: Record<Category, number>;
}

/**
 * The reference train/test split (rule 6). With one generator, for the categories in the
 * order MN, CR, CD, FA: shuffle the category's items (Python `random.shuffle`), then move
 * to the test set, scanning from the front, items with exactly 3 annotations all equal to
 * `valid`, until `testPerCategory` are taken; if fewer, scan what is left from the front
 * for items in which exactly 2 annotations equal `valid`. The rest of the category, in
 * shuffled order, goes to train. Test items come in the order they were taken.
 */
export function splitDataset<T extends SplitItem>(
  items: readonly T[],
  rng: PythonRandom,
  testPerCategory: number,
): SplitResult<T> {
  const byCategory = new Map<Category, T[]>(CATEGORIES.map((c) => [c, []]));
  for (const item of items) byCategory.get(item.category)!.push(item);

  const train: T[] = [];
  const test: T[] = [];
  const testCounts = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  for (const category of CATEGORIES) {
    const list = rng.shuffle(byCategory.get(category)!);
    const taken = new Uint8Array(list.length);
    let count = 0;
    const pass = (accept: (item: T) => boolean) => {
      for (let i = 0; i < list.length && count < testPerCategory; i++) {
        if (taken[i] || !accept(list[i])) continue;
        taken[i] = 1;
        test.push(list[i]);
        count++;
      }
    };
    pass((item) => testGrade(item) === 1);
    pass((item) => testGrade(item) === 2);
    for (let i = 0; i < list.length; i++) if (!taken[i]) train.push(list[i]);
    testCounts[category] = count;
  }
  return { train, test, testCounts };
}

/**
 * Whether an item may go to the test set, and in which pass: 1 = exactly 3 annotations,
 * all equal to `valid`; 2 = exactly 2 annotations equal to `valid`; 0 = never.
 */
export function testGrade(item: SplitItem): 0 | 1 | 2 {
  const count = agreeing(item);
  if (item.annotation.length === 3 && count === 3) return 1;
  return count === 2 ? 2 : 0;
}

/** How many annotations equal the item's `valid`. */
function agreeing(item: SplitItem): number {
  let count = 0;
  for (const vote of item.annotation) if (vote === item.valid) count++;
  return count;
}
