/**
 * Test support for the end-to-end tests of \`proactive datagen\` (\`tests/datagen_*_test.ts\`):
 * scene configurations that carry a marker, the scripted fake gym server with deterministic
 * answers and a gate for kill tests, and the command line of a run.
 */
import { assert } from "../assert.ts";
import { type Scene, sceneConfigOf } from "../../src/formats/scene.ts";
import type { GymRecord } from "../../src/gym/gym_types.ts";
import {
  DEFAULT_GYM_ANSWERS,
  gymLlmConfig,
  type ScriptedAnswer,
  scriptedGymModels,
} from "../../src/gym/testing/scripted_gym_models.ts";
import type {
  FakeHandler,
  FakeReply,
  FakeRequestBody,
} from "../../src/llm/testing/fake_openai_server.ts";
import { stringify } from "yaml";
import type { DatagenSummary } from "../../src/datagen/datagen_summary.ts";

const EXAMPLES = [
  "The user opens the terminal.",
  "The user types a command and presses Enter.",
  "The user scrolls through the output.",
  "The user copies an error message.",
  "The user searches the web for the error.",
  "The user closes a browser tab.",
  "The user saves the file.",
  "The user switches to the editor.",
];

/** A scene whose texts carry `marker`, so the fake can tell its requests apart. */
export function scene(marker: string): Scene {
  return {
    environment: {
      theme: `Debugging ${marker}`,
      description: `A developer at a desk fixes a failing build (${marker}).`,
      entities: ["Terminal", "Editor"],
      agent_ops: ["terminal_run(command)", "file_open(path)"],
      events_example: EXAMPLES,
    },
    user: { goal: "Make the build pass", description: `Ada, 31, engineer (${marker}).` },
  };
}

export const sceneName = (i: number) => `scene_e2e-${String(i).padStart(3, "0")}-0`;

/** Writes `n` scene configurations; scene i carries the marker `M<i>` plus `extra[i]`. */
export async function writeScenes(dir: string, n: number, extra: Record<number, string> = {}) {
  await Deno.mkdir(dir, { recursive: true });
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = sceneName(i);
    names.push(name);
    const config = sceneConfigOf(scene(`M${i}${extra[i] ?? ""}`), name);
    await Deno.writeTextFile(`${dir}/${name}.yaml`, stringify(config));
  }
  return names;
}

export const lastUserText = (body: FakeRequestBody) => String(body.messages.at(-1)?.content ?? "");

/**
 * Answers that depend only on the request (not on the order of requests across scenes), and
 * carry the scene's marker from the setup into the overview so later requests show it; the
 * events quote the first sampled example, so the seed shows in the log.
 */
export const DETERMINISTIC: Record<string, ScriptedAnswer> = {
  env_setting: (request) => {
    const marker = lastUserText(request.body).match(/\bM\d+(?:BROKEN\w*)?/)?.[0] ?? "M?";
    const setting = DEFAULT_GYM_ANSWERS.env_setting as Record<string, unknown>;
    return { ...setting, overview: `Scene ${marker}: a quiet home office.` };
  },
  env_answer: { response: "The editor is VS Code.", updated_entities: [] },
  env_events: (request) => {
    const input = request.input as {
      latest_activity: { subject: string; activity: string };
      example_events: string[];
    };
    return {
      thoughts: "Two events.",
      events: [
        { event: `Like "${input.example_events[0]}"`, deltatime: 20, updated_entities: [] },
        {
          event: `The ${input.latest_activity.subject} did: ${input.latest_activity.activity}`,
          deltatime: 40,
          updated_entities: [{
            name: "Editor",
            description: "VS Code",
            status: "edited",
            properties: ["dark theme"],
            new_action: input.latest_activity.activity,
          }],
        },
      ],
    };
  },
  user_activity: (request) => {
    const input = request.input as { what_happened_so_far?: unknown[] };
    const done = input?.what_happened_so_far?.length ?? 0;
    return { is_finished: false, act: `I work on the build (${done}).` };
  },
  agent_predict: {
    Purpose: "Fixing the build.",
    Thoughts: "A test run would help.",
    "Proactive Task": "Run the test suite",
    Response: "Shall I run the tests?",
  },
  agent_act: (request) =>
    JSON.stringify(request.input).includes("terminal_run(npm test)")
      ? { Thoughts: "Done.", Action: null }
      : { Thoughts: "Run them.", Action: "terminal_run(npm test)" },
};

export interface Gym {
  handler: FakeHandler;
  /** Bodies answered (JSON text), in order. */
  answered: string[];
  /** Makes later requests wait until `release()`; resolves once `count` are waiting. */
  hold(count: number): Promise<void>;
  release(): void;
  /** Stops recording answers (after a kill: replies go to a dead process). */
  stopRecording(): void;
}

/** The scripted gym with deterministic answers, `fail` rules and a gate for kill tests. */
export function gymServerHandler(
  fail: (body: FakeRequestBody) => FakeReply | undefined = () => undefined,
): Gym {
  const gym = scriptedGymModels({ defaults: DETERMINISTIC });
  const answered: string[] = [];
  let gate: Promise<void> | undefined;
  let open: () => void = () => {};
  let waiting = 0;
  let onWaiting: () => void = () => {};
  let recording = true;
  return {
    answered,
    async handler(body, info) {
      if (gate) {
        waiting++;
        onWaiting();
        await gate;
      }
      const failure = fail(body);
      const reply = failure ?? await gym.handler(body, info);
      if (recording && (reply.status ?? 200) === 200) answered.push(JSON.stringify(body));
      return reply;
    },
    hold(count) {
      gate = new Promise((resolve) => open = resolve);
      return new Promise((resolve) => {
        onWaiting = () => waiting >= count && resolve();
      });
    },
    release() {
      gate = undefined;
      open();
    },
    stopRecording() {
      recording = false;
    },
  };
}

export interface Setup {
  dir: string;
  scenes: string;
  out: string;
  args: (...more: string[]) => string[];
}

export async function setup(baseUrl: string): Promise<Setup> {
  const dir = await Deno.makeTempDir({ prefix: "datagen-e2e-" });
  await Deno.writeTextFile(`${dir}/llm.yaml`, gymLlmConfig(baseUrl));
  const scenes = `${dir}/scenes`;
  const out = `${dir}/logs`;
  return {
    dir,
    scenes,
    out,
    args: (...more) => [
      "datagen",
      "--scenes-dir",
      scenes,
      "--out-dir",
      out,
      "--config",
      `${dir}/llm.yaml`,
      "--cache-dir",
      `${dir}/cache`,
      "--user-steps",
      "3",
      "--adapt-rounds",
      "1",
      "--max-retries",
      "0",
      "--max-repairs",
      "1",
      ...more,
    ],
  };
}

export async function readLog(path: string): Promise<GymRecord[]> {
  const text = await Deno.readTextFile(path);
  assert(text.endsWith("\n"), `${path} ends with a newline`);
  return text.trimEnd().split("\n").map((line) => JSON.parse(line) as GymRecord);
}

export async function readSummary(out: string): Promise<DatagenSummary> {
  return JSON.parse(await Deno.readTextFile(`${out}/datagen_summary.json`));
}

export async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) if (entry.isFile) names.push(entry.name);
  return names.sort();
}
