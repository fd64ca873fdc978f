import { join } from "node:path";
import { assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { SymlinkRefusedError } from "../store/no_follow.ts";
import { claimModelFolder, MODEL_MARKER, readModelMarker } from "./model_marker.ts";
import { withTempDir } from "../../tests/temp_dir.ts";

Deno.test("claimModelFolder marks an unmarked folder, accepts its model, refuses another", () =>
  withTempDir(async (dir) => {
    assertEquals(await readModelMarker(dir), undefined);
    await claimModelFolder(dir, "llama3:8b");
    assertEquals(JSON.parse(await Deno.readTextFile(join(dir, MODEL_MARKER))), {
      model: "llama3:8b",
    });
    await claimModelFolder(dir, "llama3:8b");
    const error = await assertRejects(
      () => claimModelFolder(dir, "llama3 8b"),
      ProactiveError,
      `The folder "${dir}" holds the outputs of the model "llama3:8b", not of "llama3 8b"`,
    );
    assertEquals(error.kind, "input");
    await assertRejects(() => claimModelFolder(dir, "LLAMA3:8B"), ProactiveError, "only in case");
    assertEquals(await readModelMarker(dir), "llama3:8b");
  }));

Deno.test("readModelMarker refuses a marker that is not {model} or is a link", () =>
  withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, MODEL_MARKER), "[1]");
    await assertRejects(() => readModelMarker(dir), ProactiveError, 'is not {"model": "<name>"}');
    await Deno.remove(join(dir, MODEL_MARKER));
    await Deno.writeTextFile(join(dir, "elsewhere.json"), '{"model": "x"}');
    await Deno.symlink(join(dir, "elsewhere.json"), join(dir, MODEL_MARKER));
    const error = await assertRejects(() => claimModelFolder(dir, "y"), SymlinkRefusedError);
    assertStringIncludes(error.message, join(dir, MODEL_MARKER));
  }));
