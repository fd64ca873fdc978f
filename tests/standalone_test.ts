/**
 * The compiled binary must not need the source tree: the frontend and the default data are
 * embedded through imports. `deno compile` downloads a runtime this machine cannot reach,
 * so this test checks the same property with `deno bundle` (one self-contained file, the
 * module graph `deno compile` embeds), run from an empty folder far from the sources.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { runDeno as run } from "./run_deno.ts";
import { stripComments } from "../src/serve/strip_comments.ts";

const ROOT = `${import.meta.dirname}/..`;

Deno.test("a bundled build serves the embedded page and traces from an empty folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "proactive-standalone-" });
  const bundle = `${dir}/proactive.js`;
  const built = await run([
    "bundle",
    "--platform",
    "deno",
    "--quiet",
    "-o",
    bundle,
    `${ROOT}/main.ts`,
  ], ROOT);
  assertEquals(built.code, 0, built.stderr);

  const cwd = `${dir}/elsewhere`;
  await Deno.mkdir(cwd);
  const version = await run(["run", bundle, "--version"], cwd);
  assertEquals(version.code, 0, version.stderr);
  assertStringIncludes(version.stdout, "proactive ");
  // The embedded seed file of `proactive scenes` is in the bundle (read before any request).
  const seeds = await run(["run", "-A", bundle, "scenes", "--model", "m", "--kinds", "x"], cwd);
  assertEquals(seeds.code, 1, seeds.stderr);
  assertStringIncludes(
    seeds.stderr,
    `"embedded seedtask.yaml" has "codingassistant", "writingassistant", "dailyassistant"`,
  );

  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-kv", "-A", bundle, "serve", "--port", "0", "--out", `${cwd}/out`],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    let url = "";
    while (!url) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
      url = seen.match(/Listening on (http:\/\/\S+)/)?.[1] ?? "";
    }
    reader.releaseLock();
    assert(url, `no Listening line in ${JSON.stringify(seen)}`);

    const page = await fetch(url).then((r) => r.text());
    assertEquals(page, await Deno.readTextFile(`${ROOT}/static/index.html`));
    // The page's ES modules, entry first: each one is served from the bundle (without its
    // comment lines).
    for (const name of ["app.js", "page.js", "annotation.js"]) {
      const script = await fetch(new URL(name, url));
      assertEquals(script.headers.get("content-type"), "text/javascript; charset=utf-8", name);
      const source = await Deno.readTextFile(`${ROOT}/static/${name}`);
      assertEquals(await script.text(), stripComments(source), name);
    }

    const login = await fetch(new URL("api/login", url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "standalone", password: "password" }),
    });
    assertEquals(login.status, 200);
    await login.body?.cancel();
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0];
    const state = await fetch(new URL("api/next", url), {
      method: "POST",
      headers: { "content-type": "application/json", cookie },
      body: "{}",
    }).then((r) => r.json());
    assertEquals(state.trace, "code_11", "the embedded ProactiveBench traces are served");
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await child.stdout.cancel().catch(() => {});
    await child.stderr.cancel();
    await Deno.remove(dir, { recursive: true });
  }
});
