import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { CATEGORIES, categoryCode, parseRewardItem } from "./reward_item.ts";

const item = {
  obs: [{ time: "1717338232.283", event: "The user opens a file." }],
  pred_task: null,
  valid: true,
  help_needed: false,
  annotation: [true, true, false],
  category: "Correct-Rejection (CR)",
};

Deno.test("parseRewardItem accepts a convert output line", () => {
  assertEquals(parseRewardItem(item, "t.jsonl", 1).category, "Correct-Rejection (CR)");
});

Deno.test("parseRewardItem names the file, line and field at fault", () => {
  assertThrows(
    () => parseRewardItem({ ...item, valid: "yes" }, "train.jsonl", 7),
    ProactiveError,
    'line 7 of "train.jsonl" at $.valid',
  );
  assertThrows(
    () => parseRewardItem({ ...item, category: "Other" }, "train.jsonl", 2),
    ProactiveError,
    "$.category",
  );
});

Deno.test("categoryCode gives the short codes in the canonical order", () => {
  assertEquals(CATEGORIES.map(categoryCode), ["MN", "CR", "CD", "FA"]);
});
