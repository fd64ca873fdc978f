import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { parseCommandLine } from "../cli/flags.ts";
import { DEFAULT_BASE_URL, LLM_FLAGS, LLM_FLAGS_HELP, parseLlmFlags } from "./llm_config.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];
const flags = (...args: string[]) => parseCommandLine(args, LLM_FLAGS).raw;

const CONFIG = `
models:
  gpt:
    base_url: https://api.example.test/v1
    model: gpt-test
    api_key_env: [KEY_A, KEY_B]
    params: { temperature: 0.7, max_tokens: 512 }
    concurrency: 32
  local:
    base_url: http://127.0.0.1:8000/v1
    model: qwen-local
    params:
      extra: { top_k: 20 }
roles:
  default: gpt
  reward: local
`;

Deno.test("parseLlmFlags: flags and environment, with defaults", () => {
  const options = parseLlmFlags(
    flags("--model", "m1"),
    env({ OPENAI_API_KEY: "sk-env-key-123456", OPENAI_BASE_URL: "http://127.0.0.1:9/v1/" }),
  );
  assertEquals(options.endpoints.default, {
    alias: "default",
    baseUrl: "http://127.0.0.1:9/v1",
    model: "m1",
    apiKeys: ["sk-env-key-123456"],
    params: {},
    concurrency: 16,
  });
  assertEquals(options.maxRetries, 5);
  assertEquals(options.timeoutMs, 300_000);
  assertEquals(options.retryAfterCapMs, 600_000);
  assertEquals(options.responseFormat, undefined); // each model's own (default json_schema)
  assertEquals(options.maxRepairs, 2);
  assertEquals(options.cacheDir, ".proactive/cache");
  assertEquals(options.limit, undefined);
});

Deno.test("parseLlmFlags: every shared flag is read", () => {
  const options = parseLlmFlags(
    flags(
      "--base-url=http://127.0.0.1:1/v1",
      "--api-key=k-flag-123456",
      "--model=m",
      "--concurrency=4",
      "--max-retries=1",
      "--timeout=90s",
      "--retry-after-cap=2m",
      "--no-response-format",
      "--max-repairs=0",
      "--no-cache",
      "--limit=10",
    ),
    env({ OPENAI_API_KEY: "ignored-env-key" }),
  );
  const endpoint = options.endpoints.default!;
  assertEquals([endpoint.baseUrl, endpoint.apiKeys, endpoint.concurrency], [
    "http://127.0.0.1:1/v1",
    ["k-flag-123456"],
    4,
  ]);
  assertEquals(
    [options.maxRetries, options.timeoutMs, options.retryAfterCapMs, options.responseFormat],
    [1, 90_000, 120_000, "none"],
  );
  assertEquals([options.maxRepairs, options.cacheDir, options.limit], [0, null, 10]);
  assertEquals(parseLlmFlags(flags("--model=m", "--cache-dir=/tmp/c"), env({})).cacheDir, "/tmp/c");
  assertEquals(
    parseLlmFlags(flags("--model=m"), env({})).endpoints.default!.baseUrl,
    DEFAULT_BASE_URL,
  );
});

Deno.test("parseLlmFlags: bad values are usage errors", () => {
  const usage = (args: string[], text: string) => {
    const error = assertThrows(() => parseLlmFlags(flags(...args), env({})), ProactiveError, text);
    assertEquals(error.kind, "usage");
  };
  usage([], 'No model for role "default"');
  usage(["--model=m", "--concurrency=0"], "--concurrency must be between 1");
  usage(["--model=m", "--limit=0"], "--limit must be between 1");
  usage(["--model=m", "--timeout=0"], "--timeout must be longer than zero");
  usage(["--model=m", "--base-url=ftp://x"], "--base-url must be an http(s) URL");
  usage(["--model=m", "--response-format=xml"], "--response-format must be one of json_schema");
  usage(
    ["--model=m", "--response-format=json_object", "--no-response-format"],
    "--no-response-format contradicts",
  );
});

Deno.test("--response-format and per-model response_format and seed", () => {
  assertEquals(
    parseLlmFlags(flags("--model=m", "--response-format", "json_object"), env({})).responseFormat,
    "json_object",
  );
  const config = {
    path: "p.yaml",
    text: `models:
  vllm:
    base_url: http://127.0.0.1:8000/v1
    model: q
    response_format: json_object
    seed: false
`,
  };
  const endpoint = parseLlmFlags(flags(), env({}), { config }).endpoints.default!;
  assertEquals([endpoint.responseFormat, endpoint.seed], ["json_object", false]);
  assertThrows(
    () =>
      parseLlmFlags(flags(), env({}), {
        config: { path: "p.yaml", text: "models:\n  a: { model: q, response_format: yes }\n" },
      }),
    ProactiveError,
    'Invalid config "p.yaml" at models.a.response_format',
  );
});

Deno.test("config: aliases, roles, rotating keys and default params", () => {
  const options = parseLlmFlags(flags(), env({ KEY_A: "key-a-123456", KEY_B: "key-b-123456" }), {
    config: { path: "proactive.yaml", text: CONFIG },
    roles: ["reward", "user", "agent"],
  });
  const reward = options.endpoints.reward!;
  assertEquals(reward.alias, "local");
  assertEquals(reward.model, "qwen-local");
  assertEquals(reward.apiKeys, []);
  assertEquals(reward.params, { extra: { top_k: 20 } });
  assertEquals(reward.concurrency, 16);
  const user = options.endpoints.user!;
  assertEquals(user.alias, "gpt"); // roles.default
  assertEquals(user.apiKeys, ["key-a-123456", "key-b-123456"]);
  assertEquals(user.params, { temperature: 0.7, max_tokens: 512 });
  assertEquals(user.concurrency, 32);
  assertEquals(options.endpoints.scenes, undefined); // not asked for
});

Deno.test("config: flags override every role; a single alias needs no roles", () => {
  const options = parseLlmFlags(
    flags("--model=other", "--concurrency=3"),
    env({ KEY_A: "key-a-123456", KEY_B: "key-b-123456" }),
    { config: { path: "c.yaml", text: CONFIG }, roles: ["reward", "env"] },
  );
  assertEquals(options.endpoints.reward!.model, "other");
  assertEquals(options.endpoints.env!.model, "other");
  assertEquals(options.endpoints.env!.concurrency, 3);
  const single = parseLlmFlags(flags(), env({ OPENAI_API_KEY: "env-key-123456" }), {
    config: { path: "c.yaml", text: "models:\n  only:\n    model: m9\n" },
    roles: ["scenes"],
  });
  assertEquals(single.endpoints.scenes!.alias, "only");
  assertEquals(single.endpoints.scenes!.baseUrl, DEFAULT_BASE_URL);
  assertEquals(single.endpoints.scenes!.apiKeys, ["env-key-123456"]);
});

Deno.test("config: errors name the file and the field, never a key", () => {
  const bad = (text: string, message: string, vars: Record<string, string> = {}) =>
    assertThrows(
      () => parseLlmFlags(flags(), env(vars), { config: { path: "p.yaml", text } }),
      ProactiveError,
      message,
    );
  bad(
    "models:\n  a: {model: m, concurrency: 0}\n",
    'Invalid config "p.yaml" at models.a.concurrency',
  );
  bad("models:\n  a: {model: m, colour: red}\n", 'Invalid config "p.yaml" at models.a');
  bad("models:\n  a: {model: m}\nroles: {reward: b}\n", "at roles.reward");
  bad("models:\n  a: {model: m}\nroles: {critic: a}\n", "at roles");
  bad("models: [1,\n", 'Cannot parse config "p.yaml"');
  bad(
    "models:\n  a: {model: m}\n  b: {model: n}\n",
    'Config "p.yaml" names no model for role "default"',
  );
  const missing = bad(CONFIG, 'Environment variable KEY_B (api_key_env of model "gpt"', {
    KEY_A: "present-key-123456",
  });
  assert(!missing.message.includes("present-key-123456"));
});

Deno.test("LLM_FLAGS_HELP documents every shared flag", () => {
  for (const name of Object.keys(LLM_FLAGS)) assert(LLM_FLAGS_HELP.includes(`--${name}`), name);
});

Deno.test("config: an alias on several servers; --base-url names one server instead", () => {
  const text = "models:\n  cluster:\n    base_url: [http://gpu1:8000/v1/, http://gpu2:8000/v1]\n" +
    "    model: m\n    concurrency: 8\n";
  const parse = (...args: string[]) =>
    parseLlmFlags(flags(...args), env({}), { config: { path: "c.yaml", text } }).endpoints
      .default!;
  const cluster = parse();
  assertEquals(cluster.baseUrl, "http://gpu1:8000/v1");
  assertEquals(cluster.baseUrls, ["http://gpu1:8000/v1", "http://gpu2:8000/v1"]);
  assertEquals(cluster.concurrency, 8, "per server");
  const one = parse("--base-url=http://gpu3:8000/v1");
  assertEquals([one.baseUrl, one.baseUrls], ["http://gpu3:8000/v1", undefined]);
  const single = parseLlmFlags(flags(), env({}), {
    config: { path: "c.yaml", text: "models:\n  a: {base_url: [http://x/v1], model: m}\n" },
  }).endpoints.default!;
  assertEquals([single.baseUrl, single.baseUrls], ["http://x/v1", undefined]);
  for (
    const [urls, message] of [
      ["[http://x/v1, http://x/v1]", "lists a server twice"],
      ["[]", "at models.a.base_url"],
      ["[ftp://x]", "at models.a.base_url"],
    ]
  ) {
    assertThrows(
      () =>
        parseLlmFlags(flags(), env({}), {
          config: { path: "p.yaml", text: `models:\n  a: {base_url: ${urls}, model: m}\n` },
        }),
      ProactiveError,
      message,
    );
  }
});
