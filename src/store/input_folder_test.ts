import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { listInputFolder, requireAllFiles } from "./input_folder.ts";

const isJson = (name: string) => name.endsWith(".json");

Deno.test("listInputFolder: files and links to files to read, folders named like files apart", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/b.json`, "[]");
    await Deno.writeTextFile(`${dir}/notes.txt`, "");
    await Deno.mkdir(`${dir}/a.json`);
    await Deno.mkdir(`${dir}/sub`);
    await Deno.symlink(`${dir}/b.json`, `${dir}/c.json`);
    await Deno.symlink(`${dir}/sub`, `${dir}/d.json`);
    await Deno.symlink(`${dir}/gone`, `${dir}/e.json`);
    const folder = listInputFolder(dir, isJson);
    assertEquals(folder.files, ["b.json", "c.json", "e.json"]);
    assertEquals(folder.notFiles, [
      { name: "a.json", path: `${dir}/a.json`, reason: `"${dir}/a.json" is a folder, not a file` },
      { name: "d.json", path: `${dir}/d.json`, reason: `"${dir}/d.json" is a folder, not a file` },
    ]);
    assertThrows(
      () => requireAllFiles(folder),
      ProactiveError,
      `"${dir}/a.json" is a folder, not a file (and 1 more)`,
    );
    assertEquals(requireAllFiles(listInputFolder(dir, (name) => name.startsWith("b"))), [
      "b.json",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("listInputFolder names the folder it cannot read", () => {
  assertThrows(
    () => listInputFolder("/nonexistent/results", isJson, { what: "result folder" }),
    ProactiveError,
    'Cannot read the result folder "/nonexistent/results": "/nonexistent/results" does not exist',
  );
});
