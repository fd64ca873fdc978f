import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { createApp } from "./serve_app.ts";
import { STATIC_ASSETS } from "./static_assets.ts";
import { stripComments } from "./strip_comments.ts";
import { withContext } from "./testing/test_context.ts";

const STATIC_DIR = new URL("../../static/", import.meta.url);
const JS = "text/javascript; charset=utf-8";

/** The names of the .js files in static/, sorted. */
async function staticScripts(): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(STATIC_DIR)) {
    if (entry.isFile && entry.name.endsWith(".js")) names.push(entry.name);
  }
  return names.sort();
}

/** The module specifiers of the static `import … from "…"` / `import "…"` lines of `source`. */
function importsOf(source: string): string[] {
  const pattern = /^\s*import\s+(?:[^;"']*?\sfrom\s+)?["']([^"']+)["']/gm;
  return [...source.matchAll(pattern)].map((match) => match[1]);
}

Deno.test("importsOf finds default, named and bare imports", () => {
  const source = [
    'import a from "./a.js";',
    "import { b,",
    '  c } from "./bc.js";',
    "import './side.js';",
    'const s = "import x from ./no.js";',
  ].join("\n");
  assertEquals(importsOf(source), ["./a.js", "./bc.js", "./side.js"]);
});

Deno.test("every module in static/ is embedded (its comment lines apart), served as JavaScript", async () => {
  const scripts = await staticScripts();
  assert(scripts.includes("app.js") && scripts.length > 2, scripts.join(", "));
  for (const name of scripts) {
    const asset = STATIC_ASSETS.get(`/${name}`);
    assert(asset, `static/${name} is not listed in static_assets.ts`);
    assertEquals(asset.contentType, JS, name);
    const source = await Deno.readTextFile(new URL(name, STATIC_DIR));
    assertEquals(asset.body, stripComments(source), name);
  }
  const served = [...STATIC_ASSETS].filter(([, a]) => a.contentType === JS).map(([p]) => p);
  assertEquals(served.toSorted(), scripts.map((name) => `/${name}`), "no other script is served");
});

Deno.test("every import of a served module names another served module", () => {
  let count = 0;
  for (const [path, asset] of STATIC_ASSETS) {
    if (asset.contentType !== JS) continue;
    for (const specifier of importsOf(asset.body)) {
      assert(/^\.\/[a-z_]+\.js$/.test(specifier), `${path} imports "${specifier}"`);
      assert(STATIC_ASSETS.has(specifier.slice(1)), `${path} imports unserved "${specifier}"`);
      count++;
    }
  }
  assert(count >= 5, `the annotation page is split into modules (${count} imports)`);
  const app = STATIC_ASSETS.get("/app.js")!.body;
  assertStringIncludes(app, 'from "./page.js"');
});

Deno.test("each module is served with its type and headers; unknown assets are 404", async () => {
  await withContext({}, async (ctx) => {
    const app = createApp({ ...ctx, password: "pw" });
    for (const name of await staticScripts()) {
      const response = await app.request(`/${name}`);
      assertEquals(response.status, 200, name);
      assertEquals(response.headers.get("Content-Type"), JS, name);
      assertEquals(response.headers.get("Cache-Control"), "no-cache", name);
      assertEquals(response.headers.get("X-Content-Type-Options"), "nosniff", name);
      assertEquals(response.headers.get("Referrer-Policy"), "no-referrer", name);
      const csp = response.headers.get("Content-Security-Policy") ?? "";
      assertStringIncludes(csp, "script-src 'self'", name);
      assertStringIncludes(csp, "default-src 'self'", name);
      assertEquals(await response.text(), STATIC_ASSETS.get(`/${name}`)!.body, name);
    }
    const unknown = [
      "/missing.js",
      "/static/app.js",
      "/APP.JS",
      "/app.js/",
      "/status.html",
      "/index.html",
      "/serve_app.ts",
      "/%2e%2e/src/serve/serve_app.ts",
    ];
    for (const path of unknown) {
      const response = await app.request(path);
      assertEquals(response.status, 404, path);
      assertEquals(response.headers.get("Content-Type"), "application/json; charset=utf-8", path);
      assertStringIncludes((await response.json()).error, "Not found", path);
    }
  });
});

Deno.test("the annotation page weighs under 60 KiB uncompressed (the admin page apart)", () => {
  // The page, its stylesheet, and every module app.js loads, followed import by import.
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const spec of importsOf(STATIC_ASSETS.get(`/${name}`)!.body)) visit(spec.slice(2));
  };
  visit("app.js");
  assert(!seen.has("status.js"), "the admin page's module is not part of it");
  assert(!seen.has("review.js"), "nor is the review page's");
  const bytes = (path: string) => new TextEncoder().encode(STATIC_ASSETS.get(path)!.body).length;
  const total = bytes("/") + bytes("/app.css") +
    [...seen].reduce((n, name) => n + bytes(`/${name}`), 0);
  assert(total < 60 * 1024, `${total} bytes`);
});
