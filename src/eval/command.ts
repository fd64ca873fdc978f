import { WAIT_FLAG } from "../store/output_lock.ts";
import { readStageOptions, stageOptions } from "../stage/stage_options.ts";
import type { Command, CommandContext } from "../cli/command.ts";
import { didYouMean } from "../cli/did_you_mean.ts";
import { usageError } from "../cli/errors.ts";
import { type FlagDecls, flagTable } from "../cli/flags.ts";
import { LLM_FLAGS, LLM_FLAGS_HELP } from "../llm/llm_config.ts";
import { formatRewardTable } from "./format_reward_table.ts";
import { UNREADABLE_RULES } from "./reward_table.ts";
import { type EvalRewardOptions, evalRewardSummary, runEvalReward } from "./run_eval_reward.ts";
import { parseEvalScoreOptions, runEvalScore, SCORE_FLAGS, SCORE_HELP } from "./score_command.ts";
import { AGENT_FLAGS, AGENT_HELP, runAgentCommand } from "./agent_command.ts";
import { JUDGE_FLAGS, JUDGE_HELP, runJudgeCommand } from "./judge_command.ts";

export const TARGETS = ["reward", "agent", "judge", "score"] as const;
export type EvalTarget = (typeof TARGETS)[number];

export const DEFAULTS = { output: "reward_eval_results.jsonl" };

/** The flags of `proactive eval reward` besides the LLM ones, in the help's order. */
const OWN_FLAGS = {
  in: {
    kind: "string",
    value: "FILE",
    help: [
      "Reward test set, JSONL as written by 'proactive convert'",
      "(default: the embedded 120-item ProactiveBench reward test set)",
    ],
  },
  out: {
    kind: "string",
    value: "FILE",
    default: DEFAULTS.output,
    help: [
      `Per-item results, JSONL (default: ${DEFAULTS.output}); the table and`,
      "the LLM accounting go to <name>.summary.json beside it",
    ],
  },
  json: { kind: "boolean", help: "Print the table (and the LLM accounting) as JSON" },
  unreadable: {
    kind: "choice",
    value: "R",
    choices: UNREADABLE_RULES,
    default: "rejected",
    help: [
      "How an answer without a readable judgement counts:",
      "rejected (default; the reference's rule: a rejection in the",
      "confusion matrix, accuracy, precision, recall and F1, wrong in the",
      "category accuracies) or wrong (wrong everywhere)",
    ],
  },
  ...WAIT_FLAG,
} as const satisfies FlagDecls;

/** Every flag of `proactive eval reward` (see `cli/flags.ts`). */
export const FLAGS = { ...LLM_FLAGS, ...OWN_FLAGS } as const satisfies FlagDecls;

const HELP = `proactive eval — score a model on a test set

Usage: proactive eval reward [options]
       proactive eval agent --model ALIAS [options]
       proactive eval judge --model ALIAS [options]
       proactive eval score DIR... [options]   (see below)

reward: asks the reward model (role "reward") to judge every item of a reward test set
with the reward prompt at temperature 0 — what it is asked at inference time — reads the
judgement leniently, and prints a table: accuracy per category (MN, NR = Correct-Rejection,
CD, FA), the confusion matrix with "accepted" as positive, accuracy, precision, recall
and F1. Answers with no readable judgement are counted and listed; by default they count
as the reference's scoring counts them (see --unreadable). Per-item results (label,
prediction, the answer) go to a JSONL file.

Options:
${flagTable(OWN_FLAGS, { column: 18 })}

${AGENT_HELP}
${JUDGE_HELP}
${LLM_FLAGS_HELP}
eval reward sends no response_format and never re-asks: the model is scored on its first
answer, as it would be used.

Examples:
  proactive eval reward --base-url http://127.0.0.1:8000/v1 --model reward-7b --json
  proactive eval reward --model reward-7b --unreadable wrong

${SCORE_HELP}`;

/** Targets with their own flags and modules: target → run. */
const SUBCOMMANDS = {
  agent: runAgentCommand,
  judge: runJudgeCommand,
  score: async (args: string[], ctx: CommandContext) => {
    await runEvalScore(parseEvalScoreOptions(args), ctx);
    return 0;
  },
} as const;

/** The target word of the command line: its first positional (flag values skipped). */
export function findTarget(args: readonly string[]): { target: string; index: number } | null {
  const spec: FlagDecls = { ...FLAGS, ...AGENT_FLAGS, ...JUDGE_FLAGS, ...SCORE_FLAGS };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") return i + 1 < args.length ? { target: args[i + 1], index: i + 1 } : null;
    if (!arg.startsWith("-")) return { target: arg, index: i };
    const name = arg.replace(/^-+/, "");
    const takesValue = Object.hasOwn(spec, name) && spec[name].kind !== "boolean";
    if (!name.includes("=") && takesValue) i++;
  }
  return null;
}

export interface EvalOptions extends EvalRewardOptions {
  target: EvalTarget;
}

/** How `proactive eval reward` reads its command line (see `stage/stage_options.ts`). */
const EVAL_OPTIONS = stageOptions<typeof FLAGS, EvalOptions>({
  flags: FLAGS,
  positionals: 1,
  roles: ["reward"],
  options: (flags, { positionals }) => ({
    target: evalTarget(positionals[0]),
    input: flags.in ?? null,
    output: flags.out,
    summary: `${flags.out.replace(/\.jsonl?$/i, "")}.summary.json`,
    json: flags.json,
    unreadable: flags.unreadable,
  }),
});

/** Parses the command line of `proactive eval` (pure; usage errors throw). */
export const parseEvalOptions = EVAL_OPTIONS.parse;

function evalTarget(target: string | undefined): EvalTarget {
  if (target === undefined) {
    throw usageError(
      `Say what to evaluate: ${TARGETS.map((t) => `proactive eval ${t}`).join(", ")}`,
    );
  }
  if (!(TARGETS as readonly string[]).includes(target)) {
    throw usageError(
      `Unknown evaluation "${target}" (known: ${TARGETS.join(", ")})${didYouMean(target, TARGETS)}`,
    );
  }
  return target as EvalTarget;
}

export const command: Command = {
  name: "eval",
  summary:
    "Score models: eval reward (the reward model), eval agent / judge / score (ProactiveBench)",
  help: HELP,
  flags: { reward: FLAGS, agent: AGENT_FLAGS, judge: JUDGE_FLAGS, score: SCORE_FLAGS },
  async run(args, ctx) {
    const found = findTarget(args);
    if (found && found.target in SUBCOMMANDS) {
      const rest = [...args.slice(0, found.index), ...args.slice(found.index + 1)];
      return await SUBCOMMANDS[found.target as keyof typeof SUBCOMMANDS](rest, ctx);
    }
    const options = await readStageOptions(args, ctx.env, EVAL_OPTIONS);
    const result = await runEvalReward(options, ctx);
    if (options.json) {
      const json = {
        output: options.output,
        summary: options.summary,
        ...evalRewardSummary(result),
      };
      ctx.stdout(`${JSON.stringify(json, null, 2)}\n`);
    } else {
      ctx.stdout(
        formatRewardTable(result.table, { source: result.source, endpoint: result.endpoint }) +
          `\nPer-item results: ${options.output}\nSummary: ${options.summary}\n${result.stats}`,
      );
    }
    return 0;
  },
};
