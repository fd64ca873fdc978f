/**
 * `proactive scenes` and structured output, end to end against the fake endpoint: step 6
 * (the scene list) carries the scene list's JSON schema, an object holding the list, where
 * `--response-format` allows it, so an endpoint that answers only from the request's
 * schema gives scenes for every seed task; under `--response-format none` and
 * `protocol: reference` step 6 is free text, exactly as before.
 */
import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { ROOT, runProactive } from "./run_deno.ts";
import { withTempDir } from "./temp_dir.ts";
import {
  type FakeHandler,
  type FakeOpenAiServerOptions,
  type FakeRequestBody,
  startFakeOpenAiServer,
} from "../src/llm/testing/fake_openai_server.ts";
import { answerFromSchema, requestSchema } from "../src/llm/testing/schema_answer.ts";
import { parseSceneConfig, parseSceneList, parseYamlText } from "../src/formats/scene.ts";
import { BUILTIN_PROMPT_SET } from "../src/prompts/prompt_set.ts";
import { SCENE_LIST_OBJECT_NOTE } from "../src/prompts/scenes_prompts.ts";
import {
  createFakeScenesModel,
  defaultScenes,
  readScenesRequest,
} from "../src/scenes/testing/fake_scenes_model.ts";

const SEEDS = `${ROOT}/tests/testdata/scenes/seeds.yaml`;
const STEP6 = BUILTIN_PROMPT_SET.text("scenes", "step6");

/** Prose, whatever is asked: all a free-text request gets from a schema-only endpoint. */
const PROSE = "What a lovely scene! A user sits at a desk and works on something.";

/** Answers from the request's JSON schema alone; prose when it carries none. */
const schemaOnly: FakeHandler = (body) => {
  const schema = requestSchema(body);
  return { texts: schema ? JSON.stringify(answerFromSchema(schema)) : PROSE };
};

async function fixture(handler: FakeHandler, options: FakeOpenAiServerOptions = {}) {
  const server = await startFakeOpenAiServer({ ...options, handler });
  const run = (dir: string, ...extra: string[]) =>
    runProactive([
      "scenes",
      "--seeds",
      SEEDS,
      "--out",
      join(dir, "scenes.yaml"),
      "--scenes-dir",
      join(dir, "scenes"),
      "--cache-dir",
      join(dir, "cache"),
      "--base-url",
      server.baseUrl,
      "--api-key",
      "sk-test",
      "--model",
      "m",
      "--max-retries",
      "0",
      ...extra,
    ], dir);
  return { server, run };
}

/** The step-6 requests (and their re-asks) among `bodies`. */
const step6 = (bodies: FakeRequestBody[]) =>
  bodies.filter((b) => [6, "repair"].includes(readScenesRequest(b).step));
/** The requests of steps 1–5 among `bodies`. */
const stepsBefore6 = (bodies: FakeRequestBody[]) =>
  bodies.filter((b) => ![6, "repair"].includes(readScenesRequest(b).step));

Deno.test("scenes: an endpoint that answers only from the request's JSON schema gives scenes for every seed task", async () => {
  const { server, run } = await fixture(schemaOnly, { responseFormatCheck: "openai" });
  await using _ = server;
  await withTempDir(async (dir) => {
    const result = await run(dir, "--concurrency", "3");
    assertEquals(result.code, 0, result.stderr);
    assertStringIncludes(result.stdout, `Asked 5 of 5 seed task(s) from "${SEEDS}" (prompts `);
    assertStringIncludes(result.stdout, "5 succeeded, 0 failed");
    assertStringIncludes(result.stdout, `Wrote 10 scene(s) to "${join(dir, "scenes.yaml")}"`);
    assert(!result.stdout.includes("re-asked"), result.stdout);
    assertEquals(server.requests.length, 30, "six requests per seed task, no re-ask");

    // Steps 1–5 free text; step 6 the strict schema OpenAI accepts, the text unchanged.
    for (const body of stepsBefore6(server.requests)) assert(!("response_format" in body));
    const asked = step6(server.requests);
    assertEquals(asked.length, 5);
    for (const body of asked) {
      const format = body.response_format as { json_schema: { name: string; strict: boolean } };
      assertEquals([format.json_schema.name, format.json_schema.strict], ["scene_list", true]);
      assertEquals(body.messages.at(-1)!.content, STEP6);
    }

    const list = parseSceneList(
      parseYamlText(await Deno.readTextFile(join(dir, "scenes.yaml")), "list"),
      "list",
    );
    assertEquals([list.scenes.length, list.dropped], [10, []]);
    const names = [...Deno.readDirSync(join(dir, "scenes"))].map((e) => e.name).sort();
    assertEquals(names.length, 10);
    for (const name of names) {
      const path = join(dir, "scenes", name);
      const config = parseSceneConfig(parseYamlText(await Deno.readTextFile(path), path), path);
      assertEquals(config.eventSink?.out_file, name.replace(/\.yaml$/, ".jsonl"));
      assertEquals(config.environment.events_example.length, 2);
      assertEquals(config.user.theme, config.environment.theme);
    }

    // Without the schema the same endpoint gives prose only: every seed task fails. Steps
    // 1–5 are the same requests as before (no response_format), so they come from the cache.
    const none = await run(dir, "--response-format", "none", "--max-repairs", "1");
    assertEquals(none.code, 1);
    assertStringIncludes(none.stdout, "0 succeeded, 5 failed");
    assertStringIncludes(none.stdout, "no usable scene list after 1 re-ask");
    const sent = server.requests.slice(30);
    assertEquals(sent.length, 10, "step 6 and one re-ask per seed task");
    for (const body of sent) assert(!("response_format" in body));
  });
});

Deno.test("scenes: a schema-conforming answer with no valid scene is re-asked with the schema, bounded", async () => {
  const EMPTY = '{"scenes": []}';
  const blank = (schema: Record<string, unknown>) =>
    JSON.stringify(answerFromSchema(schema, { text: () => " " }));
  const { server, run } = await fixture((body) => {
    const request = readScenesRequest(body);
    const schema = requestSchema(body);
    if (!schema) return { texts: PROSE };
    const previous = body.messages.at(-2)?.content;
    // alpha task 0 never gives a valid scene: an empty list, then blank texts, in turn;
    // alpha task 1 first gives blank texts, then scenes.
    if (request.task === "Write a binary search in Python.") {
      return { texts: previous === EMPTY ? blank(schema) : EMPTY };
    }
    if (request.step === 6) return { texts: blank(schema) };
    return { texts: JSON.stringify(answerFromSchema(schema)) };
  });
  await using _ = server;
  await withTempDir(async (dir) => {
    const result = await run(dir, "--limit", "2", "--max-repairs", "2");
    assertEquals(result.code, 1, result.stderr);
    assertStringIncludes(result.stdout, "1 succeeded, 1 failed");
    assertStringIncludes(
      result.stdout,
      "alpha task 0: no usable scene list after 2 re-asks: no valid scene in the list: " +
        "the list holds no scene object",
    );
    // The report counts the re-asks of the seed tasks that succeeded; the LLM line all.
    assertStringIncludes(result.stdout, "re-asked 1 answer(s)");
    assertStringIncludes(result.stdout, " 3 repairs");
    const asked = step6(server.requests);
    assertEquals(asked.length, 5, "step 6 of both, two re-asks of one, one of the other");
    for (const body of asked) assertEquals(body.response_format, asked[0].response_format);
    assertEquals((asked[0].response_format as { type: string }).type, "json_schema");
    const reasks = asked.filter((b) => readScenesRequest(b).step === "repair");
    assertEquals(reasks.length, 3);
    const flask = reasks.find((b) => readScenesRequest(b).task.startsWith("Build"))!;
    assertStringIncludes(String(flask.messages.at(-1)!.content), "expected non-empty text");
    const list = parseSceneList(
      parseYamlText(await Deno.readTextFile(join(dir, "scenes.yaml")), "list"),
      "list",
    );
    assertEquals(list.scenes.length, 2);
  });
});

const REFERENCE_SET = `name: reference-scenes
protocol: reference
roles:
  scenes:
    system: "REFERENCE SYSTEM"
    step1: "# Step 1: scene\\nScene kind: {kind}\\nSeed task: {task}"
    step2: "# Step 2: users of {task}"
    step3: "# Step 3: entities"
    step4: "# Step 4: operations"
    step5: "# Step 5: events\\n- {sample_events}"
    step6: "# Step 6: the JSON list"
`;

Deno.test("scenes on the wire: the schema's wrapper under json_schema, json_object's note, free text under none and protocol: reference", async () => {
  const model = createFakeScenesModel({
    reply: (request) =>
      request.step === 6 && request.body.response_format !== undefined
        ? { texts: JSON.stringify({ scenes: defaultScenes(request.task) }) }
        : undefined,
  });
  const { server, run } = await fixture(model.handler);
  await using _ = server;
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "reference.yaml"), REFERENCE_SET);
    const runs: Record<string, string[]> = {
      json_schema: [],
      json_object: ["--response-format", "json_object"],
      none: ["--response-format", "none"],
      reference: ["--prompts", join(dir, "reference.yaml")],
    };
    const bodies: Record<string, FakeRequestBody[]> = {};
    for (const [name, flags] of Object.entries(runs)) {
      const sent = server.requests.length;
      const result = await run(dir, "--limit", "1", "--no-cache", ...flags);
      assertEquals(result.code, 0, `${name}: ${result.stderr}`);
      assertStringIncludes(result.stdout, "1 succeeded, 0 failed", name);
      bodies[name] = server.requests.slice(sent);
      assertEquals(bodies[name].length, 6, name);
      for (const body of stepsBefore6(bodies[name])) assert(!("response_format" in body), name);
    }

    const [schemaStep] = step6(bodies.json_schema);
    const format = schemaStep.response_format as {
      type: string;
      json_schema: { name: string; strict: boolean; schema: Record<string, unknown> };
    };
    assertEquals(format.type, "json_schema");
    const schema = format.json_schema.schema as {
      type: string;
      required: string[];
      properties: { scenes: { type: string; items: { required: string[] } } };
    };
    assertEquals([schema.type, schema.required], ["object", ["scenes"]]);
    assertEquals(schema.properties.scenes.type, "array");
    assertEquals(schema.properties.scenes.items.required, ["environment", "user"]);
    assertEquals(schemaStep.messages.at(-1)!.content, STEP6, "the text is the built-in one");

    const [objectStep] = step6(bodies.json_object);
    assertEquals(objectStep.response_format, { type: "json_object" });
    assertEquals(objectStep.messages.at(-1)!.content, STEP6 + SCENE_LIST_OBJECT_NOTE);

    const [noneStep] = step6(bodies.none);
    assert(!("response_format" in noneStep));
    assertEquals(noneStep.messages, schemaStep.messages, "the same conversation, free text");

    for (const body of bodies.reference) {
      assert(!("response_format" in body) && !("seed" in body), JSON.stringify(body));
    }
    assertEquals(step6(bodies.reference)[0].messages.at(-1)!.content, "# Step 6: the JSON list");
    assertEquals(step6(bodies.reference)[0].temperature, 0.3);
  });
});

Deno.test("scenes: an endpoint that refuses the JSON schema stops the run naming the switch; json_object then pays only for step 6", async () => {
  const model = createFakeScenesModel();
  const { server, run } = await fixture(model.handler, { responseFormatCheck: "unsupported" });
  await using _ = server;
  await withTempDir(async (dir) => {
    const refused = await run(dir, "--concurrency", "1");
    assertEquals(refused.code, 1);
    assertStringIncludes(refused.stderr, "400 Invalid parameter: 'response_format'");
    assertStringIncludes(refused.stderr, "pass --response-format json_object (or none)");
    assertStringIncludes(refused.stderr, "the scenes of 0 of 5 seed task(s) are saved");
    assertEquals(server.requests.length, 6, "no other seed task was started");

    const again = await run(dir, "--concurrency", "1", "--response-format", "json_object");
    assertEquals(again.code, 0, again.stderr);
    assertStringIncludes(again.stdout, "5 succeeded, 0 failed");
    assertEquals(server.requests.length - 6, 1 + 4 * 6, "steps 1–5 of the first from the cache");
  });
});
