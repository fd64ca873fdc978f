import { WAIT_FLAG } from "../store/output_lock.ts";
import { readStageOptions, stageOptions } from "../stage/stage_options.ts";
import { REFERENCE_QUIRKS_FLAG, requireReferenceTexts } from "../prompts/reference_messages.ts";
import { dirname, join } from "node:path";
import type { Command } from "../cli/command.ts";
import { runtimeError } from "../cli/errors.ts";
import { type FlagDecls, flagTable } from "../cli/flags.ts";
import { LLM_FLAGS, LLM_FLAGS_HELP } from "../llm/llm_config.ts";
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

/** The flags of `proactive agent-trainset` besides the LLM ones, in the help's order. */
const OWN_FLAGS = {
  "in-dir": {
    kind: "string",
    value: "DIR",
    default: DEFAULTS.inDir,
    help: `Folder of gym logs (default: ${DEFAULTS.inDir})`,
  },
  out: {
    kind: "string",
    value: "FILE",
    help: `The dataset (default: ${DEFAULTS.name}.json, or .jsonl, in --in-dir)`,
  },
  format: {
    kind: "choice",
    value: "json|jsonl",
    choices: ["json", "jsonl"],
    default: "json",
    help: "Dataset format (default: json)",
  },
  "max-trials": {
    kind: "integer",
    value: "N",
    default: DEFAULTS.maxTrials,
    min: 1,
    max: 1_000,
    help: `Trials per event (default: ${DEFAULTS.maxTrials})`,
  },
  "max-chars": {
    kind: "integer",
    value: "N",
    default: DEFAULTS.maxChars,
    min: AGENT_SYSTEM_PROMPT.length + 1_000,
    help: ["Characters per sample, system message included", `(default: ${DEFAULTS.maxChars})`],
  },
  "max-assistant-chars": {
    kind: "integer",
    value: "N",
    default: DEFAULTS.maxAssistantChars,
    min: 100,
    help: `Assistant characters per sample (default: ${DEFAULTS.maxAssistantChars})`,
  },
  ...REFERENCE_QUIRKS_FLAG,
  ...WAIT_FLAG,
} as const satisfies FlagDecls;

/** Every flag of `proactive agent-trainset` (see `cli/flags.ts`). */
export const FLAGS = { ...LLM_FLAGS, ...OWN_FLAGS } as const satisfies FlagDecls;

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
${flagTable(OWN_FLAGS, { column: 29 })}
  (--limit N builds from the first N complete logs only; --max-repairs does not apply:
  an unreadable answer is a failed trial.)

${LLM_FLAGS_HELP}
The models are those of roles "agent" and "reward" in the config (else "default").

Example:
  OPENAI_API_KEY=… proactive agent-trainset --config llm.yaml --in-dir scenes \\
    --out data/agent_trainset.json --max-trials 15 --concurrency 16
`;

/** How `proactive agent-trainset` reads its command line (see `stage/stage_options.ts`). */
const AGENT_TRAINSET_OPTIONS = stageOptions<typeof FLAGS, AgentTrainsetOptions>({
  flags: FLAGS,
  roles: ["agent", "reward"],
  options(flags) {
    const output = flags.out ?? join(flags.inDir, `${DEFAULTS.name}.${flags.format}`);
    const stem = join(dirname(output), datasetName(output));
    return {
      inDir: flags.inDir,
      output,
      format: flags.format,
      datasetInfo: join(dirname(output), "dataset_info.json"),
      cardJson: `${stem}.card.json`,
      cardMarkdown: `${stem}.card.md`,
      maxTrials: flags.maxTrials,
      maxChars: flags.maxChars,
      referenceQuirks: flags.referenceQuirks,
      maxAssistantChars: flags.maxAssistantChars,
    };
  },
});

/** Parses the command line of `proactive agent-trainset` (pure; usage errors throw). */
export const parseAgentTrainsetOptions = AGENT_TRAINSET_OPTIONS.parse;

export const command: Command = {
  name: "agent-trainset",
  summary: "Turn gym logs into reward-filtered LLaMA-Factory training data for the agent",
  help: HELP,
  flags: FLAGS,
  async run(args, ctx) {
    const options = await readStageOptions(args, ctx.env, AGENT_TRAINSET_OPTIONS);
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
