import { dirname, join } from "node:path";
import type { Command } from "../cli/command.ts";
import { runtimeError, usageError } from "../cli/errors.ts";
import {
  integerFlag,
  nonEmptyFlag,
  numberFlag,
  parseFlags,
  stringFlag,
} from "../cli/parse_flags.ts";
import {
  type ConfigSource,
  LLM_FLAGS,
  LLM_FLAGS_HELP,
  parseLlmFlags,
  readLlmConfig,
  resolvePrompts,
} from "../llm/llm_config.ts";
import { busyPolicyOf, WAIT_FLAG, waitFlagHelp } from "../store/output_lock.ts";
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
  --in FILE                  Reward items, JSONL (default: ${DEFAULTS.input})
  --out FILE                 The dataset (default: ${DEFAULTS.output})
  --failures FILE            Failures, JSONL (default: ${DEFAULTS.failuresName} beside --out)
  --seed N                   Seed of the balancing draw (default: ${DEFAULTS.seed})
  --max-attempts N           Attempts per item (default: ${DEFAULTS.maxAttempts})
  --consistency-samples N    Answers of the consistency check (default: ${DEFAULTS.consistencySamples})
  --consistency-temperature T
                             Their temperature (default: ${DEFAULTS.consistencyTemperature})
  --checkpoint-every N       Rewrite the output after every N new conversations
                             (default: ${DEFAULTS.checkpointEvery})
${waitFlagHelp(29)}
  -h, --help                 Show this help
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

const FLAGS = {
  ...LLM_FLAGS,
  ...WAIT_FLAG,
  in: { type: "string" },
  out: { type: "string" },
  failures: { type: "string" },
  seed: { type: "string" },
  "max-attempts": { type: "string" },
  "consistency-samples": { type: "string" },
  "consistency-temperature": { type: "string" },
  "checkpoint-every": { type: "string" },
} as const;

/** Parses the command line of `proactive reward` (pure; usage errors throw). */
export function parseRewardOptions(
  args: string[],
  env: (name: string) => string | undefined,
  config?: ConfigSource,
): RewardOptions {
  const { values } = parseFlags(args, FLAGS);
  const input = nonEmptyFlag("in", stringFlag(values, "in", DEFAULTS.input)!);
  const output = nonEmptyFlag("out", stringFlag(values, "out", DEFAULTS.output)!);
  const failures = nonEmptyFlag(
    "failures",
    stringFlag(values, "failures", join(dirname(output), DEFAULTS.failuresName))!,
  );
  const rawSeed = stringFlag(values, "seed");
  if (rawSeed !== undefined && !/^[+-]?\d+$/.test(rawSeed.trim())) {
    throw usageError(`--seed must be a whole number, got "${rawSeed}"`);
  }
  const stem = output.replace(/\.json$/i, "");
  return {
    input,
    output,
    failures,
    datasetInfo: join(dirname(output), "dataset_info.json"),
    summary: `${stem}.summary.json`,
    seed: rawSeed === undefined ? DEFAULTS.seed : BigInt(rawSeed.trim()),
    maxAttempts: integerFlag(
      "max-attempts",
      stringFlag(values, "max-attempts"),
      DEFAULTS.maxAttempts,
      { min: 1, max: 100 },
    ),
    consistencySamples: integerFlag(
      "consistency-samples",
      stringFlag(values, "consistency-samples"),
      DEFAULTS.consistencySamples,
      { min: 1, max: 128 },
    ),
    consistencyTemperature: numberFlag(
      "consistency-temperature",
      stringFlag(values, "consistency-temperature"),
      DEFAULTS.consistencyTemperature,
      { min: 0, max: 2 },
    ),
    checkpointEvery: integerFlag(
      "checkpoint-every",
      stringFlag(values, "checkpoint-every"),
      DEFAULTS.checkpointEvery,
      { min: 1 },
    ),
    onBusy: busyPolicyOf(values),
    llm: parseLlmFlags(values, env, { config, roles: ["reward"] }),
  };
}

export const command: Command = {
  name: "reward",
  summary: "Build the reward model's LLaMA-Factory training set with an LLM",
  help: HELP,
  async run(args, ctx) {
    const config = await readLlmConfig(parseFlags(args, FLAGS).values);
    const parsed = parseRewardOptions(args, ctx.env, config);
    // The prompt set is read and checked before any request is sent.
    const options = { ...parsed, llm: await resolvePrompts(parsed.llm) };
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
