import { LOG_FORMATS } from "../gym/log_writer.ts";
import { readStageOptions, stageOptions } from "../stage/stage_options.ts";
import type { Command, CommandContext } from "../cli/command.ts";
import { promptsOf } from "../prompts/prompt_set.ts";
import { checkReferenceRewardTexts } from "../prompts/reference_messages.ts";
import { interruptedError, runtimeError, usageError } from "../cli/errors.ts";
import { type FlagDecls, flagTable } from "../cli/flags.ts";
import type { SceneRunner } from "../gym/gym_types.ts";
import { DEFAULT_LEASE_TTL_MS } from "../store/lease_holder.ts";
import { runScene } from "../gym/scene_loop.ts";
import { LLM_FLAGS, llmFlagsHelp, type LlmRole, parseLlmConfig } from "../llm/llm_config.ts";
import { formatDatagenReport, SUMMARY_FILE } from "./datagen_summary.ts";
import { type DatagenDeps, type DatagenOptions, DEFAULT_KV, runDatagen } from "./run_datagen.ts";
import { DB_FLAG } from "../store/open_work_store.ts";
import { runSharedCommand, SHARED_HELP, sharedSubcommand } from "./shared_command.ts";

export const DEFAULTS = {
  scenesDir: "scenes",
  concurrency: 4,
  seed: 42,
  adaptRounds: 2,
  userSteps: 7,
  filterRetries: 3,
  agentActions: 5,
  leaseTtlMs: DEFAULT_LEASE_TTL_MS,
  maxSceneAttempts: 3,
  dbTimeoutMs: 60_000,
};

/** The flags of `proactive datagen` besides the LLM ones, in the help's order. */
const OWN_FLAGS = {
  "scenes-dir": {
    kind: "string",
    value: "DIR",
    help: [
      "Scene configurations: every *.yaml / *.yml holding one",
      `(default: ${DEFAULTS.scenesDir})`,
    ],
  },
  "scene-file": {
    kind: "string",
    value: "FILE",
    help: "A scene list (YAML or JSON), or one configuration, instead",
  },
  "out-dir": {
    kind: "string",
    value: "DIR",
    help: "Where the logs go (default: the scenes' folder)",
  },
  kv: { kind: "string", value: "FILE", help: `Lease store (default: <out-dir>/${DEFAULT_KV})` },
  force: { kind: "boolean", help: "Play scenes whose log is already complete again" },
  concurrency: {
    kind: "integer",
    value: "N",
    default: DEFAULTS.concurrency,
    min: 1,
    max: 1024,
    help: `Scenes played at once (default ${DEFAULTS.concurrency})`,
  },
  seed: {
    kind: "integer",
    value: "N",
    default: DEFAULTS.seed,
    min: 0,
    help: `Seed of every sampling step (default ${DEFAULTS.seed})`,
  },
  "adapt-rounds": {
    kind: "integer",
    value: "N",
    min: 0,
    max: 100,
    help: [
      "Rounds of the user asking about the environment (default: the",
      `configuration's user.adapt_times, else ${DEFAULTS.adaptRounds})`,
    ],
  },
  "user-steps": {
    kind: "integer",
    value: "N",
    min: 1,
    max: 1000,
    help: [
      "User activity steps per scene (default: the configuration's",
      `user.action_times, else ${DEFAULTS.userSteps}; under protocol:`,
      "reference one more, as the reference plays a first step and",
      "then action_times more)",
    ],
  },
  "no-agent": { kind: "boolean", help: "Leave the proactive agent out" },
  "reward-filter": { kind: "boolean", help: "The reward model vets each prediction of the agent" },
  "filter-retries": {
    kind: "integer",
    value: "N",
    default: DEFAULTS.filterRetries,
    min: 0,
    max: 100,
    help: `Re-asks of a rejected prediction (default ${DEFAULTS.filterRetries})`,
  },
  "reward-judge": {
    kind: "boolean",
    help: "The reward model, not the simulated user, judges proposals",
  },
  "agent-actions": {
    kind: "integer",
    value: "N",
    default: DEFAULTS.agentActions,
    min: 0,
    max: 100,
    help: `Most action steps for an accepted task (default ${DEFAULTS.agentActions})`,
  },
  "log-format": {
    kind: "choice",
    value: "F",
    choices: LOG_FORMATS,
    help: [
      "proactive (structured records) or reference (the reference",
      "project's encoding, read by its build_agent_trainset.py);",
      "config: log_format: F; default reference under a prompt set",
      "with protocol: reference, else proactive",
    ],
  },
  "lease-ttl": {
    kind: "duration",
    value: "DURATION",
    default: DEFAULTS.leaseTtlMs,
    min: 100,
    help: "Lease time to live, renewed every third of it (default 60s)",
  },
  ...DB_FLAG,
  enqueue: {
    kind: "boolean",
    help: "With --db: register the scenes found, play none (one machine plans)",
  },
  worker: {
    kind: "boolean",
    help: "With --db: play the stored scenes until none is left, then exit",
  },
  "max-scene-attempts": {
    kind: "integer",
    value: "N",
    default: DEFAULTS.maxSceneAttempts,
    min: 1,
    max: 100,
    help: `With --db: attempts before a scene is failed (default ${DEFAULTS.maxSceneAttempts})`,
  },
  "retry-failed": { kind: "boolean", help: "With --db: failed scenes are tried again" },
  "db-timeout": {
    kind: "duration",
    value: "DURATION",
    default: DEFAULTS.dbTimeoutMs,
    min: 0,
    help: "With --db: how long the database may be unreachable (default 60s)",
  },
} as const satisfies FlagDecls;

/**
 * The LLM flags of datagen: `--concurrency` counts scenes here, so the LLM layer's
 * per-endpoint limit is `--requests`, in its place.
 */
const {
  "base-url": baseUrl,
  "api-key": apiKey,
  model,
  config,
  concurrency,
  db: _db, // datagen's own --db (the whole shared run, not only the cache)
  ...LATER_LLM_FLAGS
} = LLM_FLAGS;
const DATAGEN_LLM_FLAGS = {
  "base-url": baseUrl,
  "api-key": apiKey,
  model,
  config,
  requests: {
    ...concurrency,
    help: "Requests in flight per endpoint (default 16, or the config's)",
  },
  ...LATER_LLM_FLAGS,
} as const satisfies FlagDecls;

/** Every flag of `proactive datagen` (see `cli/flags.ts`). */
export const FLAGS = { ...DATAGEN_LLM_FLAGS, ...OWN_FLAGS } as const satisfies FlagDecls;

const HELP = `proactive datagen — play gym scenes and write their event logs

Usage: proactive datagen [options]
       proactive datagen --db URL --enqueue [SCENES…]     (register scenes, play none)
       proactive datagen --db URL --worker --out-dir DIR  (play stored scenes until none is left)
       proactive datagen export|status --db URL …

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

Many machines (--db URL, or PROACTIVE_DATABASE_URL): the scenes, their leases, the
complete logs and the completion cache live in PostgreSQL (postgres://…; the schema is
created and migrated by proactive) or, given a path, a Deno KV file. One machine enqueues
(--enqueue, with SCENES… folders or scene files, else --scenes-dir / --scene-file), any
number of workers play (--worker): each claims the next pending scene
(or one whose lease ran out), renews its lease while playing, writes the log to its
--out-dir and stores it; a failed scene is tried again up to --max-scene-attempts times,
then failed until --retry-failed. A worker exits 0 when no scene is left (1 when some
failed for good), and stops with an error when the database stays unreachable for
--db-timeout. Without --enqueue or --worker, datagen --db enqueues then works.

Options:
${flagTable(OWN_FLAGS, { column: 25 })}
  (--limit N plays only the first N scenes.)

${SHARED_HELP}

${llmFlagsHelp(DATAGEN_LLM_FLAGS)}
The roles env, user, agent and reward use the config's roles of those names, else
roles.default.

Examples:
  proactive datagen --scenes-dir scenes --model gpt-4o-2024-08-06
  proactive datagen --scene-file scenes_example.yaml --out-dir logs --no-agent --limit 2
  # cron, every 10 minutes; overlapping runs share the work:
  */10 * * * * cd /data/gym && proactive datagen --scenes-dir scenes >> datagen.log 2>&1
  # many machines: plan once, run a worker on each GPU node, collect the logs
  proactive datagen --db postgres://gym@db/gym --enqueue --scenes-dir scenes
  proactive datagen --db postgres://gym@db/gym --worker --out-dir logs --config proactive.yaml
  proactive datagen export --db postgres://gym@db/gym --out-dir all_logs
`;

/** How `proactive datagen` reads its command line (see `stage/stage_options.ts`). */
const DATAGEN_OPTIONS = stageOptions<typeof FLAGS, DatagenOptions>({
  flags: FLAGS,
  roles: (flags) => {
    const roles: LlmRole[] = ["env", "user"];
    if (!flags.noAgent) roles.push("agent");
    if (flags.rewardFilter || flags.rewardJudge) roles.push("reward");
    return roles;
  },
  // --concurrency counts scenes here; --requests is the LLM layer's per-endpoint limit.
  llmValues: (raw) => ({ ...raw, concurrency: raw.requests }),
  options(flags, { config }) {
    if (flags.sceneFile !== undefined && flags.scenesDir !== undefined) {
      throw usageError("Pass either --scenes-dir or --scene-file, not both");
    }
    const agent = !flags.noAgent;
    const { rewardFilter, rewardJudge } = flags;
    if (!agent && (rewardFilter || rewardJudge)) {
      throw usageError(
        `--${rewardFilter ? "reward-filter" : "reward-judge"} needs the agent: drop --no-agent`,
      );
    }
    const logFormat = flags.logFormat ?? (config ? parseLlmConfig(config).log_format : undefined);
    return {
      ...(logFormat === undefined ? {} : { logFormat }),
      scenesDir: flags.scenesDir ?? DEFAULTS.scenesDir,
      sceneFile: flags.sceneFile,
      outDir: flags.outDir,
      kv: flags.kv,
      force: flags.force,
      concurrency: flags.concurrency,
      leaseTtlMs: flags.leaseTtl,
      scene: {
        adaptRounds: flags.adaptRounds ?? DEFAULTS.adaptRounds,
        userSteps: flags.userSteps ?? DEFAULTS.userSteps,
        given: {
          adaptRounds: flags.adaptRounds !== undefined,
          userSteps: flags.userSteps !== undefined,
        },
        agent,
        rewardFilter,
        filterRetries: flags.filterRetries,
        rewardJudge,
        agentActions: flags.agentActions,
        seed: flags.seed,
      },
    };
  },
});

/** Parses the command line of `proactive datagen` (pure; usage errors throw). */
export const parseDatagenOptions = DATAGEN_OPTIONS.parse;

/**
 * Runs `proactive datagen` with `args`: the command's body, with the scene runner (and the
 * rest of `DatagenDeps`) injectable so tests and test entry points can play fake scenes.
 */
export async function runDatagenCommand(
  args: string[],
  ctx: CommandContext,
  deps: DatagenDeps,
): Promise<number> {
  const subcommand = sharedSubcommand(args);
  if (subcommand) return await subcommand(ctx);
  const shared = await runSharedCommand(args, ctx, {
    ...deps,
    flags: FLAGS,
    options: DATAGEN_OPTIONS,
  });
  if (shared !== undefined) return shared;
  const options = await readStageOptions(args, ctx.env, DATAGEN_OPTIONS);
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
    flags: FLAGS,
    run: (args, ctx) => runDatagenCommand(args, ctx, { runner }),
  };
}

export const command: Command = datagenCommand();
