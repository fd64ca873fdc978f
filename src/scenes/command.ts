import { busyPolicyOf, WAIT_FLAG, waitFlagHelp } from "../store/output_lock.ts";
import { requireReferenceTexts } from "../prompts/reference_messages.ts";
import type { Command } from "../cli/command.ts";
import { runtimeError, usageError } from "../cli/errors.ts";
import { nonEmptyFlag, parseFlags, stringFlag } from "../cli/parse_flags.ts";
import {
  type ConfigSource,
  LLM_FLAGS,
  LLM_FLAGS_HELP,
  parseLlmFlags,
  readLlmConfig,
  resolvePrompts,
} from "../llm/llm_config.ts";
import { SAMPLE_EVENTS_SHOWN } from "../prompts/scenes_prompts.ts";
import { runScenes, type ScenesOptions } from "./run_scenes.ts";
import { formatScenesReport } from "./scenes_report.ts";

export const DEFAULTS = {
  out: "scenes.yaml",
  scenesDir: "scenes",
  seed: 42n,
};

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
  --seeds FILE        Seed file, YAML (default: the built-in seedtask.yaml)
  --out FILE          Scene list, YAML (default: ${DEFAULTS.out})
  --scenes-dir DIR    Folder of the scene configurations (default: ${DEFAULTS.scenesDir}/)
  --kinds A,B         Only these scene kinds (default: all)
  --seed N            Seed of the sample-event draw (default: ${DEFAULTS.seed}); also part
                      of every cache key, so another seed gives other scenes
${waitFlagHelp(22)}
  -h, --help          Show this help
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

const FLAGS = {
  ...WAIT_FLAG,
  ...LLM_FLAGS,
  seeds: { type: "string" },
  out: { type: "string" },
  "scenes-dir": { type: "string" },
  kinds: { type: "string" },
  seed: { type: "string" },
} as const;

/** Parses the command line of `proactive scenes` (pure; usage errors throw). */
export function parseScenesOptions(
  args: string[],
  env: (name: string) => string | undefined,
  config?: ConfigSource,
): ScenesOptions {
  const { values } = parseFlags(args, FLAGS);
  const seeds = stringFlag(values, "seeds");
  if (seeds !== undefined) nonEmptyFlag("seeds", seeds);
  const rawSeed = stringFlag(values, "seed");
  if (rawSeed !== undefined && !/^[+-]?\d+$/.test(rawSeed.trim())) {
    throw usageError(`--seed must be a whole number, got "${rawSeed}"`);
  }
  const rawKinds = stringFlag(values, "kinds");
  let kinds: string[] | undefined;
  if (rawKinds !== undefined) {
    kinds = [...new Set(rawKinds.split(",").map((k) => k.trim()).filter((k) => k !== ""))];
    if (kinds.length === 0) throw usageError(`--kinds must name at least one scene kind`);
  }
  return {
    seeds,
    out: nonEmptyFlag("out", stringFlag(values, "out", DEFAULTS.out)!),
    scenesDir: nonEmptyFlag("scenes-dir", stringFlag(values, "scenes-dir", DEFAULTS.scenesDir)!),
    seed: rawSeed === undefined ? DEFAULTS.seed : BigInt(rawSeed.trim()),
    kinds,
    onBusy: busyPolicyOf(values),
    llm: parseLlmFlags(values, env, { config, roles: ["scenes"] }),
  };
}

export const command: Command = {
  name: "scenes",
  summary: "Turn seed tasks into gym scene configurations with an LLM",
  help: HELP,
  async run(args, ctx) {
    const config = await readLlmConfig(parseFlags(args, FLAGS).values);
    const parsed = parseScenesOptions(args, ctx.env, config);
    // The prompt set is read and checked before any request is sent.
    const options = { ...parsed, llm: await resolvePrompts(parsed.llm) };
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
