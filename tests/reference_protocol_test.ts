/**
 * `protocol: reference` on the wire: eval agent, eval judge, eval reward and agent-trainset
 * with a test-written prompt set, against the fake endpoint recording every request body.
 * What each request must be is computed independently by tests/testing/reference_expectations.py
 * (Python's own json.dumps, the reference scripts' rules as README lists them): the
 * messages byte for byte, the temperature, and no `response_format` or `seed`.
 */
import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { ROOT, runProactive } from "./run_deno.ts";
import { withTempDir } from "./temp_dir.ts";
import {
  type FakeReply,
  type FakeRequestBody,
  startFakeOpenAiServer,
} from "../src/llm/testing/fake_openai_server.ts";

const EXPECTATIONS = `${ROOT}/tests/testing/reference_expectations.py`;

const TEXTS = {
  agent_system: "AGENT SYSTEM — act proactively.",
  agent_step: "Now look at the events and say whether help is needed.",
  agent_retry: "That was rejected! Predict something else.",
  eval_system: "EVAL SYSTEM: you help before being asked (ü).",
  eval_step: '{"Instructions": "Analyse the events now.", "Observation": "[placeholder]"}',
  reward_system: "REWARD SYSTEM: judge the proposal as the user.",
  reward_instruction: "Give your judgement, in the first person.",
  explain_system: "EXPLAIN SYSTEM: you gave this judgement.",
  explain_instruction: "Reason to your judgement, in the first person.",
  check_system: "CHECK SYSTEM: infer the judgement from a thought.",
  check_instruction: "Which judgement does the thought give?",
};

const SET = `name: reference-test
protocol: reference
roles:
  agent:
    system: ${JSON.stringify(TEXTS.agent_system)}
    step_instruction: ${JSON.stringify(TEXTS.agent_step)}
    retry_instruction: ${JSON.stringify(TEXTS.agent_retry)}
  eval_agent:
    system: ${JSON.stringify(TEXTS.eval_system)}
    step: ${JSON.stringify(TEXTS.eval_step)}
  reward:
    system: ${JSON.stringify(TEXTS.reward_system)}
    instruction: ${JSON.stringify(TEXTS.reward_instruction)}
  reward_explain:
    system: ${JSON.stringify(TEXTS.explain_system)}
    instruction: ${JSON.stringify(TEXTS.explain_instruction)}
  consistency:
    system: ${JSON.stringify(TEXTS.check_system)}
    instruction: ${JSON.stringify(TEXTS.check_instruction)}
`;

/** The requests (and outputs) the reference's scripts would send, from the Python script. */
async function expected(job: Record<string, unknown>): Promise<Record<string, unknown>> {
  const child = new Deno.Command("python3", {
    args: [EXPECTATIONS],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify({ texts: TEXTS, ...job })));
  await writer.close();
  const output = await child.output();
  assert(output.success, new TextDecoder().decode(output.stderr));
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

async function recorder(answer: (body: FakeRequestBody, index: number) => FakeReply) {
  const bodies: FakeRequestBody[] = [];
  const server = await startFakeOpenAiServer({
    handler: (body, info) => {
      bodies.push(body);
      return answer(body, info.index);
    },
  });
  return { server, bodies };
}

function assertReferenceBody(body: FakeRequestBody, temperature: number): void {
  assertEquals(body.temperature, temperature);
  assert(!("response_format" in body), "no response_format");
  assert(!("seed" in body), "no seed");
}

const TRACE = [
  {
    observation: { time: "1717000000.0", event: "The user opens main.py." },
    agent_response: { candidate_task: ["a"] },
    task_status: false,
  },
  {
    observation: { time: "1717000042.0", event: "Der Nutzer tippt „hallo“ 😀." },
    agent_response: { candidate_task: [] },
    task_status: false,
  },
  {
    observation: { time: "1717000099.0", event: "The user runs the tests." },
    agent_response: { candidate_task: ["b"] },
    task_status: false,
  },
];

Deno.test("eval agent under protocol: reference sends eval/script.py's requests, byte for byte", async () => {
  const answers = [
    '```json\n{"Purpose": "p0", "Thoughts": "t0", "Proactive Task": "null", "Response": "null"}\n```',
    '{"Purpose": "p1", "Thoughts": broken',
    '{"Purpose": "p1 ü", "Thoughts": "t1", "Proactive Task": "Fix the failing test", "Response": "Shall I?", "Extra": 1}',
    "no JSON",
    "still no JSON",
    "```json\nnot closed",
    "[1, 2]",
    '{"Proactive Task": "unclosed',
  ];
  const { server, bodies } = await recorder((_, i) => ({ texts: answers[i] }));
  await using _ = server;
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "data"));
    await Deno.writeTextFile(join(dir, "data", "t_1.json"), JSON.stringify(TRACE));
    await Deno.writeTextFile(join(dir, "set.yaml"), SET);
    const run = await runProactive([
      "eval",
      "agent",
      "--model",
      "m",
      "--data",
      join(dir, "data"),
      "--out-dir",
      join(dir, "out"),
      "--prompts",
      join(dir, "set.yaml"),
      "--base-url",
      server.baseUrl,
      "--api-key",
      "k",
      "--concurrency",
      "1",
      "--cache-dir",
      join(dir, "cache"),
    ], dir);
    assertEquals(run.code, 0, run.stderr);
    const want = await expected({ kind: "eval_agent", trace: TRACE, answers, quirks: false }) as {
      requests: { messages: unknown; temperature: number }[];
      outputs: (Record<string, unknown> | null)[];
    };
    assertEquals(bodies.length, want.requests.length);
    bodies.forEach((body, i) => {
      assertEquals(body.messages, want.requests[i].messages, `request ${i}`);
      assertReferenceBody(body, want.requests[i].temperature);
    });
    const turns = JSON.parse(await Deno.readTextFile(join(dir, "out", "m", "t_1.json")));
    for (const [i, output] of want.outputs.entries()) {
      if (output === null) {
        assert("failure" in turns[i], `turn ${i} failed`);
        continue;
      }
      assertEquals(turns[i].agent_response, output.agent_response);
      assertEquals(turns[i].other_infomation, output.other_infomation);
    }
    assertStringIncludes(run.stdout, "differ from what the reference's script writes (1)");
  });
});

Deno.test("eval judge under protocol: reference sends judge_agent_prediction.py's requests", async () => {
  const turns = [
    { observation: TRACE[0].observation, agent_response: [] },
    { observation: TRACE[1].observation, agent_response: ["Fix the failing test"] },
    { observation: TRACE[2].observation, agent_response: ["A", "B ü"] },
  ];
  const seen = new Map<string, number>();
  const { server, bodies } = await recorder((body) => {
    const key = JSON.stringify(body.messages);
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    const task = JSON.parse(String(body.messages[1].content))["Proposed Task"];
    // "A" is unreadable twice (the third attempt is at 0.5); JSON5 with single quotes reads.
    if (task === "A" && n < 2) return { texts: "I cannot tell." };
    if (task === null) return { texts: "{'thought': 'quiet is fine', 'judgement': 'accepted',}" };
    return {
      texts: JSON.stringify({ thought: "hm", judgement: task === "A" ? "accepted" : "rejected" }),
    };
  });
  await using _ = server;
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "out", "m"), { recursive: true });
    await Deno.writeTextFile(join(dir, "out", "m", "t_1.json"), JSON.stringify(turns));
    await Deno.writeTextFile(join(dir, "set.yaml"), SET);
    const run = await runProactive([
      "eval",
      "judge",
      "--model",
      "r",
      "--out-dir",
      join(dir, "out"),
      "--prompts",
      join(dir, "set.yaml"),
      "--base-url",
      server.baseUrl,
      "--api-key",
      "k",
      "--cache-dir",
      join(dir, "cache"),
    ], dir);
    assertEquals(run.code, 0, run.stderr);
    const want = (await expected({ kind: "judge", turns })).requests as unknown[];
    // One request per proposal, plus the re-asks of "A" (attempts at 0, 0, then 0.5).
    const sent = bodies.map((b) => JSON.stringify(b.messages)).sort();
    const wantSent = [
      ...want.map((m) => JSON.stringify(m)),
      ...[0, 1].map(() => JSON.stringify(want[2])),
    ]
      .sort();
    assertEquals(sent, wantSent);
    const temperatures = bodies.filter((b) =>
      JSON.stringify(b.messages) === JSON.stringify(want[2])
    )
      .map((b) => b.temperature);
    assertEquals(temperatures, [0, 0, 0.5]);
    for (const body of bodies) {
      assert(!("response_format" in body) && !("seed" in body), JSON.stringify(body));
    }
    const judged = JSON.parse(await Deno.readTextFile(join(dir, "out", "m", "t_1.json")));
    assertEquals(judged.map((t: { judgement: boolean[] }) => t.judgement), [[true], [false], [
      true,
      false,
    ]]);
  });
});

Deno.test("eval reward under protocol: reference asks with the reference's reward template", async () => {
  const items = [
    {
      obs: [{ time: "1717000000.0", event: "Öffnet die Datei." }],
      pred_task: "Fix it",
      valid: true,
      help_needed: true,
      annotation: [true, true, true],
      category: "Correct-Detection (CD)",
    },
    {
      obs: [{ time: "1", event: "a" }, { time: "2", event: "b" }],
      pred_task: null,
      valid: false,
      help_needed: true,
      annotation: [false, false, false],
      category: "Missed-Need (MN)",
    },
  ];
  const { server, bodies } = await recorder(() => ({
    texts: JSON.stringify({ thought: "t", judgement: "accepted" }),
  }));
  await using _ = server;
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      join(dir, "in.jsonl"),
      items.map((i) => JSON.stringify(i)).join("\n") + "\n",
    );
    await Deno.writeTextFile(join(dir, "set.yaml"), SET);
    const run = await runProactive([
      "eval",
      "reward",
      "--in",
      join(dir, "in.jsonl"),
      "--out",
      join(dir, "r.jsonl"),
      "--prompts",
      join(dir, "set.yaml"),
      "--model",
      "r",
      "--base-url",
      server.baseUrl,
      "--api-key",
      "k",
      "--concurrency",
      "1",
      "--cache-dir",
      join(dir, "cache"),
    ], dir);
    assertEquals(run.code, 0, run.stderr);
    const want = (await expected({ kind: "reward", items })).requests as unknown[];
    assertEquals(bodies.map((b) => b.messages), want);
    for (const body of bodies) assertReferenceBody(body, 0);
  });
});

Deno.test("agent-trainset under protocol: reference sends build_agent_trainset.py's requests", async () => {
  const events = [
    { time: "02-29 09:00:01", event: "The user opens the report." },
    { time: "02-29 09:00:07", event: "Der Nutzer scrollt ganz nach unten." },
  ];
  const agent = [
    '{"Purpose": "p", "Thoughts": "t", "Proactive Task": "Summarise the report", "Response": "Shall I?"}',
    "not a prediction",
    '{"Purpose": "p2", "Thoughts": "t2", "Proactive Task": "Sort the table", "Response": "null"}',
    '```json\n{"Purpose": "p3", "Thoughts": "t3", "Proactive Task": null, "Response": null}\n```',
  ];
  const reward = [
    JSON.stringify({ thought: "No, not now.", judgement: "rejected" }),
    JSON.stringify({ thought: "Yes.", judgement: "accepted" }),
    JSON.stringify({ thought: "Fine.", judgement: "accepted" }),
  ];
  let a = 0;
  let r = 0;
  const { server, bodies } = await recorder((body) =>
    body.messages[0].content === TEXTS.agent_system ? { texts: agent[a++] } : { texts: reward[r++] }
  );
  await using _ = server;
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "logs"));
    const records = [
      { source: "system", time: "02-29 09:00:00", tags: ["setup"], content: '{"seed":3}' },
      ...events.map((e) => ({
        source: "EnvManager",
        time: e.time,
        tags: ["events"],
        content: e.event,
      })),
      { source: "system", time: "02-29 09:00:09", tags: ["end"], content: "{}" },
    ];
    await Deno.writeTextFile(
      join(dir, "logs", "scene_a-000-0.jsonl"),
      records.map((x) => JSON.stringify(x)).join("\n") + "\n",
    );
    await Deno.writeTextFile(join(dir, "set.yaml"), SET);
    const run = await runProactive([
      "agent-trainset",
      "--in-dir",
      join(dir, "logs"),
      "--out",
      join(dir, "set.json"),
      "--prompts",
      join(dir, "set.yaml"),
      "--model",
      "m",
      "--base-url",
      server.baseUrl,
      "--api-key",
      "k",
      "--cache-dir",
      join(dir, "cache"),
    ], dir);
    assertEquals(run.code, 0, run.stderr);
    const want = await expected({
      kind: "agent_trainset",
      events,
      agent,
      reward,
      max_trials: 15,
    }) as {
      requests: { messages: unknown; temperature: number }[];
      samples: unknown[];
    };
    assertEquals(bodies.length, want.requests.length);
    bodies.forEach((body, i) => {
      assertEquals(body.messages, want.requests[i].messages, `request ${i}`);
      assertReferenceBody(body, want.requests[i].temperature);
    });
    const dataset = JSON.parse(await Deno.readTextFile(join(dir, "set.json")));
    assertEquals(dataset.map((s: { conversations: unknown }) => s.conversations), want.samples);
  });
});

Deno.test("protocol: reference without the reference's texts is refused, saying how to import them", async () => {
  let requests = 0;
  await using server = await startFakeOpenAiServer({
    handler: () => {
      requests++;
      return { texts: "{}" };
    },
  });
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "set.yaml"), "name: half\nprotocol: reference\nroles: {}\n");
    const run = await runProactive([
      "eval",
      "agent",
      "--model",
      "m",
      "--out-dir",
      join(dir, "out"),
      "--prompts",
      join(dir, "set.yaml"),
      "--base-url",
      server.baseUrl,
      "--api-key",
      "k",
    ], dir);
    assertEquals(run.code, 1, run.stderr);
    assertStringIncludes(
      run.stderr,
      "eval agent under protocol: reference needs the reference's texts eval_agent.system, eval_agent.step",
    );
    assertStringIncludes(run.stderr, "proactive prompts import DIR --out FILE");
    assertEquals(requests, 0);
  });
});

Deno.test("eval agent --reference-quirks: a failed turn stays in the history and in the file as the script leaves it", async () => {
  const answers = [
    ...Array.from({ length: 5 }, (_, i) => `bad ${i}`),
    '{"Purpose": "p", "Thoughts": "t", "Proactive Task": "Fix it", "Response": "Ok?"}',
    '{"Purpose": "p", "Thoughts": "t", "Proactive Task": null, "Response": null}',
  ];
  const { server, bodies } = await recorder((_, i) => ({ texts: answers[i] }));
  await using _ = server;
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "data"));
    await Deno.writeTextFile(join(dir, "data", "t_1.json"), JSON.stringify(TRACE.slice(0, 3)));
    await Deno.writeTextFile(join(dir, "set.yaml"), SET);
    const run = await runProactive([
      "eval",
      "agent",
      "--model",
      "m",
      "--data",
      join(dir, "data"),
      "--out-dir",
      join(dir, "out"),
      "--prompts",
      join(dir, "set.yaml"),
      "--base-url",
      server.baseUrl,
      "--api-key",
      "k",
      "--concurrency",
      "1",
      "--no-cache",
      "--reference-quirks",
    ], dir);
    assertEquals(run.code, 0, run.stderr);
    const want = await expected({ kind: "eval_agent", trace: TRACE, answers, quirks: true }) as {
      requests: { messages: unknown }[];
    };
    assertEquals(bodies.map((b) => b.messages), want.requests.map((r) => r.messages));
    const turns = JSON.parse(await Deno.readTextFile(join(dir, "out", "m", "t_1.json")));
    assertEquals(turns[0].agent_response, { candidate_task: ["a"] });
    assertEquals(turns[1].agent_response, ["Fix it"]);
    assertStringIncludes(run.stdout, "as the reference does (--reference-quirks)");
  });
});

Deno.test("reward under protocol: reference sends build_reward_trainset.py's requests and keeps the answer as written", async () => {
  const items = [
    {
      obs: [{ time: "1717000000.0", event: "Öffnet die Datei." }],
      pred_task: "Fix it",
      valid: true,
      help_needed: true,
      annotation: [true, true, true],
      category: "Correct-Detection (CD)",
    },
    {
      obs: [{ time: "1", event: "a" }],
      pred_task: "Sort it",
      valid: true,
      help_needed: true,
      annotation: [true, true, false],
      category: "Correct-Detection (CD)",
    },
  ];
  const answers = [
    '{"thought": "Das hilft mir, ja.",   "judgement": "accepted"}',
    '{"thought": "Sorting helps.", "judgement": "accepted"}',
  ];
  const { server, bodies } = await recorder((body) => {
    const user = JSON.parse(String(body.messages[1].content));
    if ("Thought To Check" in user) {
      return { texts: JSON.stringify({ reason: "r", judgement: "accepted" }) };
    }
    return { texts: answers[items.findIndex((i) => i.pred_task === user["Proposed Task"])] };
  });
  await using _ = server;
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      join(dir, "in.jsonl"),
      items.map((i) => JSON.stringify(i)).join("\n") + "\n",
    );
    await Deno.writeTextFile(join(dir, "set.yaml"), SET);
    const run = await runProactive([
      "reward",
      "--in",
      join(dir, "in.jsonl"),
      "--out",
      join(dir, "out", "set.json"),
      "--prompts",
      join(dir, "set.yaml"),
      "--model",
      "m",
      "--base-url",
      server.baseUrl,
      "--api-key",
      "k",
      "--concurrency",
      "1",
      "--cache-dir",
      join(dir, "cache"),
    ], dir);
    assertEquals(run.code, 0, run.stderr);
    const want = await expected({ kind: "reward_set", items, answers }) as {
      requests: { messages: unknown; temperature?: number; n?: number }[];
      samples: unknown[];
    };
    assertEquals(bodies.map((b) => b.messages), want.requests.map((r) => r.messages));
    bodies.forEach((body, i) => {
      assert(!("response_format" in body) && !("seed" in body), JSON.stringify(body));
      assertEquals(body.temperature, want.requests[i].temperature);
      assertEquals(body.n, want.requests[i].n);
    });
    const dataset = JSON.parse(await Deno.readTextFile(join(dir, "out", "set.json")));
    assertEquals(dataset.map((s: { conversations: unknown }) => s.conversations), want.samples);
  });
});
