/**
 * Every gym role played by a script, for tests and benchmarks: a `FakeHandler` for
 * `startFakeOpenAiServer`, and the LLM config that points each role at it.
 *
 * ```ts
 * const gym = scriptedGymModels({
 *   script: {                                  // per kind, replies in request order
 *     env_setting: ['{"overview": …, "time": "02-30 9:00:00", …}', validSetting],
 *     user_activity: [{ is_finished: false, act: "I open the editor" }, finished],
 *   },
 *   defaults: { agent_predict: proposal("Format the table") },  // after the script
 * });
 * await using server = await startFakeOpenAiServer({ handler: gym.handler });
 * const llm = createGymTestLlm(server.baseUrl, cacheDir);
 * const log = memoryLogSink();
 * await runScene(job, TEST_SCENE_OPTIONS, { llm, log, logger, signal });
 * gym.requests("env_setting").length;       // 2: the impossible date was re-asked
 * ```
 *
 * A request's kind is its `response_format.json_schema.name` (the scene loop names each
 * structured request after its step: `env_setting`, `env_answer`, `env_events`,
 * `user_profile`, `user_question`, `user_activity`, `user_judge`, `agent_predict`,
 * `agent_act`, `reward_filter`, `reward_judge`), so the endpoints must use the default
 * `json_schema` response format. Each role has its own model name (`GYM_TEST_MODELS`); a
 * request whose model does not match its kind's role is answered with a 500.
 *
 * A scripted answer is: a string, sent as it is (fences, prose, broken JSON, `"null"`
 * strings…); any other JSON value, sent as JSON; `{ fake: FakeReply }`, sent as that
 * reply (an HTTP error, latency); or a function of the request returning one of these.
 * The k-th request of a kind (re-asks included) gets `script[kind][k]`; a function can
 * answer per step instead (`request.step`, the activity-loop step). After the script,
 * `defaults[kind]`, else a built-in answer (`DEFAULT_GYM_ANSWERS`) that keeps a scene going:
 * the user never finishes, the agent proposes nothing, the reward model accepts.
 */
import type { LlmRole } from "../../llm/llm_config.ts";
import { parseLlmFlags } from "../../llm/llm_config.ts";
import { createLlmRuntime, type LlmRuntime } from "../../llm/llm_runtime.ts";
import type { Logger } from "../../cli/logger.ts";
import { createMemoryLogger } from "../../cli/testing/memory_logger.ts";
import {
  type FakeHandler,
  type FakeReply,
  type FakeRequestBody,
  startFakeOpenAiServer,
} from "../../llm/testing/fake_openai_server.ts";
import type { GymLogSink, GymRecord, SceneRunOptions } from "../gym_types.ts";

export const GYM_REQUEST_KINDS = [
  "env_setting",
  "env_answer",
  "env_events",
  "user_profile",
  "user_question",
  "user_activity",
  "user_judge",
  "agent_predict",
  "agent_act",
  "reward_filter",
  "reward_judge",
] as const;
export type GymRequestKind = typeof GYM_REQUEST_KINDS[number];

/** The model name of each role in `gymLlmConfig`. */
export const GYM_TEST_MODELS = {
  env: "gym-env",
  user: "gym-user",
  agent: "gym-agent",
  reward: "gym-reward",
} as const satisfies Partial<Record<LlmRole, string>>;

/** One request as a script function sees it. */
export interface ScriptedRequest {
  kind: GymRequestKind;
  /** 0-based among the requests of this kind, re-asks included. */
  index: number;
  /** True when this request is a re-ask after an invalid answer. */
  reask: boolean;
  /**
   * The activity-loop step the request belongs to: the number of user activities asked
   * so far (re-asks not counted); 0 during setup and adaptation. Counted over every
   * request the handler answered, so with several scenes at once it mixes them.
   */
  step: number;
  /** The last user message parsed as JSON (the prompts send JSON), else its text. */
  input: unknown;
  body: FakeRequestBody;
}

export type ScriptedAnswer =
  | string
  | number
  | boolean
  | null
  | unknown[]
  | { fake: FakeReply }
  | Record<string, unknown>
  | ((request: ScriptedRequest) => ScriptedAnswer);

export interface ScriptedGymOptions {
  script?: Partial<Record<GymRequestKind, ScriptedAnswer[]>>;
  defaults?: Partial<Record<GymRequestKind, ScriptedAnswer>>;
  /** Latency of every answer (benchmarks). */
  delayMs?: number;
}

export interface ScriptedGym {
  handler: FakeHandler;
  /** Every request answered, in order. */
  readonly log: ScriptedRequest[];
  /** The requests of one kind, in order. */
  requests(kind: GymRequestKind): ScriptedRequest[];
}

const ROLE_OF_KIND: Record<GymRequestKind, keyof typeof GYM_TEST_MODELS> = {
  env_setting: "env",
  env_answer: "env",
  env_events: "env",
  user_profile: "user",
  user_question: "user",
  user_activity: "user",
  user_judge: "user",
  agent_predict: "agent",
  agent_act: "agent",
  reward_filter: "reward",
  reward_judge: "reward",
};

const entity = (name: string, status: string) => ({
  name,
  description: `${name} on the user's desk`,
  status,
  properties: [`${name} works`],
  available_ops: [{ name: "use", arguments: ["how"], doc: `Uses the ${name}.` }],
  past_actions: [],
});

/** The built-in answers: a small, valid scene that goes on until the step budget ends. */
export const DEFAULT_GYM_ANSWERS: Record<GymRequestKind, ScriptedAnswer> = {
  env_setting: {
    overview: "A quiet home office with a laptop and a text editor.",
    time: "2-29 9:05:00",
    agent_ops: [
      { name: "editor_open", arguments: ["path"], doc: "Opens a file in the editor." },
      { name: "terminal_run", arguments: ["command"], doc: "Runs a shell command." },
    ],
    entities: [entity("Laptop", "on"), entity("Editor", "closed")],
  },
  env_answer: (request) => ({
    response: `About the environment (answer ${request.index + 1}): the editor is VS Code.`,
    updated_entities: [{ ...entity("Editor", "closed"), description: "VS Code 1.92" }],
  }),
  env_events: (request) => {
    const subject = subjectOf(request.input);
    const n = request.index + 1;
    return {
      thoughts: "The activity takes two actions.",
      events: [
        {
          event: `The ${subject} starts action ${n}.`,
          deltatime: 30,
          updated_entities: [{
            name: "Editor",
            description: "VS Code 1.92",
            status: `edited ${n} times`,
            properties: ["dark theme"],
            new_action: `${subject} action ${n}`,
          }],
        },
        { event: `The ${subject} finishes action ${n}.`, deltatime: 45, updated_entities: [] },
      ],
    };
  },
  user_profile: {
    name: "Dana Reyes",
    age: 31,
    job: "Data analyst",
    education: "BSc Statistics, State University",
    characteristics: ["Works in short bursts"],
    identities: ["analyst", "parent"],
  },
  user_question: { question: "1. Which editor version is installed?" },
  user_activity: (request) => ({ is_finished: false, act: `I do step ${request.index + 1}.` }),
  user_judge: { thought: "That would help me.", is_accepted: true },
  agent_predict: {
    Purpose: "Working on the task.",
    Thoughts: "No help needed yet.",
    "Proactive Task": null,
    Response: null,
  },
  agent_act: { Thoughts: "Nothing to do.", Action: null },
  reward_filter: { thought: "Fine by me.", judgement: "accepted" },
  reward_judge: { thought: "Fine by me.", judgement: "accepted" },
};

/** A prediction proposing `task`. */
export function proposal(task: string): Record<string, unknown> {
  return {
    Purpose: "The user is stuck.",
    Thoughts: "The user would benefit from help.",
    "Proactive Task": task,
    Response: `I can ${task.toLowerCase()} for you.`,
  };
}

function subjectOf(input: unknown): string {
  const activity = (input as { latest_activity?: { subject?: unknown } })?.latest_activity;
  return activity?.subject === "agent" ? "agent" : "user";
}

export function scriptedGymModels(options: ScriptedGymOptions = {}): ScriptedGym {
  const log: ScriptedRequest[] = [];
  const counts = new Map<GymRequestKind, number>();
  let step = 0;
  const handler: FakeHandler = (body) => {
    const format = body.response_format as { json_schema?: { name?: string } } | undefined;
    const kind = format?.json_schema?.name as GymRequestKind | undefined;
    if (!kind || !(kind in ROLE_OF_KIND)) {
      return { status: 500, errorMessage: `scripted gym: unknown request kind ${kind}` };
    }
    const role = ROLE_OF_KIND[kind];
    if (body.model !== GYM_TEST_MODELS[role]) {
      return {
        status: 500,
        errorMessage: `scripted gym: ${kind} sent to model ${body.model}, not ${
          GYM_TEST_MODELS[role]
        }`,
      };
    }
    const index = counts.get(kind) ?? 0;
    counts.set(kind, index + 1);
    const last = String(body.messages.at(-1)?.content ?? "");
    let input: unknown = last;
    try {
      input = JSON.parse(last);
    } catch { /* plain text (a re-ask) */ }
    const reask = last.startsWith("Your previous answer could not be used");
    if (kind === "user_activity" && !reask) step++;
    const request: ScriptedRequest = {
      kind,
      index,
      step,
      reask,
      input,
      body,
    };
    log.push(request);
    const script = options.script?.[kind];
    const answer = script && index < script.length
      ? script[index]
      : options.defaults?.[kind] ?? DEFAULT_GYM_ANSWERS[kind];
    const reply = toReply(answer, request);
    return options.delayMs ? { delayMs: options.delayMs, ...reply } : reply;
  };
  return {
    handler,
    log,
    requests: (kind) => log.filter((request) => request.kind === kind),
  };
}

function toReply(answer: ScriptedAnswer, request: ScriptedRequest): FakeReply {
  if (typeof answer === "function") return toReply(answer(request), request);
  if (typeof answer === "string") return { texts: answer };
  if (answer !== null && typeof answer === "object" && "fake" in answer) {
    return (answer as { fake: FakeReply }).fake;
  }
  return { texts: JSON.stringify(answer) };
}

/** An LLM config (YAML text) pointing every gym role at `baseUrl`, one model per role. */
export function gymLlmConfig(baseUrl: string): string {
  const models = Object.entries(GYM_TEST_MODELS)
    .map(([role, model]) => `  ${role}: { base_url: "${baseUrl}", model: ${model} }`)
    .join("\n");
  const roles = Object.keys(GYM_TEST_MODELS).map((role) => `${role}: ${role}`).join(", ");
  return `models:\n${models}\nroles: { ${roles} }\n`;
}

/** An LLM runtime for the gym roles on the fake server; `cacheDir` null: no cache. */
export function createGymTestLlm(
  baseUrl: string,
  cacheDir: string | null,
  logger: Logger = createMemoryLogger(),
): LlmRuntime {
  const values: Record<string, string | boolean> = cacheDir === null
    ? { "no-cache": true }
    : { "cache-dir": cacheDir };
  const options = parseLlmFlags(values, () => undefined, {
    config: { path: "gym-test.yaml", text: gymLlmConfig(baseUrl) },
    roles: ["env", "user", "agent", "reward"],
  });
  return createLlmRuntime(options, { logger });
}

/** A log sink that keeps the records in memory. */
export function memoryLogSink(): GymLogSink & { records: GymRecord[] } {
  const records: GymRecord[] = [];
  return {
    records,
    write(record) {
      records.push(structuredClone(record));
      return Promise.resolve();
    },
  };
}

/** The `proactive datagen` defaults, for tests. */
export const TEST_SCENE_OPTIONS: SceneRunOptions = {
  adaptRounds: 2,
  userSteps: 7,
  agent: true,
  rewardFilter: false,
  filterRetries: 3,
  rewardJudge: false,
  agentActions: 5,
  seed: 0,
};

/**
 * The scripted gym on a fake server, with an LLM config file for it written in `dir`
 * (a fresh name each time): `{gym, server, config}`; close the server when done.
 */
export async function startScriptedGym(dir: string, script: ScriptedGymOptions = {}) {
  const gym = scriptedGymModels(script);
  const server = await startFakeOpenAiServer({ handler: gym.handler });
  const config = `${dir}/llm-${crypto.randomUUID().slice(0, 6)}.yaml`;
  await Deno.writeTextFile(config, gymLlmConfig(server.baseUrl));
  return { gym, server, config };
}
