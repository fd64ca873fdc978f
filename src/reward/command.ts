import { dirname, join } from "node:path";
import { readStageOptions, stageOptions } from "../stage/stage_options.ts";
import type { Command } from "../cli/command.ts";
import { runtimeError } from "../cli/errors.ts";
import { type FlagDecls, flagTable } from "../cli/flags.ts";
import { LLM_FLAGS, LLM_FLAGS_HELP } from "../llm/llm_config.ts";
import { WAIT_FLAG } from "../store/output_lock.ts";
import { formatRewardReport } from "./reward_summary.ts";
import { type RewardOptions, runReward } from "./run_reward.ts";

export const DEFAULTS = {
  input: "reward_data/train_data.jsonl",
  output: "reward_data/trainset_reward_llama.json",
  failuresName: "trainset_reward_failures.jsonl",
  seed: 42n,
  maxAttempts: 3,
  consistencySamples: 5,
  consistencyTemperature: 0.8,
  checkpointEvery: 50,
};

/** The flags of `proactive reward` besides the LLM ones, in the help's order. */
const OWN_FLAGS = {
  in: {
    kind: "string",
    value: "FILE",
    default: DEFAULTS.input,
    help: `Reward items, JSONL (default: ${DEFAULTS.input})`,
  },
  out: {
    kind: "string",
    value: "FILE",
    default: DEFAULTS.output,
    help: `The dataset (default: ${DEFAULTS.output})`,
  },
  failures: {
    kind: "string",
    value: "FILE",
    help: `Failures, JSONL (default: ${DEFAULTS.failuresName} beside --out)`,
  },
  seed: {
    kind: "bigint",
    value: "N",
    default: DEFAULTS.seed,
    help: `Seed of the balancing draw (default: ${DEFAULTS.seed})`,
  },
  "max-attempts": {
    kind: "integer",
    value: "N",
    default: DEFAULTS.maxAttempts,
    min: 1,
    max: 100,
    help: `Attempts per item (default: ${DEFAULTS.maxAttempts})`,
  },
  "consistency-samples": {
    kind: "integer",
    value: "N",
    default: DEFAULTS.consistencySamples,
    min: 1,
    max: 128,
    help: `Answers of the consistency check (default: ${DEFAULTS.consistencySamples})`,
  },
  "consistency-temperature": {
    kind: "number",
    value: "T",
    default: DEFAULTS.consistencyTemperature,
    min: 0,
    max: 2,
    help: `Their temperature (default: ${DEFAULTS.consistencyTemperature})`,
  },
  "checkpoint-every": {
    kind: "integer",
    value: "N",
    default: DEFAULTS.checkpointEvery,
    min: 1,
    help: [
      "Rewrite the output after every N new conversations",
      `(default: ${DEFAULTS.checkpointEvery})`,
    ],
  },
  ...WAIT_FLAG,
} as const satisfies FlagDecls;

/** Every flag of `proactive reward` (see `cli/flags.ts`). */
export const FLAGS = { ...LLM_FLAGS, ...OWN_FLAGS } as const satisfies FlagDecls;

const HELP = `proactive reward — build the reward model's training set with an LLM

Usage: proactive reward [options]

Reads reward items (the train JSONL written by 'proactive convert'), balances the
categories (each one below a fifth of the largest is topped up to it by drawing its own
items again, seeded), and for each item asks the model, as the user, to explain the
user's real judgement ({thought, judgement}); the thought must then lead
--consistency-samples fresh answers to the same judgement. Each kept item becomes one
LLaMA-Factory sharegpt conversation: the reward system prompt, the situation and the
proposed task (without the label), and the explanation.

Writes, replacing each atomically:
  the dataset (--out), a JSON array of {"conversations": [...]}, also at checkpoints;
  dataset_info.json beside it, with the entry that loads it (other entries kept);
  a JSON summary beside it (<name>.summary.json): settings, prompt versions, and the
  counts and LLM use of every run on this output ("runs", oldest first, and "totals");
  the dataset card beside it (<name>.card.json and <name>.card.md): command, input with
  its SHA-256, model, prompt versions, seed, counts, LLM use, how to train on it;
  the failures (--failures), one JSON line per item that failed every attempt.
A run that ends with no conversation at all writes only the failures and the summary,
registers nothing in dataset_info.json, and exits with status 1.
Running again keeps what the output already holds and asks only for the rest, so an
interrupted or killed run is continued by running the same command. Failed items are
asked again then, but their earlier attempts come from the completion cache: raise
--max-attempts to give them new ones.

Options:
${flagTable(OWN_FLAGS, { column: 29 })}
  (--limit N asks only for items among the first N of the balanced list.)

${LLM_FLAGS_HELP}
The model is the one of role "reward" in the config (else "default"). The explain request
uses the endpoint's sampling parameters (the config's params, else the server's defaults).
Every request carries a seed derived from the item and the attempt, so attempt 2 is a new
sample even at temperature 0; set "seed: false" for the model in the config when the
endpoint refuses the parameter.

Example:
  OPENAI_API_KEY=… proactive reward --model gpt-4o-2024-08-06 --concurrency 32 \\
    --in reward_data/train_data.jsonl --out reward_data/trainset_reward_llama.json
`;

/** How `proactive reward` reads its command line (see `stage/stage_options.ts`). */
const REWARD_OPTIONS = stageOptions<typeof FLAGS, RewardOptions>({
  flags: FLAGS,
  roles: ["reward"],
  options(flags) {
    const output = flags.out;
    const stem = output.replace(/\.json$/i, "");
    return {
      input: flags.in,
      output,
      failures: flags.failures ?? join(dirname(output), DEFAULTS.failuresName),
      datasetInfo: join(dirname(output), "dataset_info.json"),
      summary: `${stem}.summary.json`,
      seed: flags.seed,
      maxAttempts: flags.maxAttempts,
      consistencySamples: flags.consistencySamples,
      consistencyTemperature: flags.consistencyTemperature,
      checkpointEvery: flags.checkpointEvery,
    };
  },
});

/** Parses the command line of `proactive reward` (pure; usage errors throw). */
export const parseRewardOptions = REWARD_OPTIONS.parse;

export const command: Command = {
  name: "reward",
  summary: "Build the reward model's LLaMA-Factory training set with an LLM",
  help: HELP,
  flags: FLAGS,
  async run(args, ctx) {
    const options = await readStageOptions(args, ctx.env, REWARD_OPTIONS);
    const result = await runReward(options, ctx, args);
    ctx.stdout(
      formatRewardReport(result.summary, result.failures, result.stats, result.file.totals),
    );
    if (result.summary.counts.written === 0) {
      throw runtimeError(
        `No conversation was produced from "${options.input}" ` +
          `(${result.summary.counts.failed} item(s) failed; reasons in ` +
          `"${options.failures}"): nothing was registered in "${options.datasetInfo}"`,
      );
    }
    return 0;
  },
};
