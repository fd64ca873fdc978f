/**
 * Category balancing of the reward training items: the target is a fifth of the largest
 * category (rounded down), and every category below it is topped up to the target with
 * items drawn from itself, with replacement, by a seeded CPython-compatible generator
 * (`random.choice` semantics: `seq[_randbelow(len(seq))]`).
 *
 * The balanced list keeps the input items in input order, followed by the drawn copies,
 * category by category (MN, CR, CD, FA), in draw order. Categories at or above the
 * target are untouched; an empty category cannot be topped up.
 */
import { CATEGORIES, type Category, type RewardItem } from "../formats/reward_item.ts";
import { PythonRandom } from "../random/python_random.ts";

/** One entry of the balanced list. */
export interface BalancedItem {
  item: RewardItem;
  /** 0-based position of the item in the input. */
  sourceIndex: number;
  /** 1-based line number of the item in the input file. */
  line: number;
  /** False for the input's own item, true for a copy drawn by balancing. */
  drawn: boolean;
}

export interface BalanceResult {
  items: BalancedItem[];
  /** floor(largest category count / 5). */
  target: number;
  /** Items per category before balancing. */
  before: Record<Category, number>;
  /** Items per category after balancing. */
  after: Record<Category, number>;
  /** Categories below the target that have no item to draw from. */
  emptyBelowTarget: Category[];
}

export const BALANCE_DIVISOR = 5;

/** Balances `items` (each with its input line number) with a generator seeded by `seed`. */
export function balanceItems(
  items: readonly { item: RewardItem; line: number }[],
  seed: number | bigint,
): BalanceResult {
  const byCategory = new Map<Category, number[]>(CATEGORIES.map((c) => [c, []]));
  items.forEach(({ item }, index) => byCategory.get(item.category)!.push(index));
  const before = countsOf(byCategory);
  const target = Math.floor(Math.max(0, ...Object.values(before)) / BALANCE_DIVISOR);

  const balanced: BalancedItem[] = items.map(({ item, line }, sourceIndex) => ({
    item,
    sourceIndex,
    line,
    drawn: false,
  }));
  const rng = new PythonRandom(seed);
  const emptyBelowTarget: Category[] = [];
  const after = { ...before };
  for (const category of CATEGORIES) {
    const pool = byCategory.get(category)!;
    if (pool.length >= target) continue;
    if (pool.length === 0) {
      emptyBelowTarget.push(category);
      continue;
    }
    for (let k = pool.length; k < target; k++) {
      const sourceIndex = pool[rng.randbelow(pool.length)];
      const { item, line } = items[sourceIndex];
      balanced.push({ item, sourceIndex, line, drawn: true });
    }
    after[category] = target;
  }
  return { items: balanced, target, before, after, emptyBelowTarget };
}

function countsOf(byCategory: Map<Category, number[]>): Record<Category, number> {
  return Object.fromEntries(
    CATEGORIES.map((c) => [c, byCategory.get(c)!.length]),
  ) as Record<Category, number>;
}
