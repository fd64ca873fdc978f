import { assertEquals, assertRejects, assertThrows } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { parseLlmConfig, readLlmConfig } from "./llm_config_file.ts";

Deno.test("parseLlmConfig keeps aliases and roles as written", () => {
  const config = parseLlmConfig({
    path: "p.yaml",
    text: "models:\n  a: {model: m, api_key_env: K, params: {stop: [END]}}\nroles: {env: a}\n",
  });
  assertEquals(config, {
    models: { a: { model: "m", api_key_env: "K", params: { stop: ["END"] } } },
    roles: { env: "a" },
  });
  assertThrows(
    () => parseLlmConfig({ path: "p.yaml", text: "models: {a: {model: m}}\nroles: {critic: a}\n" }),
    ProactiveError,
    'Invalid config "p.yaml" at roles: Unrecognized key: "critic"',
  );
});

Deno.test("readLlmConfig: --config, then proactive.yaml in the working directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const reader = { cwd: dir, readTextFile: Deno.readTextFile };
    assertEquals(await readLlmConfig({}, reader), undefined);
    await Deno.writeTextFile(`${dir}/proactive.yaml`, "models: {}\n");
    assertEquals(await readLlmConfig({}, reader), { path: "proactive.yaml", text: "models: {}\n" });
    await assertRejects(
      () => readLlmConfig({ config: `${dir}/missing.yaml` }, reader),
      ProactiveError,
      "Cannot read config",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readLlmConfig reads with the one input reader: BOM dropped, not UTF-8 refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const yaml = "models: {a: {model: m}}\n";
    await Deno.writeFile(
      `${dir}/bom.yaml`,
      new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(yaml)]),
    );
    assertEquals(await readLlmConfig({ config: `${dir}/bom.yaml` }), {
      path: `${dir}/bom.yaml`,
      text: yaml,
    });
    await Deno.writeFile(`${dir}/bad.yaml`, new Uint8Array([0x61, 0x3a, 0x20, 0xe9, 0x0a]));
    await assertRejects(
      () => readLlmConfig({ config: `${dir}/bad.yaml` }),
      ProactiveError,
      `The config "${dir}/bad.yaml" is not UTF-8 text: invalid byte 0xe9 at byte offset 3 (line 1)`,
    );
    await assertRejects(
      () => readLlmConfig({ config: dir }),
      ProactiveError,
      `The config "${dir}" is a folder, not a file`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
