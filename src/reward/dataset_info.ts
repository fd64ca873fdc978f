/**
 * The LLaMA-Factory `dataset_info.json` entry that loads the reward training set
 * unchanged (sharegpt formatting, messages in `conversations`, OpenAI-style role tags),
 * merged into the file beside the output without touching its other entries.
 */
import { basename, extname } from "node:path";
import { inputError } from "../cli/errors.ts";
import { withOutputLocks } from "../store/output_lock.ts";
import { readOptionalInputText } from "../store/read_input.ts";

export interface DatasetInfoEntry {
  file_name: string;
  formatting: "sharegpt";
  columns: { messages: "conversations" };
  tags: {
    role_tag: "role";
    content_tag: "content";
    user_tag: "user";
    assistant_tag: "assistant";
    system_tag: "system";
  };
}

/** The entry for the dataset file `outputPath`. */
export function datasetInfoEntry(outputPath: string): DatasetInfoEntry {
  return {
    file_name: basename(outputPath),
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
}

/** The dataset's name in `dataset_info.json`: the output file name without extension. */
export function datasetName(outputPath: string): string {
  const name = basename(outputPath);
  return name.slice(0, name.length - extname(name).length) || name;
}

/**
 * The text of `dataset_info.json` after setting `name` to `entry`: the existing file's
 * other entries are kept in their order. A file that is not a JSON object is an error.
 */
export async function mergedDatasetInfo(
  path: string,
  name: string,
  entry: DatasetInfoEntry,
): Promise<string> {
  let existing: Record<string, unknown> = {};
  const text = await readOptionalInputText(path, { noFollow: true });
  if (text !== undefined && text.trim() !== "") {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw inputError(
        `Cannot parse "${path}" (${(error as Error).message}); it is kept as it is`,
      );
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw inputError(
        `Invalid "${path}": expected a JSON object of datasets; it is kept as it is`,
      );
    }
    existing = value as Record<string, unknown>;
  }
  return JSON.stringify({ ...existing, [name]: entry }, null, 2) + "\n";
}

/**
 * Runs `update` (read `dataset_info.json`, merge, write) holding the file's lock, waiting
 * for another run's update to finish: `reward` and `agent-trainset` runs that share a
 * folder each keep the other's entry.
 */
export function withDatasetInfoLock<T>(
  path: string,
  command: string,
  update: () => Promise<T>,
): Promise<T> {
  return withOutputLocks([{ path, kind: "file" }], { command, onBusy: "wait" }, update);
}
