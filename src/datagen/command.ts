import { LOG_FORMATS, type LogFormat } from "../gym/log_writer.ts";
import type { Command, CommandContext } from "../cli/command.ts";
import { promptsOf } from "../prompts/prompt_set.ts";
import { checkReferenceRewardTexts } from "../prompts/reference_messages.ts";
import { durationFlag } from "../cli/duration_flag.ts";
import { interruptedError, runtimeError, usageError } from "../cli/errors.ts";
import { integerFlag, parseFlags, stringFlag } from "../cli/parse_flags.ts";
import type { SceneRunner } from "../gym/gym_types.ts";
import { DEFAULT_LEASE_TTL_MS } from "../gym/lease.ts";
import { runScene } from "../gym/scene_loop.ts";
import {
  type ConfigSource,
  LLM_FLAGS,
  LLM_FLAGS_HELP,
  type LlmRole,
  parseLlmConfig,
  parseLlmFlags,
  readLlmConfig,
  resolvePrompts,
} from "../llm/llm_config.ts";
import { formatDatagenReport, SUMMARY_FILE } from "./datagen_summary.ts";
import { type DatagenDeps, type DatagenOptions, DEFAULT_KV, runDatagen } from "./run_datagen.ts";

export const DEFAULTS = {
  scenesDir: "scenes",
  concurrency: 4,
  seed: 42,
  adaptRounds: 2,
  userSteps: 7,
  filterRetries: 3,
  agentActions: 5,
  leaseTtlMs: DEFAULT_LEASE_TTL_MS,
};

/** The LLM layer's `--concurrency` is per endpoint; here it counts scenes (see `--requests`). */
const LLM_HELP = LLM_FLAGS_HELP.replace(
  /^ {2}--concurrency N[^\n]*\n/m,
  "  --requests N            Requests in flight per endpoint (default 16, or the config's)\n",
);

const HELP = `proactive datagen — play gym scenes and write their event logs

Usage: proactive datagen [options]

Plays every scene configuration (scene_*.yaml) of --scenes-dir, sorted by name, or every
scene of a scene list (--scene-file; entry i becomes scene_<file stem>-<iii>). In each
scene a simulated environment, a simulated user and the proactive agent interact (roles
env, user, agent and, with --reward-filter or --reward-judge, reward) and every step is
logged, one JSON record a line, to the scene's log: its eventSink.out_file inside
--out-dir (default: the configurations' folder, or the list's).

Safe under cron and for several processes at once: each scene is leased in a Deno KV
store (--kv) and renewed while it runs, so two runs never play the same scene; a lease
left by a killed run expires (--lease-ttl) and the scene is taken over. A log is written
as <log>.partial, flushed record by record, and renamed to <log> only when the scene is
complete (its last record is "end"). Complete logs are skipped (--force plays them again);
an interrupted scene starts again, its finished requests replayed from the completion
cache. A failed scene keeps its partial log, its reason and its counts so far; the others
go on. When a --force re-run of a complete scene fails, the previous complete log is kept
and the new partial log removed.

Writes, beside the logs, ${SUMMARY_FILE} (replaced atomically): every scene's status
(done, complete, taken, failed, interrupted), counts and failure reason, and the LLM
accounting. Exit status 1 when any scene failed or the run was interrupted, 2 for a bad
command line, 0 otherwise (scenes taken by another run are not failures).

Options:
  --scenes-dir DIR       Scene configurations: every *.yaml / *.yml holding one
                         (default: ${DEFAULTS.scenesDir})
  --scene-file FILE      A scene list (YAML or JSON), or one configuration, instead
  --out-dir DIR          Where the logs go (default: the scenes' folder)
  --kv FILE              Lease store (default: <out-dir>/${DEFAULT_KV})
  --force                Play scenes whose log is already complete again
  --concurrency N        Scenes played at once (default ${DEFAULTS.concurrency})
  --seed N               Seed of every sampling step (default ${DEFAULTS.seed})
  --adapt-rounds N       Rounds of the user asking about the environment (default: the
                         configuration's user.adapt_times, else ${DEFAULTS.adaptRounds})
  --user-steps N         User activity steps per scene (default: the configuration's
                         user.action_times, else ${DEFAULTS.userSteps}; under protocol:
                         reference one more, as the reference plays a first step and
                         then action_times more)
  --no-agent             Leave the proactive agent out
  --reward-filter        The reward model vets each prediction of the agent
  --filter-retries N     Re-asks of a rejected prediction (default ${DEFAULTS.filterRetries})
  --reward-judge         The reward model, not the simulated user, judges proposals
  --agent-actions N      Most action steps for an accepted task (default ${DEFAULTS.agentActions})
  --log-format F         proactive (structured records) or reference (the reference
                         project's encoding, read by its build_agent_trainset.py);
                         config: log_format: F; default reference under a prompt set
                         with protocol: reference, else proactive
  --lease-ttl DURATION   Lease time to live, renewed every third of it (default 60s)
  -h, --help             Show this help
  (--limit N plays only the first N scenes.)

${LLM_HELP}
The roles env, user, agent and reward use the config's roles of those names, else
roles.default.

Examples:
  proactive datagen --scenes-dir scenes --model gpt-4o-2024-08-06
  proactive datagen --scene-file scenes_example.yaml --out-dir logs --no-agent --limit 2
  # cron, every 10 minutes; overlapping runs share the work:
  */10 * * * * cd /data/gym && proactive datagen --scenes-dir scenes >> datagen.log 2>&1
`;

const FLAGS = {
  ...LLM_FLAGS,
  "scenes-dir": { type: "string" },
  "scene-file": { type: "string" },
  "out-dir": { type: "string" },
  kv: { type: "string" },
  "log-format": { type: "string" },
  force: { type: "boolean" },
  requests: { type: "string" },
  seed: { type: "string" },
  "adapt-rounds": { type: "string" },
  "user-steps": { type: "string" },
  "no-agent": { type: "boolean" },
  "reward-filter": { type: "boolean" },
  "filter-retries": { type: "string" },
  "reward-judge": { type: "boolean" },
  "agent-actions": { type: "string" },
  "lease-ttl": { type: "string" },
} as const;

/** Parses the command line of `proactive datagen` (pure; usage errors throw). */
export function parseDatagenOptions(
  args: string[],
  env: (name: string) => string | undefined,
  config?: ConfigSource,
): DatagenOptions {
  const { values } = parseFlags(args, FLAGS);
  const text = (name: string) => {
    const value = stringFlag(values, name);
    if (value !== undefined && value.trim() === "") throw usageError(`--${name} must not be empty`);
    return value;
  };
  const int = (name: string, fallback: number, min: number, max = 1_000_000) =>
    integerFlag(name, stringFlag(values, name), fallback, { min, max });
  const sceneFile = text("scene-file");
  const scenesDir = text("scenes-dir");
  if (sceneFile !== undefined && scenesDir !== undefined) {
    throw usageError("Pass either --scenes-dir or --scene-file, not both");
  }
  const agent = values["no-agent"] !== true;
  const rewardFilter = values["reward-filter"] === true;
  const rewardJudge = values["reward-judge"] === true;
  if (!agent && (rewardFilter || rewardJudge)) {
    throw usageError(
      `--${rewardFilter ? "reward-filter" : "reward-judge"} needs the agent: drop --no-agent`,
    );
  }
  const roles: LlmRole[] = ["env", "user"];
  if (agent) roles.push("agent");
  if (rewardFilter || rewardJudge) roles.push("reward");
  // --concurrency counts scenes here; --requests is the LLM layer's per-endpoint limit.
  const llmValues = { ...values, concurrency: values.requests };
  const leaseTtlMs = durationFlag("lease-ttl", text("lease-ttl"), DEFAULTS.leaseTtlMs);
  if (leaseTtlMs < 100) {
    throw usageError(`--lease-ttl must be at least 100ms, got "${text("lease-ttl")}"`);
  }
  const logFormatFlag = text("log-format");
  if (logFormatFlag !== undefined && !(LOG_FORMATS as readonly string[]).includes(logFormatFlag)) {
    throw usageError(
      `--log-format must be one of ${LOG_FORMATS.join(", ")}, got "${logFormatFlag}"`,
    );
  }
  const logFormat = (logFormatFlag as LogFormat | undefined) ??
    (config ? parseLlmConfig(config).log_format : undefined);
  return {
    ...(logFormat === undefined ? {} : { logFormat }),
    scenesDir: scenesDir ?? DEFAULTS.scenesDir,
    sceneFile,
    outDir: text("out-dir"),
    kv: text("kv"),
    force: values.force === true,
    concurrency: int("concurrency", DEFAULTS.concurrency, 1, 1024),
    leaseTtlMs,
    scene: {
      adaptRounds: int("adapt-rounds", DEFAULTS.adaptRounds, 0, 100),
      userSteps: int("user-steps", DEFAULTS.userSteps, 1, 1000),
      given: {
        adaptRounds: values["adapt-rounds"] !== undefined,
        userSteps: values["user-steps"] !== undefined,
      },
      agent,
      rewardFilter,
      filterRetries: int("filter-retries", DEFAULTS.filterRetries, 0, 100),
      rewardJudge,
      agentActions: int("agent-actions", DEFAULTS.agentActions, 0, 100),
      seed: int("seed", DEFAULTS.seed, 0, Number.MAX_SAFE_INTEGER),
    },
    llm: parseLlmFlags(llmValues, env, { config, roles }),
  };
}

/**
 * Runs `proactive datagen` with `args`: the command's body, with the scene runner (and the
 * rest of `DatagenDeps`) injectable so tests and test entry points can play fake scenes.
 */
export async function runDatagenCommand(
  args: string[],
  ctx: CommandContext,
  deps: DatagenDeps,
): Promise<number> {
  const config = await readLlmConfig(parseFlags(args, FLAGS).values);
  const parsed = parseDatagenOptions(args, ctx.env, config);
  // The prompt set is read and checked before any request is sent.
  const options = { ...parsed, llm: await resolvePrompts(parsed.llm) };
  if (options.scene.rewardFilter || options.scene.rewardJudge) {
    checkReferenceRewardTexts(promptsOf(options.llm), "datagen --reward-filter / --reward-judge");
  }
  const result = await runDatagen(options, ctx, deps);
  ctx.stdout(formatDatagenReport(result.summary, result.stats));
  const { failed, interrupted, scenes } = result.summary.counts;
  if (result.interrupted) {
    throw interruptedError(
      `the complete logs are saved in "${result.summary.outDir}", ${interrupted} of ` +
        `${scenes} scene(s) not done`,
    );
  }
  if (failed > 0) {
    throw runtimeError(
      `${failed} of ${scenes} scene(s) failed (reasons above and in ` +
        `"${result.summary.outDir}/${SUMMARY_FILE}"); their partial logs are kept`,
    );
  }
  return 0;
}

export function datagenCommand(runner: SceneRunner = runScene): Command {
  return {
    name: "datagen",
    summary: "Play gym scenes (environment, user, agent) and write their event logs",
    help: HELP,
    run: (args, ctx) => runDatagenCommand(args, ctx, { runner }),
  };
}

export const command: Command = datagenCommand();
