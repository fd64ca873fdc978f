import { assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { datasetInfoEntry, datasetName, mergedDatasetInfo } from "./dataset_info.ts";

const ENTRY = {
  file_name: "trainset_reward_llama.json",
  formatting: "sharegpt",
  columns: { messages: "conversations" },
  tags: {
    role_tag: "role",
    content_tag: "content",
    user_tag: "user",
    assistant_tag: "assistant",
    system_tag: "system",
  },
};

Deno.test("datasetInfoEntry: the LLaMA-Factory sharegpt entry of the issue, exactly", () => {
  assertEquals(datasetInfoEntry("reward_data/trainset_reward_llama.json"), ENTRY);
  assertEquals(datasetName("reward_data/trainset_reward_llama.json"), "trainset_reward_llama");
  assertEquals(datasetName("x/data"), "data");
});

Deno.test("mergedDatasetInfo: creates, replaces our entry, keeps the others in order", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dataset-info-" });
  try {
    const path = `${dir}/dataset_info.json`;
    const entry = datasetInfoEntry(`${dir}/trainset_reward_llama.json`);
    assertEquals(JSON.parse(await mergedDatasetInfo(path, "trainset_reward_llama", entry)), {
      trainset_reward_llama: ENTRY,
    });

    const other = { file_name: "alpaca.json" };
    await Deno.writeTextFile(
      path,
      JSON.stringify({ alpaca: other, trainset_reward_llama: { file_name: "old.json" }, z: {} }),
    );
    const merged = JSON.parse(await mergedDatasetInfo(path, "trainset_reward_llama", entry));
    assertEquals(Object.keys(merged), ["alpaca", "trainset_reward_llama", "z"]);
    assertEquals(merged.alpaca, other);
    assertEquals(merged.trainset_reward_llama, ENTRY);

    await Deno.writeTextFile(path, "[]");
    const error = await assertRejects(
      () => mergedDatasetInfo(path, "x", entry),
      ProactiveError,
    );
    assertStringIncludes(error.message, `Invalid "${path}"`);
    await Deno.writeTextFile(path, "{oops");
    const parseError = await assertRejects(
      () => mergedDatasetInfo(path, "x", entry),
      ProactiveError,
    );
    assertStringIncludes(parseError.message, `Cannot parse "${path}"`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
