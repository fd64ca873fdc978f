/**
 * The four categories of a reward-model item, without the item schema
 * (`reward_item.ts` validates items with zod): modules that only need the names can skip
 * loading zod.
 */
export const CATEGORIES = [
  "Missed-Need (MN)",
  "Correct-Rejection (CR)",
  "Correct-Detection (CD)",
  "False-Alarm (FA)",
] as const;

export type Category = (typeof CATEGORIES)[number];

/** Short codes as used in tables: MN, CR, CD, FA. */
export function categoryCode(category: Category): "MN" | "CR" | "CD" | "FA" {
  return category.slice(-3, -1) as "MN" | "CR" | "CD" | "FA";
}
