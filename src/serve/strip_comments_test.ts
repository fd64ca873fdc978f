import { assertEquals } from "../../tests/assert.ts";
import { stripComments } from "./strip_comments.ts";
import { STATIC_ASSETS } from "./static_assets.ts";

Deno.test("stripComments drops whole-line comments and blank lines, nothing else", () => {
  const source = [
    "// a line comment",
    "/**",
    " * A doc comment.",
    " */",
    "const a = 1; // a trailing comment stays",
    "",
    "/* one-line block */",
    'const url = "//not a comment";',
    "  /* indented",
    "     block */",
    "const b = 2;",
  ].join("\n");
  assertEquals(
    stripComments(source),
    'const a = 1; // a trailing comment stays\nconst url = "//not a comment";\nconst b = 2;\n',
  );
});

Deno.test("stripComments keeps the lines of a multi-line template literal", () => {
  const source = [
    "const html = `<p>",
    "// kept: inside the template",
    "",
    "/* kept too */",
    "</p>`;",
    "// dropped",
    "const c = `a \\` b`; const d = `x`;",
    "// dropped as well",
  ].join("\n");
  assertEquals(
    stripComments(source),
    "const html = `<p>\n// kept: inside the template\n\n/* kept too */\n</p>`;\n" +
      "const c = `a \\` b`; const d = `x`;\n",
  );
});

Deno.test("every served module and the stylesheet are served without comment lines", () => {
  for (const [path, asset] of STATIC_ASSETS) {
    if (!path.endsWith(".js") && !path.endsWith(".css")) continue;
    const lines = asset.body.split("\n").map((line) => line.trim());
    assertEquals(lines.filter((line) => line.startsWith("//")), [], path);
    assertEquals(lines.filter((line) => line === "").length, 1, path); // the final newline
  }
});
