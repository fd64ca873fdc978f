import { assertEquals, assertStringIncludes, assertThrows } from "../../tests/assert.ts";
import { parseCodelinkerConfig } from "./codelinker_config.ts";
import { parseLlmFlags } from "./llm_config.ts";

const TOML = `max_retry_times = 1

[api_keys]
[[api_keys.gpt-4o]]
api_key = "sk-default-1"
base_url = "https://example.com/v1/"
model = "gpt-4o"

[[api_keys.activeagent]]
api_key = "sk-agent-1"
base_url = "http://gpu-1:8000/v1"
model = "proactive-7b"

[[api_keys.activeagent]]
api_key = "sk-agent-2"
base_url = "http://gpu-1:8000/v1/"
model = "proactive-7b"

[[api_keys.activellama]]
model = "judge-7b"
base_url = "http://gpu-2:8000/v1"

[request]
default_completions_model = "gpt-4o"
save_completions = true
use_cache = false

[multimodal.image]
default_model = "gpt-4o"
`;

const source = (text: string) => ({ path: "private.toml", text });

Deno.test("codelinker TOML: aliases, the reference's roles, several keys, ignored keys named", () => {
  const { config, notes } = parseCodelinkerConfig(source(TOML));
  assertEquals(config.models.activeagent, {
    model: "proactive-7b",
    base_url: "http://gpu-1:8000/v1",
    api_keys: ["sk-agent-1", "sk-agent-2"],
  });
  assertEquals(config.models.activellama, { model: "judge-7b", base_url: "http://gpu-2:8000/v1" });
  // No activerm: the reference's eval judge alias is the reward model.
  assertEquals(config.roles, { default: "gpt-4o", agent: "activeagent", reward: "activellama" });
  assertEquals(notes.slice(0, 3), [
    "role default → alias gpt-4o (gpt-4o at https://example.com/v1)",
    "role agent → alias activeagent (proactive-7b at http://gpu-1:8000/v1)",
    "role reward → alias activellama (judge-7b at http://gpu-2:8000/v1)",
  ]);
  assertEquals(notes.slice(3), [
    "ignored max_retry_times: proactive retries with --max-retries",
    "ignored request.save_completions: proactive keeps every answer in its completion cache (--cache-dir)",
    "ignored request.use_cache: proactive's completion cache is --cache-dir / --no-cache",
    "ignored multimodal: proactive sends no images",
  ]);
  for (const note of notes) {
    for (const key of ["sk-default-1", "sk-agent-1"]) {
      assertEquals(note.includes(key), false, note);
    }
  }
});

Deno.test("codelinker TOML: ACTIVEAGENT_MODEL / ACTIVERM_MODEL pick the aliases", () => {
  const env = (name: string) => ({ ACTIVERM_MODEL: "gpt-4o" } as Record<string, string>)[name];
  assertEquals(parseCodelinkerConfig(source(TOML), env).config.roles?.reward, "gpt-4o");
  const bad = (name: string) => ({ ACTIVEAGENT_MODEL: "nope" } as Record<string, string>)[name];
  assertThrows(
    () => parseCodelinkerConfig(source(TOML), bad),
    Error,
    'ACTIVEAGENT_MODEL=nope names no alias of "private.toml"',
  );
});

Deno.test("codelinker TOML: the endpoints and keys reach the roles", () => {
  const options = parseLlmFlags({}, () => undefined, {
    config: source(TOML),
    roles: ["env", "agent", "reward"],
  });
  assertEquals(options.endpoints.agent?.apiKeys, ["sk-agent-1", "sk-agent-2"]);
  assertEquals(options.endpoints.agent?.baseUrl, "http://gpu-1:8000/v1");
  assertEquals(options.endpoints.env?.model, "gpt-4o");
  assertEquals(options.endpoints.reward?.model, "judge-7b");
  assertStringIncludes(
    options.configNotes![0],
    `Config "private.toml" (the reference's codelinker format): role`,
  );
});

Deno.test("codelinker TOML: errors name the file, the line or the field", () => {
  assertThrows(
    () => parseCodelinkerConfig(source("a = 1\n[api_keys\n")),
    Error,
    'Cannot parse the config "private.toml": Invalid TOML document',
  );
  assertThrows(() => parseCodelinkerConfig(source("a = 1\n[api_keys\n")), Error, "(line 2)");
  assertThrows(
    () => parseCodelinkerConfig(source('[[api_keys.x]]\napi_key = "k"\n')),
    Error,
    'Invalid config "private.toml" at api_keys.x[0].model',
  );
  assertThrows(
    () => parseCodelinkerConfig(source('[[api_keys.x]]\nmodel = "m"\nbase_url = "ftp://a"\n')),
    Error,
    "api_keys.x[0].base_url: expected an http(s) URL",
  );
  assertThrows(
    () =>
      parseCodelinkerConfig(
        source('[[api_keys.x]]\nmodel = "a"\n[[api_keys.x]]\nmodel = "b"\n'),
      ),
    Error,
    "give each its own alias",
  );
  assertThrows(
    () =>
      parseCodelinkerConfig(
        source('[[api_keys.x]]\nmodel = "a"\n[request]\ndefault_completions_model = "y"\n'),
      ),
    Error,
    'request.default_completions_model: "y" is not an alias under api_keys',
  );
  assertThrows(
    () => parseCodelinkerConfig(source("max_retry_times = 1\n")),
    Error,
    "[[api_keys.<alias>]]",
  );
});
