import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { withTempDir } from "../../tests/temp_dir.ts";
import { ProactiveError } from "../cli/errors.ts";
import { parseGuidelines, readGuidelines } from "./guidelines.ts";

const FILE = fileURLToPath(new URL("../../tests/testdata/serve/guidelines.md", import.meta.url));

Deno.test("guidelines: Markdown as blocks; HTML as text, images as alt text, unsafe links plain", async () => {
  const { blocks, sha256 } = await readGuidelines(FILE);
  assertEquals(sha256.length, 64);
  assertEquals(blocks[0], { t: "h", level: 1, inline: [{ t: "text", text: "How to annotate" }] });
  assertEquals(blocks[1], {
    t: "p",
    inline: [
      { t: "text", text: "Tick every task you would " },
      { t: "strong", inline: [{ t: "text", text: "accept" }] },
      { t: "text", text: " the agent doing " },
      { t: "em", inline: [{ t: "text", text: "now" }] },
      { t: "text", text: "; otherwise press " },
      { t: "code", text: "R" },
      { t: "text", text: "." },
    ],
  });
  assertEquals(blocks[2].t, "list");
  const links = blocks[3].t === "p" ? blocks[3].inline.filter((s) => s.t === "link") : [];
  assertEquals(links.map((l) => l.t === "link" ? l.href : undefined), [
    "https://github.com/thunlp/ProactiveAgent",
    null, // javascript: is not a target
  ]);
  assertEquals(blocks[4], { t: "pre", text: '<script>alert("guidelines")</script>' });
  assertEquals(blocks[5], { t: "p", inline: [{ t: "text", text: "[image: a picture]" }] });
  assertEquals(blocks[6], { t: "pre", text: "1 = first task" });
  assertEquals(JSON.stringify(blocks).includes("example.org"), false, "no image address kept");
});

Deno.test("guidelines: inline HTML stays text; an empty or missing file is an error naming it", async () => {
  assertEquals(parseGuidelines("a <b>bold</b> word"), [{
    t: "p",
    inline: [
      { t: "text", text: "a " },
      { t: "text", text: "<b>" },
      { t: "text", text: "bold" },
      { t: "text", text: "</b>" },
      { t: "text", text: " word" },
    ],
  }]);
  await withTempDir(async (dir) => {
    const empty = join(dir, "empty.md");
    await Deno.writeTextFile(empty, "\n\n");
    await assertRejects(() => readGuidelines(empty), ProactiveError, `"${empty}" is empty`);
    await assertRejects(() => readGuidelines(join(dir, "none.md")), ProactiveError, "none.md");
  });
});
