/**
 * The built-in prompt set is today's text, byte for byte: every message builder, called
 * with it, gives what it gave before prompt sets existed (pinned in
 * tests/testdata/prompts/builtin_messages.json, written by the builders as they were).
 * Changed on purpose since: the environment's requests (environment-v2) put their fixed
 * parts first, so a scene's requests share a longer start for a server's prefix cache.
 */
import { assertEquals } from "../../tests/assert.ts";
import * as agent from "./agent_prompts.ts";
import * as trace from "./agent_trace_messages.ts";
import * as env from "./environment_prompts.ts";
import { BUILTIN_PROMPT_SET as p } from "./prompt_set.ts";
import * as reward from "./reward_prompts.ts";
import * as scenes from "./scenes_prompts.ts";
import * as user from "./user_prompts.ts";

const GOLDEN = new URL("../../tests/testdata/prompts/builtin_messages.json", import.meta.url);

Deno.test("the built-in prompt set sends today's messages, byte for byte", async () => {
  const obs = [
    { time: "1717000000", event: "The user opens a file {x}." },
    { time: "1717000042", event: "Ünïcode typing." },
  ];
  const pred = {
    Purpose: "p",
    Thoughts: "t",
    "Proactive Task": "Sort it",
    Response: "I can sort it.",
  };
  const state = {
    overview: "o",
    time: "3-14 9:30:00",
    agent_ops: [{ name: "a" }],
    entities: [{ name: "e" }],
  };
  const brief = { goal: "g", theme: "th", description: "d" };
  const profile = {
    name: "n",
    age: 3,
    job: "j",
    education: "e",
    characteristics: ["c"],
    identities: ["i"],
  };
  const memory = [{ time: "03-14 09:30:00", source: "env", kind: "events", content: "x" }];
  const now = {
    agentMessages: agent.agentMessages(p, [
      { role: "user", content: "h" },
      agent.agentPredictionMessage(pred),
    ], obs),
    agentRetry: agent.agentRetryMessage(p, obs, pred, "no thanks"),
    agentAct: agent.agentActMessage(p, "Sort it", [{ name: "op" }], obs),
    operations: agent.operationsObservation(p, "03-14 09:30:00", ["op(a)"]),
    trainingSample: agent.agentTrainingSample(p, [], obs, pred),
    trace0: trace.traceTurnMessages(p, obs, 0, []),
    trace1: trace.traceTurnMessages(p, obs, 1, [pred]),
    trace1failed: trace.traceTurnMessages(p, obs, 1, [undefined]),
    envSetup: env.environmentSetupMessages(p, {
      theme: "t",
      description: "d",
      entities: ["e"],
      agentOps: ["o"],
    }),
    envIntro: env.environmentAnswerMessages(p, state, [], null),
    envAnswer: env.environmentAnswerMessages(p, state, [{ question: "q", response: "r" }], "q2"),
    envEventsUser: env.environmentEventsMessages(p, state, obs, {
      subject: "user",
      text: "types",
    }, ["s1"]),
    envEventsAgent: env.environmentEventsMessages(p, state, obs, {
      subject: "agent",
      text: "runs",
    }, ["s1"]),
    reward: reward.rewardMessages(p, obs, "Sort it"),
    rewardNull: reward.rewardMessages(p, obs, null),
    explain: [
      reward.explainMessages(p, obs, "Sort it", "accepted"),
      reward.explainMessages(p, obs, "Sort it", "rejected"),
      reward.explainMessages(p, obs, null, "accepted"),
      reward.explainMessages(p, obs, null, "rejected"),
    ],
    consistency: reward.consistencyMessages(p, "I think so."),
    sceneStart: scenes.sceneConversationStart(p),
    sceneSteps: scenes.sceneStepInstructions(p, "Coding", "Fix {a} bug", ["e1", "e2 `x`"]),
    sceneRepair: scenes.sceneListRepairMessage(p, "line 1: bad"),
    userProfile: user.userProfileMessages(p, brief, null, []),
    userRefine: user.userProfileMessages(p, brief, profile, ["learned"]),
    userQuestion: user.userQuestionMessages(p, brief, profile, ["l"]),
    userActivity: user.userActivityMessages(p, brief, profile, memory),
    userJudge: user.userJudgeMessages(p, brief, profile, memory, "Sort it", "Shall I?"),
    userJudgeQuiet: user.userJudgeMessages(p, brief, profile, memory, "Sort it", null),
  };
  const golden = await Deno.readTextFile(GOLDEN);
  assertEquals(JSON.stringify(now, null, 2) + "\n", golden);
});
