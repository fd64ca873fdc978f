/**
 * `--config private.toml`: the reference's codelinker file drives a real command (`eval
 * reward` in a child process) against the fake endpoint — the request goes to the TOML's
 * base_url with its model and key, the mapping is printed, ignored keys are named, and the
 * key appears nowhere in what the command prints or writes.
 */
import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { MAIN } from "./run_deno.ts";
import { withTempDir } from "./temp_dir.ts";
import {
  type FakeRequestBody,
  startFakeOpenAiServer,
} from "../src/llm/testing/fake_openai_server.ts";

const KEY = "sk-toml-secret-0123456789";

async function run(args: string[], cwd: string, env: Record<string, string> = {}) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-kv", "-A", MAIN, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, stdout: text(output.stdout), stderr: text(output.stderr) };
}

async function filesText(dir: string): Promise<string> {
  let all = "";
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) all += await filesText(path);
    else if (entry.isFile) all += await Deno.readTextFile(path).catch(() => "");
  }
  return all;
}

Deno.test("--config private.toml: the reference's models, roles and keys, the key never shown", async () => {
  const bodies: FakeRequestBody[] = [];
  await using server = await startFakeOpenAiServer({
    handler: (body) => {
      bodies.push(body);
      return { texts: JSON.stringify({ thought: "Fine.", judgement: "accepted" }) };
    },
  });
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      join(dir, "private.toml"),
      `max_retry_times = 1

[api_keys]
[[api_keys.gpt-4o]]
api_key = "sk-other"
model = "gpt-4o"
base_url = "http://127.0.0.1:9/v1"

[[api_keys.activerm]]
api_key = "${KEY}"
base_url = "${server.baseUrl}/"
model = "reward-7b"

[request]
default_completions_model = "gpt-4o"
save_completions = true

[multimodal.image]
default_model = "gpt-4o"
`,
    );
    const out = join(dir, "out");
    const result = await run(
      [
        "eval",
        "reward",
        "--config",
        "private.toml",
        "--limit",
        "3",
        "--cache-dir",
        "cache",
        "--out",
        out,
      ],
      dir,
    );
    assertEquals(result.code, 0, result.stderr);
    assert(bodies.length >= 3, String(bodies.length));
    assert(bodies.every((b) => b.model === "reward-7b"));
    assert(
      server.authorizations.every((a) => a === `Bearer ${KEY}`),
      String(server.authorizations),
    );
    assertStringIncludes(
      result.stderr,
      `Config "private.toml" (the reference's codelinker format): role reward → alias activerm (reward-7b at ${server.baseUrl})`,
    );
    assertStringIncludes(
      result.stderr,
      "ignored max_retry_times: proactive retries with --max-retries",
    );
    assertStringIncludes(result.stderr, "ignored multimodal: proactive sends no images");
    const written = await filesText(dir);
    for (const text of [result.stdout, result.stderr, written.replace(KEY, "")]) {
      assertEquals(text.includes(KEY), false);
    }
    // Only the TOML itself holds the key.
    assertEquals(written.split(KEY).length - 1, 1);

    // ACTIVERM_MODEL picks another alias, as the reference's scripts do.
    const other = await run(
      [
        "eval",
        "reward",
        "--config",
        "private.toml",
        "--limit",
        "1",
        "--no-cache",
        "--max-retries",
        "0",
        "--out",
        join(dir, "o2"),
      ],
      dir,
      { ACTIVERM_MODEL: "gpt-4o" },
    );
    assertStringIncludes(
      other.stderr,
      "role reward → alias gpt-4o (gpt-4o at http://127.0.0.1:9/v1)",
    );
    assertEquals(other.stderr.includes("sk-other"), false);
  });
});
