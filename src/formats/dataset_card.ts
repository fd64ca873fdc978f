/**
 * The dataset card written beside every dataset this project makes (`agent-trainset`,
 * `reward`): `<name>.card.json` (the facts) and
 * `<name>.card.md` (the same, for people). Everything in it follows from the inputs, the
 * settings and the models' answers — answers replayed from the completion cache give the
 * same card — except the one `generated_at` line of each file.
 */
import { basename } from "node:path";
import { createHash } from "node:crypto";
import { readInputBytes } from "../store/read_input.ts";

export interface CardInput {
  file: string;
  sha256: string;
  bytes: number;
}

export interface RoleCard {
  model: string;
  alias: string;
  prompt_version: string;
  /** The LLM accounting of the role; each command says what its counters mean. */
  llm: Record<string, number>;
}

export interface DatasetCard {
  dataset: string;
  dataset_name: string;
  format: "json" | "jsonl";
  generated_at: string;
  command: string;
  inputs: CardInput[];
  roles: Record<string, RoleCard>;
  /** The prompt set the requests were built from (`prompts export` for the built-in one). */
  prompt_set?: { name: string; protocol: string; sha256: string };
  seed: string | null;
  settings: Record<string, unknown>;
  counts: Record<string, unknown>;
  training: string;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** `path`'s hash and size (of its bytes as they are, a byte order mark included). */
export async function cardInput(path: string): Promise<CardInput> {
  const bytes = await readInputBytes(path);
  return { file: path, sha256: sha256Hex(bytes), bytes: bytes.length };
}

/** The command line as written in the card: values of `--api-key` are hidden. */
export function cardCommand(command: string, args: readonly string[]): string {
  const shown: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--api-key" && i + 1 < args.length) {
      shown.push(arg, "***");
      i++;
    } else if (arg.startsWith("--api-key=")) {
      shown.push("--api-key=***");
    } else {
      shown.push(arg);
    }
  }
  return ["proactive", command, ...shown].map(shellQuote).join(" ");
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** How to train on a sharegpt dataset registered in `dataset_info.json` as `name`. */
export function trainingHint(name: string, folder: string): string {
  return `Copy ${name}'s file and dataset_info.json into LLaMA-Factory's data folder ` +
    `(or set dataset_dir: ${folder}), then train with "dataset: ${name}" and a template ` +
    `matching your base model, e.g. llamafactory-cli train with stage: sft, ` +
    `finetuning_type: lora, template: llama3.`;
}

export function cardJson(card: DatasetCard): string {
  return JSON.stringify(card, null, 2) + "\n";
}

export function cardMarkdown(card: DatasetCard): string {
  const lines = [
    `# Dataset card: ${basename(card.dataset)}`,
    "",
    `generated_at: ${card.generated_at}`,
    "",
    `- File: \`${card.dataset}\` (${card.format}), registered as \`${card.dataset_name}\` in dataset_info.json`,
    `- Command: \`${card.command}\``,
    `- Seed: ${card.seed ?? "none"}`,
    ...(card.prompt_set
      ? [
        `- Prompt set: ${card.prompt_set.name} (protocol ${card.prompt_set.protocol}, ` +
        `sha256 ${card.prompt_set.sha256})`,
      ]
      : []),
    "",
    "## Inputs",
    "",
    "| file | bytes | sha256 |",
    "| --- | ---: | --- |",
    ...card.inputs.map((i) => `| ${i.file} | ${i.bytes} | ${i.sha256} |`),
    "",
    "## Models and prompts",
    "",
    "| role | model (alias) | prompt version | LLM accounting |",
    "| --- | --- | --- | --- |",
    ...Object.entries(card.roles).map(([role, r]) =>
      `| ${role} | ${r.model} (${r.alias}) | ${r.prompt_version} | ` +
      `${Object.entries(r.llm).map(([k, v]) => `${k}: ${v}`).join(", ")} |`
    ),
    "",
    "## Settings",
    "",
    ...Object.entries(card.settings).map(([k, v]) => `- ${k}: ${JSON.stringify(v)}`),
    "",
    "## Counts",
    "",
    ...Object.entries(card.counts).map(([k, v]) => `- ${k}: ${JSON.stringify(v)}`),
    "",
    "## Training",
    "",
    card.training,
    "",
  ];
  return lines.join("\n");
}
