/**
 * Every command that reads files, through `main()` (as the binary runs them: exit codes
 * and messages), with one of its input files changed three ways (README, "Input files"):
 *
 * - (a) with a UTF-8 byte order mark in front: accepted, and the same output as without;
 * - (b) with a Latin-1 byte (0xE9) in it: refused with exit 1 and a message naming the
 *   file, the byte offset and the line;
 * - (c) with a folder where a file is expected (in place of a file argument, or named
 *   like an input file inside an input folder): named in the message, with the exit code
 *   the command documents (convert only warns and goes on, as the reference does).
 *
 * The models are the fake OpenAI server with the scripted models of the other tests.
 */
import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { ApiClient } from "./serve_client.ts";
import { main, type MainIo } from "../main.ts";
import type { GymRecord } from "../src/gym/gym_types.ts";
import { gymLlmConfig, scriptedGymModels } from "../src/gym/testing/scripted_gym_models.ts";
import { type FakeHandler, startFakeOpenAiServer } from "../src/llm/testing/fake_openai_server.ts";
import { createFakeRewardModel } from "../src/reward/testing/fake_reward_model.ts";
import { createFakeScenesModel } from "../src/scenes/testing/fake_scenes_model.ts";
import { sceneConfig } from "../src/datagen/testing/scene_fixtures.ts";
import { stringify } from "yaml";

const TESTDATA = new URL("./testdata/", import.meta.url).pathname;
const BOM = [0xef, 0xbb, 0xbf];
const LATIN1_E = 0xe9;

/** One command's run: its arguments and what the variants change. */
interface Setup {
  args: string[];
  /** The input file the variants change. */
  file: string;
  /** (c): the folder to make; default: `file` itself becomes a folder. */
  folder?: string;
  /** (c): the exit code; default 1. */
  folderExit?: number;
  /** (a): files whose bytes must be the same with and without the byte order mark. */
  outputs: string[];
  /** (a) for `serve`: called with its URL while it runs; the answers must be the same. */
  probe?: (url: string) => Promise<unknown>;
}

interface Row {
  name: string;
  /** The scripted model, when the command asks one. */
  model?: () => FakeHandler;
  setup(dir: string, baseUrl: string): Promise<Setup>;
}

type Variant = "plain" | "bom" | "latin1" | "folder";

/** An agent that never proposes and a reward model that accepts: for the eval commands. */
const evalModel = (): FakeHandler => (body) => {
  const agent = String(body.messages[0].content).startsWith("You are a proactive assistant");
  const answer = agent
    ? { Purpose: "p", Thoughts: "t", "Proactive Task": null, Response: null }
    : { thought: "Fine.", judgement: "accepted" };
  return { texts: JSON.stringify(answer) };
};

const llmFlags = (baseUrl: string, model: string) => [
  ...["--base-url", baseUrl, "--api-key", "sk-test", "--model", model, "--no-cache"],
];

async function copy(from: string, to: string): Promise<string> {
  await Deno.copyFile(from, to);
  return to;
}

/** A complete synthetic gym log with `events` events. */
async function writeLog(path: string, events: string[]): Promise<string> {
  const records: GymRecord[] = [
    { source: "system", time: "02-29 09:00:00", tags: ["setup"], content: '{"seed":3}' },
    ...events.map((event, i): GymRecord => ({
      source: "EnvManager",
      time: `02-29 09:00:${String(i + 10)}`,
      tags: ["events"],
      content: event,
    })),
    { source: "system", time: "02-29 09:59:59", tags: ["end"], content: "{}" },
  ];
  await Deno.writeTextFile(path, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return path;
}

/** Two gym logs and the config pointing every gym role at the scripted server. */
async function gymInputs(dir: string, baseUrl: string) {
  const logs = join(dir, "logs");
  await Deno.mkdir(logs);
  const config = join(dir, "gym.yaml");
  await Deno.writeTextFile(config, gymLlmConfig(baseUrl));
  const file = await writeLog(join(logs, "scene_a-000-0.jsonl"), ["The user opens é.txt."]);
  await writeLog(join(logs, "scene_b-000-0.jsonl"), ["The user types.", "The user saves."]);
  return { logs, config, file };
}

const ROWS: Row[] = [
  {
    name: "convert",
    async setup(dir) {
      const fixture = join(TESTDATA, "convert/three_annotators");
      const result = join(dir, "result");
      await Deno.mkdir(result);
      const names = [...Deno.readDirSync(join(fixture, "result"))].map((e) => e.name).sort();
      for (const name of names) await copy(join(fixture, "result", name), join(result, name));
      const { args } = JSON.parse(await Deno.readTextFile(join(fixture, "case.json")));
      const out = join(dir, "out");
      return {
        args: ["convert", result, "--out-dir", out, ...args],
        file: join(result, names[0]),
        folder: join(result, "zz_folder.json"),
        folderExit: 0, // a warning: the reference skips such a folder too
        outputs: [join(out, "train_data.jsonl"), join(out, "test_data.jsonl")],
      };
    },
  },
  {
    name: "reward --in",
    model: () => createFakeRewardModel().handler,
    async setup(dir, baseUrl) {
      const file = await copy(join(TESTDATA, "reward/fifteen_items.jsonl"), join(dir, "in.jsonl"));
      const out = join(dir, "out", "set.json");
      return {
        args: ["reward", "--in", file, "--out", out, ...llmFlags(baseUrl, "reward-m")],
        file,
        outputs: [out],
      };
    },
  },
  {
    name: "scenes --seeds",
    model: () => createFakeScenesModel().handler,
    async setup(dir, baseUrl) {
      const file = await copy(join(TESTDATA, "scenes/seeds.yaml"), join(dir, "seeds.yaml"));
      const out = join(dir, "scenes.yaml");
      return {
        args: [
          ...["scenes", "--seeds", file, "--out", out, "--scenes-dir", join(dir, "scenes")],
          ...["--limit", "1", ...llmFlags(baseUrl, "scenes-m")],
        ],
        file,
        outputs: [out],
      };
    },
  },
  {
    name: "datagen --scenes-dir",
    model: () => scriptedGymModels().handler,
    async setup(dir, baseUrl) {
      const scenes = join(dir, "scenes");
      await Deno.mkdir(scenes);
      const file = join(scenes, "scene_a-000-0.yaml");
      await Deno.writeTextFile(file, stringify(sceneConfig("scene_a-000-0.jsonl")));
      const config = join(dir, "gym.yaml");
      await Deno.writeTextFile(config, gymLlmConfig(baseUrl));
      return {
        args: [
          ...["datagen", "--scenes-dir", scenes, "--config", config, "--no-cache"],
          ...["--user-steps", "1", "--adapt-rounds", "1", "--no-agent"],
        ],
        file,
        folder: join(scenes, "scene_zz-000-0.yaml"),
        outputs: [join(scenes, "scene_a-000-0.jsonl")],
      };
    },
  },
  {
    name: "agent-trainset --in-dir",
    model: () => scriptedGymModels().handler,
    async setup(dir, baseUrl) {
      const { logs, config, file } = await gymInputs(dir, baseUrl);
      return {
        args: ["agent-trainset", "--in-dir", logs, "--config", config, "--no-cache"],
        file,
        folder: join(logs, "scene_zz-000-0.jsonl"),
        outputs: [join(logs, "agent_trainset.json")],
      };
    },
  },
  {
    name: "traces --logs",
    model: () => scriptedGymModels().handler,
    async setup(dir, baseUrl) {
      const { logs, config, file } = await gymInputs(dir, baseUrl);
      const out = join(dir, "traces");
      return {
        args: ["traces", "--logs", logs, "--out", out, "--config", config, "--no-cache"],
        file,
        folder: join(logs, "scene_zz-000-0.jsonl"),
        outputs: ["scene_a-000-0.json", "scene_b-000-0.json", "splits.json"]
          .map((name) => join(out, name)),
      };
    },
  },
  {
    name: "eval reward --in",
    model: evalModel,
    async setup(dir, baseUrl) {
      const file = await copy(join(TESTDATA, "reward/fifteen_items.jsonl"), join(dir, "in.jsonl"));
      const out = join(dir, "results.jsonl");
      return {
        args: ["eval", "reward", "--in", file, "--out", out, ...llmFlags(baseUrl, "reward-m")],
        file,
        outputs: [out],
      };
    },
  },
  {
    name: "eval reward --config",
    model: evalModel,
    async setup(dir, baseUrl) {
      const file = join(dir, "llm.yaml");
      await Deno.writeTextFile(
        file,
        `# the reward model é\nmodels:\n  r: { base_url: "${baseUrl}", model: reward-m }\nroles: { reward: r }\n`,
      );
      const out = join(dir, "results.jsonl");
      return {
        args: ["eval", "reward", "--out", out, "--config", file, "--no-cache", "--limit", "5"],
        file,
        outputs: [out],
      };
    },
  },
  {
    name: "eval agent --data",
    model: evalModel,
    async setup(dir, baseUrl) {
      const data = join(dir, "data");
      await Deno.mkdir(data);
      const file = await copy(join(TESTDATA, "serve/traces/alpha.json"), join(data, "alpha.json"));
      await copy(join(TESTDATA, "serve/traces/beta.json"), join(data, "beta.json"));
      const out = join(dir, "out");
      return {
        args: [
          ...["eval", "agent", "--data", data, "--out-dir", out],
          ...llmFlags(baseUrl, "agent-x"),
        ],
        file,
        folder: join(data, "zz.json"),
        outputs: [join(out, "agent-x", "alpha.json"), join(out, "agent-x", "beta.json")],
      };
    },
  },
  {
    name: "eval judge --out-dir",
    model: evalModel,
    async setup(dir, baseUrl) {
      const model = join(dir, "out", "agent-x");
      await Deno.mkdir(model, { recursive: true });
      const paths = [];
      for (const name of ["alpha", "beta"]) {
        const trace = JSON.parse(
          await Deno.readTextFile(join(TESTDATA, `serve/traces/${name}.json`)),
        );
        const predicted = trace.map((turn: object) => ({ ...turn, agent_response: [] }));
        paths.push(join(model, `${name}.json`));
        await Deno.writeTextFile(paths.at(-1)!, JSON.stringify(predicted, null, 2));
      }
      return {
        args: ["eval", "judge", "--out-dir", join(dir, "out"), ...llmFlags(baseUrl, "reward-m")],
        file: paths[0],
        folder: join(model, "zz.json"),
        outputs: paths,
      };
    },
  },
  {
    name: "eval score",
    async setup(dir) {
      const model = join(dir, "model_a");
      await Deno.mkdir(model);
      for (const name of ["a.json", "b.json", "c.json"]) {
        await copy(join(TESTDATA, "eval_score/model_a", name), join(model, name));
      }
      const splits = await copy(join(TESTDATA, "eval_score/splits.json"), join(dir, "splits.json"));
      const out = join(dir, "csv");
      return {
        args: ["eval", "score", model, "--splits", splits, "--out-dir", out],
        file: join(model, "a.json"),
        outputs: [join(out, "model_a.csv")],
      };
    },
  },
  {
    name: "eval score --splits",
    async setup(dir) {
      const model = join(dir, "model_a");
      await Deno.mkdir(model);
      for (const name of ["a.json", "b.json", "c.json"]) {
        await copy(join(TESTDATA, "eval_score/model_a", name), join(model, name));
      }
      const splits = join(dir, "splits.json");
      await Deno.writeTextFile(
        splits,
        '{"alpha": {"theme": "Codé", "files": ["a.json", "b.json"]},\n "beta": {"files": ["c.json"]}}\n',
      );
      const out = join(dir, "csv");
      return {
        args: ["eval", "score", model, "--splits", splits, "--out-dir", out],
        file: splits,
        outputs: [join(out, "model_a.csv")],
      };
    },
  },
  {
    name: "serve --data",
    async setup(dir) {
      const data = join(dir, "data");
      await Deno.mkdir(data);
      const file = await copy(join(TESTDATA, "serve/traces/alpha.json"), join(data, "alpha.json"));
      return {
        args: [
          ...["serve", "--data", data, "--port", "0", "--out", join(dir, "result")],
          ...["--kv", join(dir, "serve.kv")],
        ],
        file,
        folder: join(data, "zz.json"),
        outputs: [],
        probe: async (url) => {
          const client = new ApiClient(url);
          await client.login("ada", "password");
          const { body } = await client.call("/api/next", {});
          return { trace: body.trace, events: body.events, question: body.question };
        },
      };
    },
  },
];

/** Where a Latin-1 byte goes: the first ASCII byte of the second half (after ASCII). */
function latin1Offset(bytes: Uint8Array): number {
  let at = Math.floor(bytes.length / 2);
  while (at < bytes.length && (bytes[at] >= 0x80 || bytes[at - 1] >= 0x80)) at++;
  return at;
}

/** Changes `setup.file` (or makes the folder) as `variant` says; the message to expect. */
async function applyVariant(setup: Setup, variant: Variant): Promise<string> {
  const bytes = await Deno.readFile(setup.file);
  if (variant === "bom") await Deno.writeFile(setup.file, new Uint8Array([...BOM, ...bytes]));
  if (variant === "latin1") {
    const at = latin1Offset(bytes);
    const changed = new Uint8Array([...bytes.slice(0, at), LATIN1_E, ...bytes.slice(at)]);
    await Deno.writeFile(setup.file, changed);
    const line = bytes.slice(0, at).filter((b) => b === 0x0a).length + 1;
    return `${JSON.stringify(setup.file)} is not UTF-8 text: invalid byte 0xe9 ` +
      `at byte offset ${at} (line ${line})`;
  }
  if (variant === "folder") {
    const folder = setup.folder ?? setup.file;
    if (setup.folder === undefined) await Deno.remove(setup.file);
    await Deno.mkdir(folder);
    return `${JSON.stringify(folder)} is a folder, not a file`;
  }
  return "";
}

interface Run {
  code: number;
  text: string;
  probed?: unknown;
}

/** Runs `main(args)`; a server is probed once it listens, then stopped. */
async function runMain(setup: Setup): Promise<Run> {
  const controller = new AbortController();
  const text: string[] = [];
  let probed: Promise<unknown> | undefined;
  const io: MainIo = {
    stdout: (chunk) => {
      text.push(chunk);
      const url = chunk.match(/Listening on (\S+)/)?.[1];
      if (url && setup.probe) {
        probed = setup.probe(url).finally(() => controller.abort());
      }
    },
    stderr: (chunk) => void text.push(chunk),
    env: () => undefined,
    isTerminal: false,
    signal: controller.signal,
    now: Date.now,
  };
  const code = await main(setup.args, io);
  return { code, text: text.join(""), probed: await probed };
}

async function outputsOf(setup: Setup, run: Run): Promise<unknown> {
  const files = await Promise.all(setup.outputs.map((path) => Deno.readTextFile(path)));
  return { files, probed: run.probed };
}

for (const row of ROWS) {
  Deno.test(`input files: ${row.name} — BOM accepted, non-UTF-8 refused, a folder named`, async () => {
    const base = await Deno.makeTempDir({ prefix: "input-files-" });
    try {
      const outputs: Partial<Record<Variant, unknown>> = {};
      for (const variant of ["plain", "bom", "latin1", "folder"] as const) {
        const dir = join(base, variant);
        await Deno.mkdir(dir);
        // A fresh model each time: the scripted ones answer by how many requests came before.
        await using server = row.model
          ? await startFakeOpenAiServer({ handler: row.model() })
          : undefined;
        const setup = await row.setup(dir, server?.baseUrl ?? "");
        const expected = await applyVariant(setup, variant);
        const run = await runMain(setup);
        const where = `${row.name} (${variant}): ${run.text}`;
        if (variant === "plain" || variant === "bom") {
          assertEquals(run.code, 0, where);
          assert(!run.text.includes("is not UTF-8 text"), where);
          // The paths differ by variant: compare what is inside the files.
          outputs[variant] = await outputsOf(setup, run);
          if (setup.probe) assert(run.probed !== undefined, `${where}: the server never listened`);
        } else {
          assertEquals(run.code, variant === "folder" ? setup.folderExit ?? 1 : 1, where);
          assertStringIncludes(run.text, expected, where);
        }
      }
      assertEquals(
        outputs.bom,
        outputs.plain,
        `${row.name}: the byte order mark changed the output`,
      );
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  });
}
