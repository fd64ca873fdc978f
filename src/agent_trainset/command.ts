import { busyPolicyOf, WAIT_FLAG, waitFlagHelp } from "../store/output_lock.ts";
import {
  REFERENCE_QUIRKS_FLAG,
  referenceQuirksHelp,
  requireReferenceTexts,
} from "../prompts/reference_messages.ts";
import { dirname, join } from "node:path";
import type { Command } from "../cli/command.ts";
import { runtimeError, usageError } from "../cli/errors.ts";
import { integerFlag, nonEmptyFlag, parseFlags, stringFlag } from "../cli/parse_flags.ts";
import {
  type ConfigSource,
  LLM_FLAGS,
  LLM_FLAGS_HELP,
  parseLlmFlags,
  readLlmConfig,
  resolvePrompts,
} from "../llm/llm_config.ts";
import { AGENT_SYSTEM_PROMPT } from "../prompts/agent_prompts.ts";
import { datasetName } from "../reward/dataset_info.ts";
import {
  type AgentTrainsetOptions,
  formatAgentTrainsetReport,
  runAgentTrainset,
} from "./run_agent_trainset.ts";

export const DEFAULTS = {
  inDir: ".",
  name: "agent_trainset",
  maxTrials: 15,
  maxChars: 20_000,
  maxAssistantChars: 10_000,
};

const HELP = `proactive agent-trainset — gym logs into reward-filtered training conversations

Usage: proactive agent-trainset [options]

Reads the complete gym logs (*.jsonl ending with their end record) in --in-dir; other
logs are listed and skipped. Each log gives:
  logged samples: its agent.response records (predictions the gym's reward filter
    accepted), trimmed and checked like the others;
  replayed samples: its events, one user message each, after the agent's system prompt.
    For each event the agent model predicts and the reward model judges the prediction
    against all events so far; a rejection is asked again with the reward model's
    reasoning. Every trial counts (rejection or unreadable answer, one request per model)
    up to --max-trials; an event whose trials run out gets no sample and is counted.
    An accepted prediction is a sample; a proposal found in the log replaces the
    assistant turn of its event and is a sample too.
Every sample is trimmed: the system message, then the newest messages that fit in
--max-chars, with at most --max-assistant-chars of assistant text; consecutive user
messages merge into one {"Observations": [...]} (the newest instruction last). A sample
LLaMA-Factory's sharegpt loader would drop (system first, user/assistant alternating,
ending with assistant, no empty content) is reported with its log and event, not written.

Writes together, atomically, once every log is done (the old files stay whole until then):
  the dataset (--out), a JSON array of {"conversations": [...]} (--format jsonl: one a line);
  dataset_info.json beside it, with the entry that loads it (other entries kept);
  <name>.card.json and <name>.card.md beside it: command, inputs with SHA-256, models and
  prompt versions, counts, LLM accounting, how to train on it.
An interrupted or killed run is continued by running the same command: finished requests
come from the completion cache. The exit status is 1 when a log failed or no sample was made.

Options:
  --in-dir DIR               Folder of gym logs (default: ${DEFAULTS.inDir})
  --out FILE                 The dataset (default: ${DEFAULTS.name}.json, or .jsonl, in --in-dir)
  --format json|jsonl        Dataset format (default: json)
  --max-trials N             Trials per event (default: ${DEFAULTS.maxTrials})
  --max-chars N              Characters per sample, system message included
                             (default: ${DEFAULTS.maxChars})
  --max-assistant-chars N    Assistant characters per sample (default: ${DEFAULTS.maxAssistantChars})
${referenceQuirksHelp(29)}
${waitFlagHelp(29)}
  -h, --help                 Show this help
  (--limit N builds from the first N complete logs only; --max-repairs does not apply:
  an unreadable answer is a failed trial.)

${LLM_FLAGS_HELP}
The models are those of roles "agent" and "reward" in the config (else "default").

Example:
  OPENAI_API_KEY=… proactive agent-trainset --config llm.yaml --in-dir scenes \\
    --out data/agent_trainset.json --max-trials 15 --concurrency 16
`;

const FLAGS = {
  ...WAIT_FLAG,
  ...LLM_FLAGS,
  "in-dir": { type: "string" },
  out: { type: "string" },
  format: { type: "string" },
  "max-trials": { type: "string" },
  "max-chars": { type: "string" },
  "max-assistant-chars": { type: "string" },
  ...REFERENCE_QUIRKS_FLAG,
} as const;

/** Parses the command line of `proactive agent-trainset` (pure; usage errors throw). */
export function parseAgentTrainsetOptions(
  args: string[],
  env: (name: string) => string | undefined,
  config?: ConfigSource,
): AgentTrainsetOptions {
  const { values } = parseFlags(args, FLAGS);
  const inDir = nonEmptyFlag("in-dir", stringFlag(values, "in-dir", DEFAULTS.inDir)!);
  const format = stringFlag(values, "format", "json")!;
  if (format !== "json" && format !== "jsonl") {
    throw usageError(`--format must be json or jsonl, got "${format}"`);
  }
  const output = nonEmptyFlag(
    "out",
    stringFlag(values, "out", join(inDir, `${DEFAULTS.name}.${format}`))!,
  );
  const stem = join(dirname(output), datasetName(output));
  const minChars = AGENT_SYSTEM_PROMPT.length + 1_000;
  const maxChars = integerFlag("max-chars", stringFlag(values, "max-chars"), DEFAULTS.maxChars, {
    min: minChars,
  });
  return {
    inDir,
    output,
    format,
    datasetInfo: join(dirname(output), "dataset_info.json"),
    cardJson: `${stem}.card.json`,
    cardMarkdown: `${stem}.card.md`,
    maxTrials: integerFlag("max-trials", stringFlag(values, "max-trials"), DEFAULTS.maxTrials, {
      min: 1,
      max: 1_000,
    }),
    maxChars,
    referenceQuirks: values["reference-quirks"] === true,
    maxAssistantChars: integerFlag(
      "max-assistant-chars",
      stringFlag(values, "max-assistant-chars"),
      DEFAULTS.maxAssistantChars,
      { min: 100 },
    ),
    onBusy: busyPolicyOf(values),
    llm: parseLlmFlags(values, env, { config, roles: ["agent", "reward"] }),
  };
}

export const command: Command = {
  name: "agent-trainset",
  summary: "Turn gym logs into reward-filtered LLaMA-Factory training data for the agent",
  help: HELP,
  async run(args, ctx) {
    const config = await readLlmConfig(parseFlags(args, FLAGS).values);
    const parsed = parseAgentTrainsetOptions(args, ctx.env, config);
    // The prompt set is read and checked before any request is sent.
    const options = { ...parsed, llm: await resolvePrompts(parsed.llm) };
    if (options.llm.prompts!.protocol === "reference") {
      requireReferenceTexts(options.llm.prompts!, "agent-trainset", [
        ["agent", "system"],
        ["agent", "step_instruction"],
        ["agent", "retry_instruction"],
        ["reward", "system"],
        ["reward", "instruction"],
      ]);
    }
    const result = await runAgentTrainset(options, args, ctx);
    ctx.stdout(formatAgentTrainsetReport(result));
    if (result.failures.length > 0) {
      throw runtimeError(
        `${result.failures.length} gym log(s) failed (reasons above); the dataset holds the ` +
          `samples of the others`,
      );
    }
    if (result.samples === 0) {
      throw runtimeError(
        `No sample was produced from "${options.inDir}": nothing was registered in ` +
          `"${options.datasetInfo}"`,
      );
    }
    return 0;
  },
};
