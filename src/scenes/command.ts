import { WAIT_FLAG } from "../store/output_lock.ts";
import { readStageOptions, stageOptions } from "../stage/stage_options.ts";
import { requireReferenceTexts } from "../prompts/reference_messages.ts";
import type { Command } from "../cli/command.ts";
import { runtimeError } from "../cli/errors.ts";
import { type FlagDecls, flagTable } from "../cli/flags.ts";
import { LLM_FLAGS, LLM_FLAGS_HELP } from "../llm/llm_config.ts";
import { SAMPLE_EVENTS_SHOWN } from "../prompts/scenes_prompts.ts";
import { runScenes, type ScenesOptions } from "./run_scenes.ts";
import { formatScenesReport } from "./scenes_report.ts";

export const DEFAULTS = {
  out: "scenes.yaml",
  scenesDir: "scenes",
  seed: 42n,
};

/** The flags of `proactive scenes` besides the LLM ones, in the help's order. */
const OWN_FLAGS = {
  seeds: {
    kind: "string",
    value: "FILE",
    help: "Seed file, YAML (default: the built-in seedtask.yaml)",
  },
  out: {
    kind: "string",
    value: "FILE",
    default: DEFAULTS.out,
    help: `Scene list, YAML (default: ${DEFAULTS.out})`,
  },
  "scenes-dir": {
    kind: "string",
    value: "DIR",
    default: DEFAULTS.scenesDir,
    help: `Folder of the scene configurations (default: ${DEFAULTS.scenesDir}/)`,
  },
  kinds: {
    kind: "list",
    value: "A,B",
    item: "scene kind",
    help: "Only these scene kinds (default: all)",
  },
  seed: {
    kind: "bigint",
    value: "N",
    default: DEFAULTS.seed,
    help: [
      `Seed of the sample-event draw (default: ${DEFAULTS.seed}); also part`,
      "of every cache key, so another seed gives other scenes",
    ],
  },
  ...WAIT_FLAG,
} as const satisfies FlagDecls;

/** Every flag of `proactive scenes` (see `cli/flags.ts`). */
export const FLAGS = { ...LLM_FLAGS, ...OWN_FLAGS } as const satisfies FlagDecls;

const HELP = `proactive scenes — turn seed tasks into gym scenes with an LLM

Usage: proactive scenes [options]

Reads the seed file (scene kind → {tasks: [...], sample_events: [...]}; by default the
seedtask.yaml of the ProactiveAgent project, built in) and holds one conversation with
the model per seed task, in six steps, each answer kept for the next: the scene, the
tasks and users, the entities, the assistant's operations, example events (shown
${SAMPLE_EVENTS_SHOWN} of the kind's sample events, drawn with --seed), and finally all of
it as a JSON list of scenes. Entries that are not scenes are dropped; scenes missing a
field are dropped with a warning; an answer with no valid scene is re-asked
(--max-repairs).

Writes:
  the scene list (--out), every scene as one YAML list in seed order, replaced atomically
  as conversations finish;
  one configuration per scene in --scenes-dir, scene_<kind>-<task>-<n>.yaml (<task>: the
  seed task's index in its kind, 3 digits; <n>: the scene's index in the answer), with
  user.theme, agent: {} and eventSink.out_file: <same name>.jsonl, for 'proactive datagen'.
Names never depend on the order conversations finish in. When a seed task's answer
succeeds, its configurations from an earlier run that the answer no longer holds are
removed; other files are never touched. A seed task that fails is reported with its
reason and the exit status is 1; the others are still written. A refused key or an
unknown model (401, 403, 404), or a refused response_format (400), stops the run.
Running again asks again, but finished conversations come from the completion cache at
no cost: a re-run after a failure only pays for the seed tasks that failed.

Options:
${flagTable(OWN_FLAGS, { column: 22 })}
  (--limit N asks only for the first N seed tasks, after --kinds.)

${LLM_FLAGS_HELP}
The model is the one of role "scenes" in the config (else "default"). Steps 1–5 are
asked at temperature 1.0, step 6 at 0.3. Steps 1–5 are free text; step 6 (and its
re-asks) carries the scene list's JSON schema, an object {"scenes": [...]}, unless the
response format is json_object ({"type": "json_object"}) or none (free text, as under
protocol: reference): --response-format none turns it off.

Example:
  OPENAI_API_KEY=… proactive scenes --model gpt-4o-2024-08-06 --concurrency 8 \\
    --kinds codingassistant --out scenes.yaml --scenes-dir scenes/
`;

/** How `proactive scenes` reads its command line (see `stage/stage_options.ts`). */
const SCENES_OPTIONS = stageOptions<typeof FLAGS, ScenesOptions>({
  flags: FLAGS,
  roles: ["scenes"],
  options: (flags) => ({
    seeds: flags.seeds,
    out: flags.out,
    scenesDir: flags.scenesDir,
    seed: flags.seed,
    kinds: flags.kinds,
  }),
});

/** Parses the command line of `proactive scenes` (pure; usage errors throw). */
export const parseScenesOptions = SCENES_OPTIONS.parse;

export const command: Command = {
  name: "scenes",
  summary: "Turn seed tasks into gym scene configurations with an LLM",
  help: HELP,
  flags: FLAGS,
  async run(args, ctx) {
    const options = await readStageOptions(args, ctx.env, SCENES_OPTIONS);
    if (options.llm.prompts!.protocol === "reference") {
      requireReferenceTexts(options.llm.prompts!, "scenes", [
        ["scenes", "system"],
        ...(["step1", "step2", "step3", "step4", "step5", "step6"] as const).map((step) =>
          ["scenes", step] as const
        ),
      ]);
    }
    const result = await runScenes(options, ctx);
    ctx.stdout(formatScenesReport(result.summary, result.failures, result.stats));
    const { failed, asked } = result.summary.counts;
    if (failed > 0) {
      throw runtimeError(
        `${failed} of ${asked} seed task(s) failed (reasons above); ` +
          `the scenes of the others were written`,
      );
    }
    return 0;
  },
};
