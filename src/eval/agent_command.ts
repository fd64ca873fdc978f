/**
 * `proactive eval agent`: flags, help and a pure options parser over `predict_traces.ts`;
 * with `--judge-model R` it judges the turns as they are predicted (`pipelined_judge.ts`)
 * and then, like `eval judge`, the traces done by an earlier run; with `--score` the score
 * step follows (`eval_steps.ts`).
 */
import { openSharedCache, type SharedCache } from "../stage/shared_cache.ts";
import { pullPredictions, pushPredictions } from "./shared_predictions.ts";
import { readStageOptions } from "../stage/stage_options.ts";
import { REFERENCE_QUIRKS_FLAG } from "../prompts/reference_messages.ts";
import { checkJudgeTexts } from "./judge_askers.ts";
import { checkPredictorTexts } from "./trace_predictors.ts";
import { promptsOf } from "../prompts/prompt_set.ts";
import { join } from "node:path";
import type { CommandContext } from "../cli/command.ts";
import { interruptedError, usageError } from "../cli/errors.ts";
import { busyPolicyOf, WAIT_FLAG, withOutputLocks } from "../store/output_lock.ts";
import type { BusyPolicy } from "../store/process_lock.ts";
import type { Logger } from "../cli/logger.ts";
import { lstatOrUndefined } from "../store/no_follow.ts";
import { type FlagDecls, flagTable, parseCommandLine } from "../cli/flags.ts";
import { type ConfigSource, LLM_FLAGS, type LlmOptions } from "../llm/llm_config.ts";
import { createLlmRuntime, type LlmRuntime } from "../llm/llm_runtime.ts";
import { createCommandProgress, loggerAboveProgress } from "../llm/progress.ts";
import { AGENT_PROMPT_VERSION } from "../prompts/agent_prompts.ts";
import { loadEvalTraces } from "./eval_traces.ts";
import { SCORE_STEP, type ScoreStep } from "./eval_steps.ts";
import { parseRoleModels } from "./eval_models.ts";
import { legacyModelFolder, modelFolder } from "./model_folder.ts";
import { claimModelFolder, readModelMarker } from "./model_marker.ts";
import {
  DEFAULT_OUT_DIR,
  judgeExitCode,
  NULL_STRINGS_FLAG,
  referenceNullStrings,
  runJudge,
} from "./judge_command.ts";
import type { JudgeFileOutcome, NullStringRule } from "./judge_predictions.ts";
import { AGENT_PRIORITY, createPipelinedJudge } from "./pipelined_judge.ts";
import { type PredictSummary, predictTraces, type ReferenceDifference } from "./predict_traces.ts";

/** The flags of `eval agent` besides the LLM ones, in the help's order. */
const AGENT_OWN_FLAGS = {
  data: {
    kind: "string",
    value: "DIR",
    help: "Traces to predict on: every *.json of DIR but splits.json",
  },
  "out-dir": {
    kind: "string",
    value: "DIR",
    default: DEFAULT_OUT_DIR,
    help: `Output folder (default ${DEFAULT_OUT_DIR})`,
  },
  temperature: {
    kind: "number",
    value: "T",
    min: 0,
    max: 2,
    help: "Temperature of every attempt (default 0, then 0.5 on retries)",
  },
  "judge-model": {
    kind: "string",
    value: "ALIAS",
    help: [
      "Also judge each turn with this reward model as soon as it is",
      "predicted (as eval judge would, the agent's requests first)",
    ],
  },
  "null-strings": {
    ...NULL_STRINGS_FLAG,
    help: "With --judge-model: as for eval judge (default null)",
  },
  score: { kind: "boolean", help: "Then score the judged folder (eval score)" },
  json: { kind: "boolean", help: "Print the counts as JSON" },
  ...REFERENCE_QUIRKS_FLAG,
  ...WAIT_FLAG,
} as const satisfies FlagDecls;

/** Every flag of `eval agent` (see `cli/flags.ts`). */
export const AGENT_FLAGS = { ...LLM_FLAGS, ...AGENT_OWN_FLAGS } as const satisfies FlagDecls;

export const AGENT_HELP =
  `agent: the agent model (--model ALIAS, role "agent") predicts at every turn of every
test trace (default: the 12 embedded ProactiveBench traces), with the gym's agent prompt
and the trace's history (earlier predictions as assistant turns); temperature 0, then 0.5
on retries. Each turn gets agent_response ([] for no task, [task] otherwise) and
other_infomation {Purpose, Thoughts, Response}; a turn with no valid answer gets
no agent_response and a failure, and is not judged or scored. Writes
<out-dir>/<ALIAS>/<trace>.json per trace; re-running resumes. ALIAS is the folder name
when it is letters, digits, "_", "-" and "." (starting with a letter or digit); other
names are encoded (llama3:8b -> _llama3_3A8b), so every name has a folder of its own.
The folder's .model.json names its model: another model's run there is refused.
${flagTable(AGENT_OWN_FLAGS, { column: 23, helpRow: false })}
  e.g. proactive eval agent --model qwen-7b --judge-model reward-7b --score
`;

export interface AgentCommandOptions {
  data: string | null;
  outDir: string;
  /** The agent's name, as given (`--model`). */
  model: string;
  /** The agent's folder under outDir (`modelFolder(model)`). */
  folder: string;
  temperature: number | undefined;
  /** Reward model to chain `eval judge` with; null: no judging. */
  judgeModel: string | null;
  nullStrings: NullStringRule;
  score: boolean;
  json: boolean;
  /** Under protocol: reference, reproduce the reference's defects (`--reference-quirks`). */
  referenceQuirks?: boolean;
  /** When another run writes the model's folder: exit naming it, or wait (`--wait`). */
  onBusy?: BusyPolicy;
  llm: LlmOptions;
  /** LLM options of the judge step (role "reward"), when chained. */
  judgeLlm: LlmOptions | null;
}

/** Parses `eval agent`'s flags (without the target word); pure. */
export function parseAgentOptions(
  args: string[],
  env: (name: string) => string | undefined,
  config?: ConfigSource,
): AgentCommandOptions {
  const { flags, raw } = parseCommandLine(args, AGENT_FLAGS);
  const model = flags.model;
  if (model === undefined) throw usageError("eval agent needs --model ALIAS (the agent model)");
  const judgeModel = flags.judgeModel ?? null;
  if (flags.score && judgeModel === null) {
    throw usageError("--score needs --judge-model: only judged predictions can be scored");
  }
  return {
    data: flags.data ?? null,
    outDir: flags.outDir,
    model,
    folder: modelFolder(model),
    temperature: flags.temperature,
    judgeModel,
    nullStrings: flags.nullStrings ?? "null",
    score: flags.score,
    json: flags.json,
    referenceQuirks: flags.referenceQuirks,
    onBusy: busyPolicyOf(flags),
    llm: parseRoleModels(raw, env, config, { agent: model }),
    judgeLlm: judgeModel === null
      ? null
      : parseRoleModels(raw, env, config, { reward: judgeModel }),
  };
}

export interface AgentRun {
  summary: PredictSummary;
  llm: LlmRuntime;
  /** With a judge pipeline: the outcomes of the traces judged alongside (written ones). */
  judgedHere: JudgeFileOutcome[];
}

/**
 * Predicts, writes, reports. With `judgeLlm` (`eval agent --judge-model`), the predicted
 * turns are judged alongside (`pipelined_judge.ts`) on one runtime, so the agent and the
 * reward model named by flags on one base URL share its `--concurrency`.
 */
export async function runAgent(
  options: AgentCommandOptions,
  ctx: CommandContext,
): Promise<AgentRun> {
  const shared = await openSharedCache(options.llm); // --db: answers shared by machines
  try {
    return await runAgentWith(options, ctx, shared);
  } finally {
    await shared.close();
  }
}

async function runAgentWith(
  options: AgentCommandOptions,
  ctx: CommandContext,
  { cache, store }: SharedCache,
): Promise<AgentRun> {
  const all = await loadEvalTraces(options.data);
  const outDir = await agentFolder(options, ctx.logger);
  const traces = options.llm.limit === undefined ? all : all.slice(0, options.llm.limit);
  if (store) {
    const pulled = await pullPredictions(store, { outDir, files: traces.map((t) => t.file) });
    if (pulled > 0) ctx.logger.info(`eval agent: ${pulled} finished trace(s) from ${store.where}`);
  }
  const total = traces.reduce((n, t) => n + t.trace.length, 0);
  const pipelined = options.judgeLlm !== null;
  const progress = createCommandProgress(
    ctx,
    pipelined ? 2 * total : total,
    pipelined ? "eval agent + judge" : "eval agent",
  );
  const logger = loggerAboveProgress(ctx.logger, progress);
  const llmOptions = options.judgeLlm === null ? options.llm : {
    ...options.llm,
    endpoints: { ...options.llm.endpoints, ...options.judgeLlm.endpoints },
  };
  const llm = createLlmRuntime(llmOptions, { logger, signal: ctx.signal, now: ctx.now, cache });
  const client = llm.client("agent");
  const judge = pipelined
    ? createPipelinedJudge(traces, outDir, llm.client("reward"), {
      nullStrings: options.nullStrings,
      referenceQuirks: options.referenceQuirks,
      prompts: promptsOf(options.llm),
      progress,
      logger,
    })
    : undefined;
  let summary: PredictSummary;
  const differences: ReferenceDifference[] = [];
  try {
    summary = await predictTraces(traces, client, {
      outDir,
      referenceQuirks: options.referenceQuirks,
      onDifference: (difference) => differences.push(difference),
      prompts: promptsOf(options.llm),
      temperature: options.temperature,
      workers: client.limiter.limit,
      signal: ctx.signal,
      progress,
      logger,
      ...(judge
        ? {
          priority: AGENT_PRIORITY,
          onTurn: judge.onTurn,
          beforeWrite: judge.beforeWrite,
        }
        : {}),
    });
  } catch (error) {
    if (!ctx.signal.aborted) throw error;
    throw interruptedError(
      `the traces finished${pipelined ? " (and judged)" : ""} are saved in "${outDir}"`,
    );
  } finally {
    progress.done();
  }
  if (store) {
    const finished = summary.traces.filter((t) => t.status === "done" || t.status === "skipped");
    await pushPredictions(store, { outDir, files: finished.map((t) => t.file) });
  }
  const written = new Set(
    summary.traces.filter((t) => t.status === "done").map((t) => join(outDir, t.file)),
  );
  const judgedHere = judge ? judge.outcomes().filter((o) => written.has(o.file)) : [];
  if (options.json) {
    ctx.stdout(
      `${
        JSON.stringify(
          {
            outDir,
            promptVersion: AGENT_PROMPT_VERSION,
            promptSet: llm.prompts.label,
            ...summary,
            ...(llm.prompts.protocol === "reference" ? { referenceDifferences: differences } : {}),
            // With the judge alongside, the accounting of both models comes once, with the
            // judge's counts.
            ...(pipelined ? {} : { llm: llm.stats.toJSON() }),
          },
          null,
          2,
        )
      }\n`,
    );
  } else {
    ctx.stdout(
      `eval agent: ${summary.turns} turns of ${traces.length} traces in ${outDir} ` +
        `(${summary.skippedTraces} traces already done), ${summary.failedTurns} turns failed ` +
        `(not judged or scored), ${summary.failedTraces} traces not finished\n` +
        differenceLines(differences) +
        (pipelined ? "" : llm.stats.formatStats()),
    );
  }
  return { summary, llm, judgedHere };
}

/**
 * Creates the agent's folder and claims it for the agent (`claimModelFolder`); points at
 * the folder an earlier version would have used for the name, if it is there unmarked.
 */
async function agentFolder(
  options: Pick<AgentCommandOptions, "outDir" | "model" | "folder">,
  logger: Logger,
): Promise<string> {
  const dir = join(options.outDir, options.folder);
  await warnOfLegacyFolder(options, logger);
  await Deno.mkdir(dir, { recursive: true });
  await claimModelFolder(dir, options.model);
  return dir;
}

/**
 * Points at the folder an earlier version would have used for the name, when it is there
 * unmarked and the agent's own folder is not there yet.
 */
async function warnOfLegacyFolder(
  options: Pick<AgentCommandOptions, "outDir" | "model" | "folder">,
  logger: Logger,
): Promise<void> {
  const dir = join(options.outDir, options.folder);
  const legacy = join(options.outDir, legacyModelFolder(options.model));
  if (
    legacy !== dir && (await lstatOrUndefined(dir)) === undefined &&
    (await lstatOrUndefined(legacy))?.isDirectory &&
    (await readModelMarker(legacy).catch(() => "unreadable")) === undefined
  ) {
    logger.warn(
      `"${legacy}" may hold predictions of ${JSON.stringify(options.model)} by an earlier ` +
        `version of proactive, which named the folder so; this run writes to "${dir}" ` +
        `(rename the folder to "${dir}" to resume from its predictions)`,
    );
  }
}

/** `eval agent` with its chained steps; `scoreStep` is injectable for tests. */
export async function runAgentCommand(
  args: string[],
  ctx: CommandContext,
  scoreStep: ScoreStep = SCORE_STEP,
): Promise<number> {
  // The prompt set is read and checked before any request is sent (one for both models).
  const parsed = await readStageOptions(args, ctx.env, {
    flags: AGENT_FLAGS,
    parse: parseAgentOptions,
  });
  const llm = parsed.llm;
  const options = {
    ...parsed,
    llm,
    judgeLlm: parsed.judgeLlm && { ...parsed.judgeLlm, prompts: llm.prompts },
    nullStrings: referenceNullStrings(parseCommandLine(args, AGENT_FLAGS).flags.nullStrings, llm),
  };
  checkPredictorTexts(llm.prompts!);
  if (options.judgeLlm) checkJudgeTexts(llm.prompts!);
  // The model's folder is this run's for every step: predict, judge, score.
  const dir = join(options.outDir, options.folder);
  await warnOfLegacyFolder(options, ctx.logger);
  await Deno.mkdir(dir, { recursive: true });
  return await withOutputLocks(
    [{
      path: dir,
      kind: "folder",
      what: `The model folder "${dir}"`,
    }],
    {
      command: "proactive eval agent",
      onBusy: options.onBusy,
      signal: ctx.signal,
      logger: ctx.logger,
    },
    () => agentSteps(options, ctx, scoreStep),
  );
}

async function agentSteps(
  options: AgentCommandOptions,
  ctx: CommandContext,
  scoreStep: ScoreStep,
): Promise<number> {
  const { summary, llm, judgedHere } = await runAgent(options, ctx);
  let code = summary.failedTraces > 0 ? 1 : 0;
  if (options.judgeLlm === null) return code;
  // The traces predicted now were judged alongside; the ones complete on disk from an
  // earlier run are judged (or found judged) here, on the same runtime.
  const outDir = join(options.outDir, options.folder);
  const skipped = summary.traces.filter((t) => t.status === "skipped")
    .map((t) => join(outDir, t.file));
  const judged = await runJudge(
    {
      outDir: options.outDir,
      agents: [options.model],
      nullStrings: options.nullStrings,
      json: options.json,
      llm: options.judgeLlm,
    },
    ctx,
    { llm, files: skipped, judgedHere, lockHeld: true },
  );
  code = Math.max(code, judgeExitCode(judged));
  if (!options.score) return code;
  const scored = await scoreStep(
    { outDir: options.outDir, models: [options.folder], json: options.json },
    ctx,
  );
  return Math.max(code, scored);
}

/** The turns where this run's files differ from the reference script's, one line each. */
function differenceLines(differences: readonly ReferenceDifference[]): string {
  if (differences.length === 0) return "";
  return `Where these files differ from what the reference's script writes (${differences.length}):\n` +
    differences.map((d) => `  ${d.file} turn ${d.turn}: ${d.what}\n`).join("");
}
