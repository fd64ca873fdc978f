/**
 * One gym scene end to end: the scene loop, the real LLM layer and `openai` client, and the
 * scripted fake server playing every role (`src/gym/testing/scripted_gym_models.ts`).
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./assert.ts";
import { createMemoryLogger } from "../src/cli/testing/memory_logger.ts";
import { parseSceneList, parseYamlText, type Scene, sceneConfigOf } from "../src/formats/scene.ts";
import {
  GYM_TAGS,
  type GymRecord,
  SceneFailure,
  type SceneRunOptions,
} from "../src/gym/gym_types.ts";
import { runScene } from "../src/gym/scene_loop.ts";
import {
  createGymTestLlm,
  DEFAULT_GYM_ANSWERS,
  GYM_REQUEST_KINDS,
  memoryLogSink,
  proposal,
  scriptedGymModels,
  type ScriptedGymOptions,
  TEST_SCENE_OPTIONS,
} from "../src/gym/testing/scripted_gym_models.ts";
import { startFakeOpenAiServer } from "../src/llm/testing/fake_openai_server.ts";
import { parseSceneTime } from "../src/gym/clock.ts";

const EXAMPLES = new URL("./testdata/gym/scenes_example.yaml", import.meta.url);

async function exampleScenes(): Promise<Scene[]> {
  const text = await Deno.readTextFile(EXAMPLES);
  return parseSceneList(parseYamlText(text, "scenes_example.yaml"), "scenes_example.yaml").scenes;
}

interface Played {
  records: GymRecord[];
  summary: Awaited<ReturnType<typeof runScene>>;
  gym: ReturnType<typeof scriptedGymModels>;
}

/** Plays `scene` against a fresh scripted server; `cacheDir` null: no cache. */
async function play(
  scene: Scene,
  script: ScriptedGymOptions = {},
  options: Partial<SceneRunOptions> = {},
  { cacheDir = null, name = "scene_test-000-0" }: { cacheDir?: string | null; name?: string } = {},
): Promise<Played> {
  const gym = scriptedGymModels(script);
  // Every request's JSON schema must be one OpenAI's strict mode takes.
  await using server = await startFakeOpenAiServer({
    handler: gym.handler,
    responseFormatCheck: "openai",
  });
  const llm = createGymTestLlm(server.baseUrl, cacheDir);
  const log = memoryLogSink();
  const summary = await runScene(
    { name, config: sceneConfigOf(scene, name), logPath: `/nonexistent/${name}.jsonl` },
    { ...TEST_SCENE_OPTIONS, ...options },
    { llm, log, logger: createMemoryLogger(), signal: new AbortController().signal },
  );
  return { records: log.records, summary, gym };
}

const tagsOf = (records: GymRecord[]) => records.map((r) => `${r.source}:${r.tags[0]}`);
const seconds = (time: string) => {
  const parsed = parseSceneTime(time);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.epochSeconds;
};

Deno.test("a full scene writes every tag, in the order of the flow, and a summary", async () => {
  const [scene] = await exampleScenes();
  const { records, summary } = await play(scene, {
    script: {
      agent_predict: [proposal("Summarise the query results")],
      agent_act: [{ Thoughts: "Run it.", Action: "terminal_run('summarise')" }],
      user_activity: [{}, {}, {}].map((_, i) =>
        i < 2 ? { is_finished: false, act: `I work (${i})` } : { is_finished: true, act: "Done" }
      ),
    },
  }, { rewardFilter: true });
  const tags = new Set(records.map((r) => r.tags[0]));
  for (const tag of GYM_TAGS) assert(tags.has(tag), `missing tag ${tag}`);
  assertEquals(tagsOf(records).slice(0, 6), [
    "system:setup",
    "EnvManager:agent.ops",
    "EnvManager:env.status",
    "User:setup",
    "EnvManager:env.status",
    "EnvManager:env.response",
  ]);
  assertEquals(records.at(-1)!.tags, ["end"]);
  assertEquals(records.at(-1)!.source, "system");
  assertEquals(JSON.parse(records.at(-1)!.content!), summary);
  const { prompt_tokens, completion_tokens, prefix_reuse, ...counts } = summary;
  assertEquals(prompt_tokens! + completion_tokens!, summary.tokens);
  // Every role's prompts partly repeat an earlier request's start (the system prompt at least).
  for (const role of ["env", "user", "agent"]) {
    const reuse = prefix_reuse![role];
    assert(reuse.reused_chars > 0 && reuse.reused_chars < reuse.prompt_chars, role);
  }
  assertEquals(
    { ...counts, requests: 0, tokens: 0 },
    {
      steps: 2,
      events: 6, // two user steps and one agent action, two events each
      proposals: 1,
      accepted: 1,
      requests: 0,
      tokens: 0,
      finished: true,
    },
  );
  assert(summary.requests > 20 && summary.tokens > 0, JSON.stringify(summary));
  for (const record of records) {
    assert(/^\d\d-\d\d \d\d:\d\d:\d\d$/.test(record.time), record.time);
    if (
      record.content !== null && !["events", "env.intro", "env.response"].includes(record.tags[0])
    ) {
      if (!(record.tags[0] === "agent.proactive" && record.source === "ProactiveAgent")) {
        JSON.parse(record.content); // structured content is JSON text
      }
    }
  }
  const proposals = records.filter((r) => r.tags[0] === "agent.proactive");
  assertEquals(proposals.map((r) => r.source), ["ProactiveAgent", "User", "ProactiveAgent"]);
  assertEquals(proposals[0].content, "Summarise the query results");
  assertEquals(JSON.parse(proposals[1].content!).is_accepted, true);
  assertEquals(proposals[2].content, null);
  const agentActivity = records.filter((r) =>
    r.tags[0] === "activity" && r.source === "ProactiveAgent"
  );
  assertEquals(agentActivity.map((r) => JSON.parse(r.content!).Action), [
    "terminal_run('summarise')",
  ]);
});

Deno.test("the clock only moves forward, by the events' own durations", async () => {
  const [scene] = await exampleScenes();
  const durations = [7, 1, 3600, 86_400];
  const { records } = await play(scene, {
    script: {
      env_events: [{
        thoughts: "t",
        events: durations.map((deltatime, i) => ({
          event: `The user does ${i}.`,
          deltatime,
          updated_entities: [],
        })),
      }],
    },
  }, { userSteps: 1, agent: false });
  const times = records.map((r) => seconds(r.time));
  for (let i = 1; i < times.length; i++) assert(times[i] >= times[i - 1], `went back at ${i}`);
  const events = records.filter((r) => r.tags[0] === "events");
  assertEquals(events.map((r) => r.time), [
    "02-29 09:05:07",
    "02-29 09:05:08",
    "02-29 10:05:08",
    "03-01 10:05:08",
  ]);
  assertEquals(records[0].time, "02-29 09:05:00");
});

Deno.test("a fractional or zero duration is re-asked, never moves the clock", async () => {
  const [scene] = await exampleScenes();
  const bad = (deltatime: number) => ({
    thoughts: "t",
    events: [{ event: "The user waits.", deltatime, updated_entities: [] }],
  });
  const { records, gym } = await play(scene, {
    script: { env_events: [bad(0), bad(1.5)] },
  }, { userSteps: 1, agent: false });
  const asks = gym.requests("env_events");
  assertEquals(asks.map((r) => r.reask), [false, true, true]);
  assertStringIncludes(String(asks[1].input), "deltatime must be at least 1 second");
  assertStringIncludes(String(asks[2].input), "whole number of seconds");
  assertEquals(records.filter((r) => r.tags[0] === "events").map((r) => r.time), [
    "02-29 09:05:30",
    "02-29 09:06:15",
  ]);
});

Deno.test("entities update on env.status and the environment sees the new state", async () => {
  const [scene] = await exampleScenes();
  const { records, gym } = await play(scene, {}, { userSteps: 2, agent: false });
  const updates = records.filter((r) => r.tags[0] === "env.status").map((r) =>
    JSON.parse(r.content!)
  );
  const afterEvents = updates.filter((u) => u.name === "Editor" && u.status?.startsWith("edited"));
  assertEquals(afterEvents.map((u) => u.status), ["edited 1 times", "edited 2 times"]);
  assertEquals(afterEvents[1].past_actions, ["user action 1", "user action 2"]);
  assertEquals(afterEvents[1].description, "VS Code 1.92"); // from the adaptation answer
  const second = gym.requests("env_events")[1].input as {
    setting: { entities: { name: string; status: string }[] };
  };
  assertEquals(second.setting.entities.find((e) => e.name === "Editor")?.status, "edited 1 times");
  // A new entity named in an update is added.
  const added = await play(scene, {
    script: {
      env_events: [{
        thoughts: "t",
        events: [{
          event: "The user plugs in a USB stick.",
          deltatime: 5,
          updated_entities: [{
            name: "USB stick",
            description: "32 GB",
            status: "mounted",
            properties: [],
            new_action: "plugged in",
          }],
        }],
      }],
    },
  }, { userSteps: 2, agent: false });
  const stick = added.records.filter((r) => r.tags[0] === "env.status")
    .map((r) => JSON.parse(r.content!)).find((u) => u.name === "USB stick");
  assertEquals(stick, {
    name: "USB stick",
    description: "32 GB",
    status: "mounted",
    properties: [],
    available_ops: [],
    past_actions: ["plugged in"],
  });
});

Deno.test("proposals are accepted and carried out, or rejected and dropped", async () => {
  const [scene] = await exampleScenes();
  const { records, summary, gym } = await play(scene, {
    script: {
      agent_predict: [proposal("Optimise the query"), proposal("Open a tutorial")],
      user_judge: [
        { thought: "Not now.", is_accepted: false },
        { thought: "Yes please.", is_accepted: true },
      ],
      agent_act: [
        { Thoughts: "First.", Action: "editor_open('q.sql')" },
        { Thoughts: "Done.", Action: null },
      ],
    },
  }, { userSteps: 3 });
  assertEquals([summary.proposals, summary.accepted], [2, 1]);
  assertEquals(
    (gym.requests("user_judge")[0].input as { assistant_says: string }).assistant_says,
    "I can optimise the query for you.",
  );
  const judged = records.filter((r) => r.tags[0] === "agent.proactive" && r.source === "User");
  assertEquals(judged.map((r) => JSON.parse(r.content!).is_accepted), [false, true]);
  const acts = records.filter((r) => r.tags[0] === "activity" && r.source === "ProactiveAgent");
  assertEquals(acts.length, 1);
  // The rejected step 1 has no agent activity; the agent sees the user's judgement next time.
  const step1 = records.slice(0, records.indexOf(judged[1]));
  assert(!step1.some((r) => r.tags[0] === "activity" && r.source === "ProactiveAgent"));
  const second = gym.requests("agent_predict")[1].body.messages;
  assertEquals(second.map((m) => m.role), ["system", "user", "assistant", "user"]);
  assertStringIncludes(String(second[3].content), "The user rejected your proposal");
  assertStringIncludes(String(second[3].content), "Not now.");
  // Events from the agent's action have the agent as subject; its example events too.
  const agentEvents = gym.requests("env_events").filter((r) =>
    (r.input as { latest_activity: { subject: string } }).latest_activity.subject === "agent"
  );
  assertEquals(agentEvents.length, 1);
  const examples = (agentEvents[0].input as { example_events: string[] }).example_events;
  assert(examples.every((e) => !/\buser\b/i.test(e)), examples.join("\n"));
});

Deno.test("the reward filter re-asks a rejected prediction and gives up after 3", async () => {
  const [scene] = await exampleScenes();
  const reject = { thought: "I do not need that.", judgement: "rejected" };
  const { records, gym } = await play(scene, {
    script: { reward_filter: [reject, reject, reject, reject] },
    defaults: { agent_predict: proposal("Explain SQL averages") },
  }, { userSteps: 2, rewardFilter: true });
  const predicts = gym.requests("agent_predict");
  assertEquals(predicts.length, 5); // 1 + 3 re-asks at step 1, 1 at step 2
  assertEquals(gym.requests("reward_filter").length, 5);
  const retry = JSON.parse(String(predicts[1].body.messages.at(-1)!.content));
  assertEquals(retry.Status, "Rejected");
  assertEquals(retry["User Feedback"], "I do not need that.");
  assertEquals(retry["Previous Prediction"]["Proactive Task"], "Explain SQL averages");
  assertEquals(predicts[1].body.temperature, 0.8);
  // Step 1 proposes nothing and logs no sample; step 2's accepted prediction is a sample.
  const samples = records.filter((r) => r.tags[0] === "agent.response");
  assertEquals(samples.length, 1);
  const sample = JSON.parse(samples[0].content!);
  assertEquals(sample.at(-1).role, "assistant");
  assertEquals(JSON.parse(sample.at(-1).content)["Proactive Task"], "Explain SQL averages");
  const stepMessage = JSON.parse(sample.at(-2).content);
  assert(stepMessage.Observations.every((o: object) => Object.keys(o).join() === "time,event"));
  assertEquals(
    records.filter((r) => r.tags[0] === "agent.proactive" && r.source === "ProactiveAgent")
      .length,
    1,
  );
  // The reward model reads the events as {time, event}.
  const rewardInput = JSON.parse(String(gym.requests("reward_filter")[0].body.messages[1].content));
  assertEquals(Object.keys(rewardInput.activity_oldest_first[0]), ["time", "event"]);
  // A judge that accepts at the second try keeps the second prediction.
  const second = await play(scene, {
    script: {
      reward_filter: [reject],
      agent_predict: [proposal("First idea"), proposal("Second idea")],
    },
  }, { userSteps: 1, rewardFilter: true });
  const proposed = second.records.find((r) =>
    r.tags[0] === "agent.proactive" && r.source === "ProactiveAgent"
  );
  assertEquals(proposed?.content, "Second idea");
});

Deno.test("the agent's actions are bounded by agentActions", async () => {
  const [scene] = await exampleScenes();
  const { records, gym } = await play(scene, {
    script: { agent_predict: [proposal("Refactor everything")] },
    defaults: { agent_act: { Thoughts: "More.", Action: "terminal_run('again')" } },
  }, { userSteps: 1, agentActions: 3 });
  assertEquals(gym.requests("agent_act").length, 3);
  const acts = records.filter((r) => r.tags[0] === "activity" && r.source === "ProactiveAgent");
  assertEquals(acts.length, 3);
  // Each action's events come back to the agent as observations.
  const third = gym.requests("agent_act")[2].body.messages;
  assertEquals(third.filter((m) => m.role === "assistant").length, 1 + 2);
  assertStringIncludes(String(third.at(-1)!.content), "The agent finishes action");
});

Deno.test("malformed replies are repaired or re-asked", async () => {
  const [scene] = await exampleScenes();
  const profile = {
    name: "Kim",
    age: 40,
    job: "Analyst",
    education: "MSc",
    characteristics: [],
    identities: [],
  };
  const { records, gym } = await play(scene, {
    script: {
      // Fences: repaired locally, no re-ask.
      env_setting: [
        "```json\n" + JSON.stringify({
          overview: "o",
          time: "2-29 9:05:00",
          agent_ops: [],
          entities: [],
        }) + "\n```",
      ],
      // Prose around the JSON, then a trailing comma: repaired.
      user_profile: [
        `Sure! Here is the profile: ${JSON.stringify(profile)} Hope it helps.`,
        JSON.stringify(profile).replace(/}$/, ",}"),
      ],
      // Broken JSON, then a missing key: both re-asked.
      user_question: ['{"question": "What is', { questions: "wrong key" }, { question: "Q?" }],
      // "null" strings become null.
      agent_predict: [{
        Purpose: "p",
        Thoughts: "t",
        "Proactive Task": "null",
        Response: "null",
      }],
    },
  }, { userSteps: 1, adaptRounds: 1 });
  assertEquals(gym.requests("env_setting").length, 1);
  assertEquals(gym.requests("user_profile").length, 2);
  assertEquals(gym.requests("user_question").map((r) => r.reask), [false, true, true]);
  assertStringIncludes(String(gym.requests("user_question")[2].input), "$.question");
  assertEquals(records.find((r) => r.tags[0] === "env.intro")?.content, "Q?");
  const proactive = records.filter((r) => r.tags[0] === "agent.proactive");
  assertEquals(proactive.map((r) => [r.source, r.content]), [["ProactiveAgent", null]]);
  assertEquals(gym.requests("agent_predict").length, 1);
});

Deno.test("an impossible start date is re-asked with the reason", async () => {
  const [scene] = await exampleScenes();
  const setting = (time: string) => ({ overview: "o", time, agent_ops: [], entities: [] });
  const { records, gym } = await play(scene, {
    script: {
      env_setting: [setting("02-30 10:00:00"), setting("13-1 25:00:00"), setting("3-7 8:5:3")],
    },
  }, { userSteps: 1, agent: false, adaptRounds: 0 });
  const asks = gym.requests("env_setting");
  assertEquals(asks.length, 3);
  assertStringIncludes(String(asks[1].input), "day 30 does not exist in month 2");
  assertStringIncludes(String(asks[2].input), "month 13 does not exist");
  assertEquals(records[0].time, "03-07 08:05:03");
});

Deno.test("a start date that stays impossible fails the scene, naming scene, step and role; nothing is written", async () => {
  const [scene] = await exampleScenes();
  const gym = scriptedGymModels({
    defaults: {
      env_setting: { overview: "o", time: "02-30 10:00:00", agent_ops: [], entities: [] },
    },
  });
  await using server = await startFakeOpenAiServer({ handler: gym.handler });
  const log = memoryLogSink();
  const error = await assertRejects(() =>
    runScene(
      { name: "scene_bad-001-0", config: sceneConfigOf(scene, "scene_bad-001-0"), logPath: "x" },
      TEST_SCENE_OPTIONS,
      {
        llm: createGymTestLlm(server.baseUrl, null),
        log,
        logger: createMemoryLogger(),
        signal: new AbortController().signal,
      },
    )
  );
  assertStringIncludes(
    (error as Error).message,
    'Scene "scene_bad-001-0" failed at setup/env-setting (env model)',
  );
  assertStringIncludes((error as Error).message, "day 30 does not exist");
  assertEquals(log.records, []);
  assertEquals(gym.requests("env_setting").length, 3); // 1 + --max-repairs 2
});

Deno.test("a user answer that stays invalid fails the scene at its step", async () => {
  const [scene] = await exampleScenes();
  const error = await assertRejects(() =>
    play(scene, {
      script: { user_activity: [{ is_finished: false, act: "a" }] },
      defaults: { user_activity: "I refuse to answer in JSON." },
    }, {
      userSteps: 3,
      agent: false,
    })
  );
  assertStringIncludes(
    (error as Error).message,
    'Scene "scene_test-000-0" failed at step-2/user-activity (user model)',
  );
  // The failure carries what the scene did before it: step 1 played, its requests counted.
  assert(error instanceof SceneFailure, String(error));
  assertEquals(error.summary.steps, 1);
  assertEquals(error.summary.finished, false);
  assert(error.summary.events > 0);
  // setup (env, profile, intro) + 2 rounds × 3 + step 1 (activity, events) + step 2's
  // activity and its 2 re-asks (the LLM layer's default --max-repairs).
  assertEquals(error.summary.requests, 3 + 6 + 2 + 3);
  assert(error.summary.tokens > 0);
});

Deno.test("a scene with 3 example events samples all 3; with more, 5 of them", async () => {
  const [scene] = await exampleScenes();
  const small = structuredClone(scene);
  small.environment.events_example = ["The user types.", "The agent saves.", "The user waits."];
  const { gym } = await play(small, {}, { userSteps: 2, agent: false });
  for (const request of gym.requests("env_events")) {
    const examples = (request.input as { example_events: string[] }).example_events;
    assertEquals([...examples].sort(), ["The user saves.", "The user types.", "The user waits."]);
  }
  const big = await play(scene, {}, { userSteps: 2, agent: false });
  const drawn = big.gym.requests("env_events").map((r) =>
    (r.input as { example_events: string[] }).example_events
  );
  assert(drawn.every((d) => d.length === 5 && new Set(d).size === 5));
  assertEquals(
    drawn,
    (await play(scene, {}, { userSteps: 2, agent: false })).gym
      .requests("env_events").map((r) => (r.input as { example_events: string[] }).example_events),
  );
  const reseeded = await play(scene, {}, { userSteps: 2, agent: false, seed: 7 });
  const other = reseeded.gym.requests("env_events").map((r) =>
    (r.input as { example_events: string[] }).example_events
  );
  assert(JSON.stringify(other) !== JSON.stringify(drawn), "the seed changes the sample");
});

Deno.test("every example scene of the reference runs", async () => {
  const scenes = await exampleScenes();
  assertEquals(scenes.length, 6);
  for (const [index, scene] of scenes.entries()) {
    const { records, summary } = await play(
      scene,
      {
        script: { agent_predict: [proposal("Help")] },
      },
      { userSteps: 2, adaptRounds: 1 },
      { name: `scene_example-${index}` },
    );
    assertEquals(summary.steps, 2, `scene ${index}`);
    assertEquals(records.at(-1)?.tags, ["end"]);
    assertEquals(JSON.parse(records[0].content!).theme, scene.environment.theme);
  }
});

Deno.test("the user's steps are bounded and the profile uses the scene's description", async () => {
  const [scene] = await exampleScenes();
  const { summary, gym } = await play(scene, {}, { userSteps: 4, agent: false });
  assertEquals([summary.steps, summary.finished], [4, false]);
  assertEquals(gym.requests("user_activity").length, 4);
  const first = gym.requests("user_profile")[0].input as { description: string; theme: string };
  assertEquals(first.description, scene.user.description);
  assertEquals(first.theme, scene.environment.theme);
  // Refinements see what the environment said.
  const refined = gym.requests("user_profile")[1].input as {
    what_the_environment_told_you: string[];
    current_profile: unknown;
  };
  assertEquals(refined.what_the_environment_told_you.length, 2);
  assert(refined.current_profile !== undefined);
});

Deno.test("with --reward-judge the reward model judges proposals, not the user", async () => {
  const [scene] = await exampleScenes();
  const { records, gym } = await play(scene, {
    script: {
      agent_predict: [proposal("Chart the data")],
      reward_judge: [{ thought: "Too early.", judgement: " Rejected" }],
    },
  }, { userSteps: 1, rewardJudge: true });
  assertEquals(gym.requests("user_judge").length, 0);
  assertEquals(gym.requests("reward_judge").length, 1);
  const verdict = records.find((r) => r.tags[0] === "agent.proactive" && r.source === "User");
  assertEquals(JSON.parse(verdict!.content!), { thought: "Too early.", is_accepted: false });
  const input = JSON.parse(String(gym.requests("reward_judge")[0].body.messages[1].content));
  assertEquals(input.proposed_task, "Chart the data");
});

Deno.test("with the agent off (--no-agent) there are no agent records or requests", async () => {
  const [scene] = await exampleScenes();
  const { records, gym } = await play(scene, {}, { userSteps: 3, agent: false });
  assert(!records.some((r) => r.source === "ProactiveAgent"));
  assert(!records.some((r) => ["agent.proactive", "agent.response"].includes(r.tags[0])));
  assertEquals(gym.requests("agent_predict").length + gym.requests("agent_act").length, 0);
  // The operations are part of the environment's setting, written all the same.
  assertEquals(records.filter((r) => r.tags[0] === "agent.ops").length, 1);
});

Deno.test("an aborted scene stops at its next request and writes no end record", async () => {
  const [scene] = await exampleScenes();
  const controller = new AbortController();
  const gym = scriptedGymModels({
    script: {
      user_activity: [{ is_finished: false, act: "a" }, (request) => {
        controller.abort();
        return {
          fake: {
            delayMs: 50,
            texts: JSON.stringify({ is_finished: false, act: `#${request.index}` }),
          },
        };
      }],
    },
  });
  await using server = await startFakeOpenAiServer({ handler: gym.handler });
  const log = memoryLogSink();
  await assertRejects(() =>
    runScene(
      { name: "scene_abort", config: sceneConfigOf(scene, "scene_abort"), logPath: "x" },
      { ...TEST_SCENE_OPTIONS, agent: false },
      {
        llm: createGymTestLlm(server.baseUrl, null),
        log,
        logger: createMemoryLogger(),
        signal: controller.signal,
      },
    )
  );
  assert(log.records.length > 0);
  assert(!log.records.some((r) => r.tags[0] === "end"));
  assertEquals(gym.requests("user_activity").length, 2);
});

Deno.test("the user does not see the agent staying quiet", async () => {
  const [scene] = await exampleScenes();
  const { records, gym } = await play(scene, {}, { userSteps: 2 });
  assert(records.some((r) => r.tags[0] === "agent.proactive" && r.content === null));
  const memory = (gym.requests("user_activity")[1].input as {
    what_happened_so_far: { kind: string }[];
  }).what_happened_so_far;
  assert(memory.length > 0 && memory.every((item) => item.kind !== "agent.proactive"));
});

Deno.test("a seeded re-run gives byte-identical logs: from the cache, and from the same answers", async () => {
  const [scene] = await exampleScenes();
  const dir = await Deno.makeTempDir({ prefix: "gym_scene_test_" });
  try {
    const script: ScriptedGymOptions = {
      script: { agent_predict: [proposal("Index the table")] },
      defaults: { agent_act: { Thoughts: "Go.", Action: "terminal_run('x')" } },
    };
    const options = { userSteps: 3, rewardFilter: true, agentActions: 2, seed: 42 };
    const first = await play(scene, script, options, { cacheDir: dir });
    assert(first.summary.requests > 0);
    // From the cache: a server that fails every request proves nothing is sent.
    const replayed = await play(
      scene,
      {
        defaults: Object.fromEntries(
          GYM_REQUEST_KINDS.map((kind) => [kind, { fake: { status: 400, errorMessage: "no" } }]),
        ),
      },
      options,
      { cacheDir: dir },
    );
    assertEquals(replayed.gym.log.length, 0);
    const lines = (records: GymRecord[]) => records.map((r) => JSON.stringify(r));
    assertEquals(lines(replayed.records), lines(first.records)); // the end record too
    assertEquals(replayed.summary, first.summary);
    assert(first.summary.tokens > 0);
    // The same answers without a cache: every line identical, the end record too.
    const again = await play(scene, script, options);
    assertEquals(lines(again.records), lines(first.records));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scripts can answer per activity-loop step", async () => {
  const [scene] = await exampleScenes();
  const { records, gym } = await play(scene, {
    defaults: {
      agent_predict: (request) =>
        request.step === 2 ? proposal("Help at step two") : DEFAULT_GYM_ANSWERS.agent_predict,
      user_judge: { thought: "No.", is_accepted: false },
    },
  }, { userSteps: 3 });
  assertEquals(gym.requests("agent_predict").map((r) => r.step), [1, 2, 3]);
  assertEquals(gym.requests("user_profile").map((r) => r.step), [0, 0, 0]);
  const proposed = records.filter((r) =>
    r.tags[0] === "agent.proactive" && r.source === "ProactiveAgent"
  );
  assertEquals(proposed.map((r) => r.content), [null, "Help at step two", null]);
  const activities = records.filter((r) => r.tags[0] === "activity");
  // The proposal comes after the second user activity and before the third.
  const at = records.indexOf(proposed[1]);
  assert(records.indexOf(activities[1]) < at && at < records.indexOf(activities[2]));
});
