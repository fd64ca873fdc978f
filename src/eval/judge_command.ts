/**
 * `proactive eval judge`: flags, help and a pure options parser over `judge_predictions.ts`.
 * Also the judge step `eval agent --judge-model` chains.
 */
import type { CompletionCache } from "../llm/completion_cache.ts";
import { openSharedCache } from "../stage/shared_cache.ts";
import type { WorkStore } from "../store/work_store.ts";
import { pushPredictions } from "./shared_predictions.ts";
import { readStageOptions } from "../stage/stage_options.ts";
import { REFERENCE_QUIRKS_FLAG } from "../prompts/reference_messages.ts";
import { checkJudgeTexts } from "./judge_askers.ts";
import { promptsOf } from "../prompts/prompt_set.ts";
import { basename, dirname, join } from "node:path";
import type { CommandContext } from "../cli/command.ts";
import { describeError, inputError, interruptedError, usageError } from "../cli/errors.ts";
import { busyPolicyOf, WAIT_FLAG, withOutputLocks } from "../store/output_lock.ts";
import type { BusyPolicy } from "../store/process_lock.ts";
import { type FlagDecl, type FlagDecls, flagTable, parseCommandLine } from "../cli/flags.ts";
import { type ConfigSource, LLM_FLAGS, type LlmOptions } from "../llm/llm_config.ts";
import { createLlmRuntime, type LlmRuntime } from "../llm/llm_runtime.ts";
import { createCommandProgress, loggerAboveProgress } from "../llm/progress.ts";
import { runWorkerPool } from "../stage/worker_pool.ts";
import { parseRoleModels } from "./eval_models.ts";
import { modelFolder, modelIdOfFolder } from "./model_folder.ts";
import { claimModelFolder, readModelMarker } from "./model_marker.ts";
import {
  type JudgeFileOutcome,
  judgeFiles,
  type JudgeWork,
  NULL_STRING_RULES,
  type NullStringRule,
  predictionFiles,
  readJudgeWork,
} from "./judge_predictions.ts";

export const DEFAULT_OUT_DIR = "proactivebench_results";

/** Prediction files read at once before judging. */
const READ_AT_ONCE = 16;

/** `--null-strings RULE` of `eval judge` and `eval agent`; without a default (see below). */
export const NULL_STRINGS_FLAG = {
  kind: "choice",
  value: "RULE",
  choices: NULL_STRING_RULES,
  help: [
    'null (default): the strings "null", "None" and "" are null',
    "proposals; task: they are sent as tasks, as the reference's",
    "published numbers were computed",
  ],
} as const satisfies FlagDecl;

/** The flags of `eval judge` besides the LLM ones, in the help's order. */
const JUDGE_OWN_FLAGS = {
  "out-dir": {
    kind: "string",
    value: "DIR",
    default: DEFAULT_OUT_DIR,
    help: `Folder of model folders (default ${DEFAULT_OUT_DIR})`,
  },
  agent: {
    kind: "list",
    value: "NAME",
    repeat: true,
    default: [],
    help: [
      "Judge only the folder of the agent NAME, as eval agent names it",
      "(repeatable; default: every folder)",
    ],
  },
  "null-strings": NULL_STRINGS_FLAG,
  json: { kind: "boolean", help: "Print the counts as JSON" },
  ...REFERENCE_QUIRKS_FLAG,
  ...WAIT_FLAG,
} as const satisfies FlagDecls;

/** Every flag of `eval judge` (see `cli/flags.ts`). */
export const JUDGE_FLAGS = { ...LLM_FLAGS, ...JUDGE_OWN_FLAGS } as const satisfies FlagDecls;

export const JUDGE_HELP =
  `judge: the reward model (--model ALIAS, role "reward") judges every prediction under
--out-dir: for each turn whose agent_response is a list, each proposal, seeing the
observations of turns 0..i; an empty list is one null proposal. Writes judgement:
[true|false, …] (accepted or not) into each turn, in place. Resumes: judged turns are
skipped. A turn that cannot be judged gets judge_failure and the rest is still written.
A file that cannot be read or parsed is named at the end (exit 1); the others are judged.
${flagTable(JUDGE_OWN_FLAGS, { column: 23, helpRow: false })}
  e.g. proactive eval judge --out-dir results --model reward-7b
`;

export interface JudgeCommandOptions {
  outDir: string;
  /** Agent names (their folders are `modelFolder(name)`); empty: every folder of outDir. */
  agents: string[];
  nullStrings: NullStringRule;
  json: boolean;
  /** Under protocol: reference, judge as the reference's judge does (`--reference-quirks`). */
  referenceQuirks?: boolean;
  /** When another run writes one of the folders: exit naming it, or wait (`--wait`). */
  onBusy?: BusyPolicy;
  llm: LlmOptions;
}

/**
 * The null-strings rule: the flag's (`given`), else under protocol: reference the
 * reference's (`task`: "null" strings are sent as tasks), else the default, `null`.
 */
export function referenceNullStrings(
  given: NullStringRule | undefined,
  llm: { prompts?: { protocol: string } },
): NullStringRule {
  return given ?? (llm.prompts?.protocol === "reference" ? "task" : "null");
}

/** Parses `eval judge`'s flags (without the target word); pure. */
export function parseJudgeOptions(
  args: string[],
  env: (name: string) => string | undefined,
  config?: ConfigSource,
): JudgeCommandOptions {
  const { flags, raw } = parseCommandLine(args, JUDGE_FLAGS);
  if (flags.model === undefined) {
    throw usageError("eval judge needs --model ALIAS (the reward model)");
  }
  flags.agent.forEach(modelFolder); // a name that cannot name a folder is a usage error
  return {
    outDir: flags.outDir,
    agents: flags.agent,
    nullStrings: flags.nullStrings ?? "null",
    json: flags.json,
    referenceQuirks: flags.referenceQuirks,
    onBusy: busyPolicyOf(flags),
    llm: parseRoleModels(raw, env, config, { reward: flags.model }),
  };
}

/** A prediction file that was not judged: it could not be read or parsed. */
export interface UnreadableFile {
  file: string;
  /** Why, naming the file (`"a.json" is not UTF-8 text: …`). */
  error: string;
}

export interface JudgeSummary {
  files: JudgeFileOutcome[];
  judged: number;
  alreadyJudged: number;
  unpredicted: number;
  failed: number;
  /** Files not judged because they could not be read or parsed, in name order. */
  unreadable: UnreadableFile[];
}

/** 1 when a turn could not be judged or a file could not be read, else 0. */
export function judgeExitCode(summary: JudgeSummary): number {
  return summary.failed > 0 || summary.unreadable.length > 0 ? 1 : 0;
}

/** A model folder to judge: the agent's name and the folder's path. */
interface AgentFolder {
  model: string;
  dir: string;
}

/**
 * Every model folder of `outDir` (hidden ones aside), each with the agent its marker
 * names, or the name its folder name stands for.
 */
async function modelFolders(outDir: string): Promise<AgentFolder[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(outDir)) {
      if (entry.isDirectory && !entry.name.startsWith(".")) names.push(entry.name);
    }
  } catch (error) {
    throw inputError(`Cannot read "${outDir}": ${(error as Error).message}`, error);
  }
  const folders: AgentFolder[] = [];
  for (const name of names.sort()) {
    const dir = join(outDir, name);
    folders.push({ model: await readModelMarker(dir) ?? modelIdOfFolder(name), dir });
  }
  return folders;
}

/** The folders of the agents named (claimed for their models once they are locked). */
function namedFolders(outDir: string, agents: readonly string[]): AgentFolder[] {
  return agents.map((model) => {
    const dir = join(outDir, modelFolder(model));
    predictionFiles(dir); // a missing folder is named before anything is written
    return { model, dir };
  });
}

/** What `runJudge` may be given by `eval agent --judge-model`. */
export interface JudgeRunDeps {
  /** The runtime to use (shared with the agent's), instead of one of its own. */
  llm?: LlmRuntime;
  /** Judge only these files of the folders (default: all). */
  files?: string[];
  /** Files judged already in this run (the pipeline's), counted in the summary. */
  judgedHere?: JudgeFileOutcome[];
  /** The folders' locks are held by the caller (`eval agent`), not taken here. */
  lockHeld?: boolean;
  /** The completion cache to use instead of `--cache-dir`'s (`--db`'s shared one). */
  cache?: CompletionCache;
}

/** Judges the folders and prints the counts and the LLM accounting. */
export async function runJudge(
  options: JudgeCommandOptions,
  ctx: CommandContext,
  deps: JudgeRunDeps = {},
): Promise<JudgeSummary> {
  const agents = options.agents.length > 0
    ? namedFolders(options.outDir, options.agents)
    : await modelFolders(options.outDir);
  if (agents.length === 0) throw inputError(`"${options.outDir}" holds no model folders`);
  // Under eval agent, its run holds the folder's lock already.
  const outputs = deps.lockHeld ? [] : agents.map(({ dir }) => ({
    path: dir,
    kind: "folder" as const,
    what: `The model folder "${dir}"`,
  }));
  const run = { command: "proactive eval judge", onBusy: options.onBusy, ...ctx };
  return await withOutputLocks(outputs, run, async () => {
    // A folder named on the command line is claimed for its model (once locked).
    if (options.agents.length > 0) {
      for (const { dir, model } of agents) await claimModelFolder(dir, model);
    }
    if (deps.llm) return await judgeFolders(options, agents, ctx, deps);
    const shared = await openSharedCache(options.llm); // --db: answers shared by machines
    try {
      const summary = await judgeFolders(options, agents, ctx, { ...deps, cache: shared.cache });
      if (shared.store) await storeJudgedFiles(shared.store, summary);
      return summary;
    } finally {
      await shared.close();
    }
  });
}

/**
 * `--db`: the judged files replace their unjudged version in the store (`eval agent`'s
 * stored trace files), so a machine resuming from the store gets them judged.
 */
async function storeJudgedFiles(store: WorkStore, summary: JudgeSummary): Promise<void> {
  const byFolder = new Map<string, string[]>();
  for (const { file } of summary.files) {
    const files = byFolder.get(dirname(file)) ?? [];
    files.push(basename(file));
    byFolder.set(dirname(file), files);
  }
  for (const [outDir, files] of byFolder) await pushPredictions(store, { outDir, files });
}

async function judgeFolders(
  options: JudgeCommandOptions,
  agents: readonly AgentFolder[],
  ctx: CommandContext,
  deps: JudgeRunDeps,
): Promise<JudgeSummary> {
  const files = [...deps.files ?? []].sort();
  if (!deps.files) {
    for (const { dir } of agents) files.push(...predictionFiles(dir));
  }
  // --reference-quirks: a leftover {candidate_task} is judged by its keys, as the reference does.
  const dictKeys = options.referenceQuirks === true &&
    promptsOf(options.llm).protocol === "reference";
  const { work, unreadable } = await readAllWork(files, {
    rule: options.nullStrings,
    dictKeys,
    signal: ctx.signal,
  });
  const total = work.reduce((n, w) => n + w.todo.length, 0);
  const progress = createCommandProgress(ctx, total, "eval judge");
  const logger = loggerAboveProgress(ctx.logger, progress);
  const llm = deps.llm ??
    createLlmRuntime(options.llm, { logger, signal: ctx.signal, now: ctx.now, cache: deps.cache });
  const client = llm.client("reward");
  let outcomes: JudgeFileOutcome[];
  try {
    // As many turns in work as the endpoint takes requests at once, across the files.
    outcomes = await judgeFiles(work, client, {
      nullStrings: options.nullStrings,
      referenceQuirks: options.referenceQuirks,
      prompts: promptsOf(options.llm),
      workers: client.limiter.limit,
      signal: ctx.signal,
      progress,
      logger,
    });
  } catch (error) {
    if (!ctx.signal.aborted) throw error;
    throw interruptedError(
      `the turns judged are saved in their files under "${options.outDir}"`,
    );
  } finally {
    progress.done();
  }
  outcomes = [...(deps.judgedHere ?? []), ...outcomes].sort((a, b) => a.file < b.file ? -1 : 1);
  const sum = (key: keyof Omit<JudgeFileOutcome, "file">) =>
    outcomes.reduce((n, o) => n + o[key], 0);
  const summary: JudgeSummary = {
    files: outcomes,
    judged: sum("judged"),
    alreadyJudged: sum("alreadyJudged"),
    unpredicted: sum("unpredicted"),
    failed: sum("failed"),
    unreadable,
  };
  if (options.json) {
    ctx.stdout(
      `${
        JSON.stringify(
          { promptSet: llm.prompts.label, ...summary, llm: llm.stats.toJSON() },
          null,
          2,
        )
      }\n`,
    );
  } else {
    ctx.stdout(
      `eval judge: ${summary.judged} turns judged, ${summary.alreadyJudged} already judged, ` +
        `${summary.unpredicted} without a prediction (not judged), ${summary.failed} failed ` +
        `in ${outcomes.length} files of ${agents.map((a) => a.model).join(", ")}` +
        (unreadable.length > 0 ? `; ${unreadable.length} files not read (below)` : "") +
        `\n${llm.stats.formatStats()}`,
    );
  }
  for (const { error } of unreadable) ctx.logger.error(`Not judged: ${error}`);
  return summary;
}

/**
 * Every file read (and checked) before the first request, several at a time; a file that
 * cannot be read or parsed is set aside with its reason, and the others are judged.
 */
async function readAllWork(
  files: readonly string[],
  { rule, dictKeys, signal }: { rule: NullStringRule; dictKeys: boolean; signal: AbortSignal },
): Promise<{ work: JudgeWork[]; unreadable: UnreadableFile[] }> {
  const slots: (JudgeWork | UnreadableFile)[] = new Array(files.length);
  await runWorkerPool(files.length, READ_AT_ONCE, async (i) => {
    try {
      slots[i] = await readJudgeWork(files[i], rule, { dictKeys });
    } catch (error) {
      if (signal.aborted) throw error;
      slots[i] = { file: files[i], error: describeError(error) };
    }
  }, signal);
  const work = slots.filter((slot): slot is JudgeWork => "todo" in slot);
  const unreadable = slots.filter((slot): slot is UnreadableFile => "error" in slot);
  return { work, unreadable };
}

export async function runJudgeCommand(args: string[], ctx: CommandContext): Promise<number> {
  // The prompt set is read and checked before any request is sent.
  const parsed = await readStageOptions(args, ctx.env, {
    flags: JUDGE_FLAGS,
    parse: parseJudgeOptions,
  });
  const llm = parsed.llm;
  const options = {
    ...parsed,
    llm,
    nullStrings: referenceNullStrings(parseCommandLine(args, JUDGE_FLAGS).flags.nullStrings, llm),
  };
  checkJudgeTexts(options.llm.prompts!);
  return judgeExitCode(await runJudge(options, ctx));
}
