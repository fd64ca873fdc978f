import { assert, assertEquals } from "../../tests/assert.ts";
import { hasPython3 } from "../../tests/testing/python_values.ts";
import { operationsOf } from "../gym/reference_gym_log.ts";
import type { GymRecord } from "./gym_types.ts";
import {
  FROZEN_TIME,
  OPERATIONS_HEADER,
  pythonOperations,
  pythonRepr,
  ReferenceLogEncoder,
} from "./reference_log_format.ts";

const TEXTS = [
  "plain",
  "it's",
  'say "hi"',
  `both ' and "`,
  "back\\slash\nnew\ttab\r",
  "é — ok",
  "\x07bell\u2028",
  "\u{1F600}",
];

Deno.test("pythonRepr: Python's repr of a string", async () => {
  const ours = TEXTS.map(pythonRepr);
  assertEquals(ours[1], `"it's"`);
  assertEquals(ours[0], "'plain'");
  if (!(await hasPython3())) return;
  const output = await new Deno.Command("python3", {
    args: ["-c", "import json,sys; print(json.dumps([repr(t) for t in json.load(sys.stdin)]))"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = output.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(TEXTS)));
  await writer.close();
  const result = await output.output();
  assertEquals(ours, JSON.parse(new TextDecoder().decode(result.stdout)));
});

Deno.test("the reference's operations read back to the same objects", () => {
  const ops = [
    { name: "run", arguments: ["cmd", "cwd"], doc: 'Runs it\'s "command"\n' },
    { name: "look", arguments: [], doc: "é" },
  ];
  const text = OPERATIONS_HEADER + pythonOperations(ops);
  assert(text.includes("Operation(name='run', arguments=['cmd', 'cwd'], doc="), text);
  assertEquals(operationsOf(text), ops);
  assertEquals(operationsOf(OPERATIONS_HEADER + "not python ["), "not python [");
});

Deno.test("each proactive record becomes the reference's", () => {
  const encoder = new ReferenceLogEncoder();
  const at = "03-01 09:00:00";
  const rec = (source: string, tag: string, content: string | null, extra = {}) =>
    ({ source, time: at, tags: [tag], content, ...extra }) as GymRecord;
  const out = (record: GymRecord) => encoder.records(record);
  assertEquals(out(rec("system", "setup", "{}")).map((r) => [r.time, r.content]), [
    [FROZEN_TIME, "Setup Components..."],
    [FROZEN_TIME, "{}"],
  ]);
  out(rec("EnvManager", "agent.ops", '[{"name":"run","arguments":[],"doc":"d"}]'));
  const initial = out(rec(
    "EnvManager",
    "env.status",
    JSON.stringify({
      overview: "O",
      time: at,
      entities: [{
        name: "Editor",
        description: "VS Code",
        status: "open",
        properties: [],
        available_ops: [],
        past_actions: [],
      }],
    }),
  ));
  assertEquals(initial[0].content.split("\n").slice(0, 5), [
    "! Initial Environment Settings !",
    "# Environment Overview",
    "O",
    `Time: ${at}`,
    "# Agent Operations",
  ]);
  assertEquals(initial[1], {
    source: "system",
    time: at,
    tags: ["setup"],
    content: "Setup Completed!",
  });
  const update = {
    name: "Editor",
    description: "VS Code",
    status: "saved",
    properties: [],
    available_ops: [],
    past_actions: ["typed", "saved"],
  };
  assertEquals(
    out(rec("EnvManager", "env.status", JSON.stringify(update)))[0].content,
    "Entity Updated.\nName: Editor\nVS Code\nStatus: saved\nLast Action: saved",
  );
  assertEquals(
    out(rec("User", "env.intro", "Which editor?"))[0].content,
    "Which editor?\nPlease answer the question one by one.",
  );
  assertEquals(
    out(rec("User", "activity", '{"is_finished":false,"act":"I type."}'))[0].content,
    "I type.",
  );
  assertEquals(out(rec("User", "activity", '{"is_finished":true,"act":"Done."}')), []);
  const prediction = { Purpose: "p", Thoughts: "t", "Proactive Task": "Fix it", Response: "ok" };
  assertEquals(
    out(rec("ProactiveAgent", "agent.proactive", null, { prediction }))[0].content,
    '{"Purpose": "p", "Thoughts": "t", "Proactive Task": null, "Response": "ok"}',
  );
  assertEquals(
    out(rec("User", "agent.proactive", '{"thought":"Fine.","is_accepted":false}'))[0].content,
    "Fine.\nIs Accepted: False",
  );
  assertEquals(out(rec("system", "end", "{}"))[0].tags, ["end"]);
});
