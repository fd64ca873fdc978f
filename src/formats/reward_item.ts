import { z } from "zod";
import { inputError } from "../cli/errors.ts";
import { jsonPath, observationSchema } from "./trace.ts";
import { CATEGORIES } from "./reward_category.ts";

/**
 * One reward-model item, as written by `proactive convert` (train_data.jsonl /
 * test_data.jsonl) and read by `proactive reward` and `proactive eval reward`.
 */
export { CATEGORIES, type Category, categoryCode } from "./reward_category.ts";

export const rewardItemSchema = z.object({
  obs: z.array(observationSchema),
  pred_task: z.string().nullable(),
  valid: z.boolean(),
  help_needed: z.boolean(),
  annotation: z.array(z.boolean()),
  category: z.enum(CATEGORIES),
});

export type RewardItem = z.infer<typeof rewardItemSchema>;

/** Validates one parsed JSONL line; errors name the file, line and JSON path. */
export function parseRewardItem(value: unknown, source: string, line: number): RewardItem {
  const result = rewardItemSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw inputError(
      `Invalid reward item on line ${line} of "${source}" at ${
        jsonPath(issue.path)
      }: ${issue.message}`,
    );
  }
  return result.data;
}
