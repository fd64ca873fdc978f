/**
 * The layout rules of ARCHITECTURE.md that a test can hold: product code never imports
 * test support (`testing/` folders, `_test.ts` files), and every module of `src/serve/`,
 * `src/convert/` and `src/stage/` opens with a module doc (`@module`).
 */
import { join, relative } from "node:path";
import { assertEquals } from "./assert.ts";
import { ROOT } from "./run_deno.ts";

function* sources(dir: string): Generator<string> {
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* sources(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

const isSupport = (path: string) => path.includes("/testing/") || path.endsWith("_test.ts");

Deno.test("product code never imports test support", () => {
  const offenders: string[] = [];
  for (const path of sources(join(ROOT, "src"))) {
    if (isSupport(path)) continue;
    const text = Deno.readTextFileSync(path);
    for (const match of text.matchAll(/^(?:import|export)[^;]*?from "([^"]+)"/gms)) {
      if (match[1].includes("/testing/") || match[1].endsWith("_test.ts")) {
        offenders.push(`${relative(ROOT, path)} imports ${match[1]}`);
      }
    }
  }
  assertEquals(offenders, []);
});

Deno.test("every module of serve, convert and stage opens with a module doc", () => {
  const missing: string[] = [];
  for (const folder of ["serve", "convert", "stage"]) {
    for (const path of sources(join(ROOT, "src", folder))) {
      if (isSupport(path)) continue;
      const text = Deno.readTextFileSync(path);
      if (!text.startsWith("/**") || !text.slice(0, text.indexOf("*/")).includes("@module")) {
        missing.push(relative(ROOT, path));
      }
    }
  }
  assertEquals(missing, []);
});
