import { assertEquals, assertStringIncludes } from "../../../tests/assert.ts";
import { startFakeOpenAiServer } from "../../llm/testing/fake_openai_server.ts";
import { GYM_TEST_MODELS, scriptedGymModels } from "./scripted_gym_models.ts";

const ask = (baseUrl: string, model: string, kind: string, content = '{"a": 1}') =>
  fetch(`${baseUrl}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model,
      messages: [{ role: "user", content }],
      response_format: { type: "json_schema", json_schema: { name: kind, schema: {} } },
    }),
  }).then(async (response) => ({
    status: response.status,
    json: await response.json(),
  }));

const text = (reply: { json: { choices: { message: { content: string } }[] } }) =>
  reply.json.choices[0].message.content;

Deno.test("the scripted gym answers by kind: script in order, then defaults, then built-ins", async () => {
  const gym = scriptedGymModels({
    script: { user_activity: ["```json\nbroken", { is_finished: true, act: "done" }] },
    defaults: { user_activity: (request) => ({ is_finished: false, act: `#${request.index}` }) },
  });
  await using server = await startFakeOpenAiServer({ handler: gym.handler });
  const user = GYM_TEST_MODELS.user;
  assertEquals(text(await ask(server.baseUrl, user, "user_activity")), "```json\nbroken");
  const reask = await ask(
    server.baseUrl,
    user,
    "user_activity",
    "Your previous answer could not be used: …",
  );
  assertEquals(JSON.parse(text(reask)), { is_finished: true, act: "done" });
  assertEquals(JSON.parse(text(await ask(server.baseUrl, user, "user_activity"))).act, "#2");
  const judged = await ask(server.baseUrl, GYM_TEST_MODELS.reward, "reward_filter");
  assertEquals(JSON.parse(text(judged)).judgement, "accepted");
  assertEquals(gym.requests("user_activity").map((r) => [r.index, r.reask]), [
    [0, false],
    [1, true],
    [2, false],
  ]);
  assertEquals(gym.log.length, 4);
});

Deno.test("the scripted gym refuses a kind sent to another role's model, and sends fake replies", async () => {
  const gym = scriptedGymModels({
    script: { env_events: [{ fake: { status: 429, errorMessage: "slow down" } }] },
  });
  await using server = await startFakeOpenAiServer({ handler: gym.handler });
  const wrong = await ask(server.baseUrl, GYM_TEST_MODELS.user, "env_events");
  assertEquals(wrong.status, 500);
  assertStringIncludes(wrong.json.error.message, "env_events sent to model gym-user");
  const unknown = await ask(server.baseUrl, GYM_TEST_MODELS.env, "something");
  assertEquals(unknown.status, 500);
  const limited = await ask(server.baseUrl, GYM_TEST_MODELS.env, "env_events");
  assertEquals([limited.status, limited.json.error.message], [429, "slow down"]);
});
