import { WAIT_FLAG } from "../store/output_lock.ts";
import { readStageOptions, stageOptions } from "../stage/stage_options.ts";
import type { Command } from "../cli/command.ts";
import { runtimeError } from "../cli/errors.ts";
import { type FlagDecls, flagTable } from "../cli/flags.ts";
import { BASE_YEAR } from "../gym/clock.ts";
import { LLM_FLAGS, LLM_FLAGS_HELP } from "../llm/llm_config.ts";
import { formatTracesReport, runTraces, type TracesOptions } from "./run_traces.ts";

export const DEFAULTS = { candidates: 5, year: BASE_YEAR };

/** The flags of `proactive traces` besides the LLM ones, in the help's order. */
const OWN_FLAGS = {
  logs: {
    kind: "string",
    value: "DIR",
    required: "the folder of gym logs",
    help: "Folder of gym logs (required)",
  },
  out: {
    kind: "string",
    value: "DIR",
    required: "the folder of the traces",
    help: "Folder of the traces (required; created)",
  },
  candidates: {
    kind: "integer",
    value: "N",
    default: DEFAULTS.candidates,
    min: 1,
    max: 64,
    help: `Samples of the agent per turn, and most candidates (default ${DEFAULTS.candidates})`,
  },
  year: {
    kind: "integer",
    value: "YYYY",
    default: DEFAULTS.year,
    min: 1970,
    max: 9999,
    help: `Year of the log times (default ${DEFAULTS.year}, the gym clock's leap year)`,
  },
  ...WAIT_FLAG,
} as const satisfies FlagDecls;

/** Every flag of `proactive traces` (see `cli/flags.ts`). */
export const FLAGS = { ...LLM_FLAGS, ...OWN_FLAGS } as const satisfies FlagDecls;

const HELP = `proactive traces — gym logs into ProactiveBench traces for the annotators

Usage: proactive traces --logs DIR --out DIR [options]

Reads the complete gym logs (*.jsonl ending with their end record) in --logs; other logs
are listed and skipped. Each log becomes <log stem>.json in --out, a trace that
'proactive serve --data DIR' serves: every events record is a turn
  {"observation": {"time": "<unix seconds>.0", "event": …},
   "agent_response": {"candidate_task": [...]}, "task_status": false}.
The time is the log's MM-DD HH:MM:SS read as UTC in --year. At every turn the agent
(role "agent") is asked --candidates times at temperature 1, with n in one request (more
requests when the endpoint returns fewer choices); the request is the one 'eval agent'
sends, with no earlier predictions: the system prompt and one step message with every
event up to the turn, so the turns of a log are asked at once. The distinct proposals
(null, "null", "None" and "" mean no help is needed) are the candidate tasks, [] when no
sample proposes one.
splits.json in --out groups the traces by the scene's theme (the log's setup record):
{"all": {"theme": "All", "files": [...]}, "<theme_name>": {"theme": …, "files": [...]}}.
A trace already in --out with one turn per event is kept; an interrupted run is continued
by running the same command (finished requests come from the completion cache). Each
trace is written atomically. A log named splits (the index's name), or whose name another
log has up to case (a.jsonl, A.jsonl, a.JSONL: one file where case is ignored), is refused
naming the others, and the rest are written. The exit status is 1 when a log failed.

Options:
${flagTable(OWN_FLAGS, { column: 22 })}

${LLM_FLAGS_HELP}
The model is that of role "agent" in the config (else "default"), or --model.

Example:
  OPENAI_API_KEY=… proactive traces --config llm.yaml --logs scenes --out traces_gym \\
    --candidates 5
  proactive serve --data traces_gym --out annotations
`;

/** How `proactive traces` reads its command line (see `stage/stage_options.ts`). */
const TRACES_OPTIONS = stageOptions<typeof FLAGS, TracesOptions>({
  flags: FLAGS,
  roles: ["agent"],
  options: (flags) => ({
    logs: flags.logs,
    out: flags.out,
    candidates: flags.candidates,
    year: flags.year,
  }),
});

/** Parses the command line of `proactive traces` (pure; usage errors throw). */
export const parseTracesOptions = TRACES_OPTIONS.parse;

export const command: Command = {
  name: "traces",
  summary: "Turn gym logs into ProactiveBench traces for the annotation server",
  help: HELP,
  flags: FLAGS,
  async run(args, ctx) {
    const options = await readStageOptions(args, ctx.env, TRACES_OPTIONS);
    const result = await runTraces(options, ctx);
    ctx.stdout(formatTracesReport(result));
    if (result.failures.length > 0) {
      throw runtimeError(
        `${result.failures.length} gym log(s) failed (reasons above); the traces of the ` +
          `others are in "${options.out}"`,
      );
    }
    return 0;
  },
};
