import { unzipSync } from "fflate";
import { join } from "node:path";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import { withTempDir } from "../../tests/temp_dir.ts";
import { createMemoryLogger } from "../cli/testing/memory_logger.ts";
import { resultZipResponse, zipFileName } from "./result_zip.ts";

const NOW = Date.UTC(2026, 11, 7, 20, 30, 0, 123);
const encoder = new TextEncoder();

/** Two result files (one over several read chunks) and a side file; what they hold. */
async function writeResults(out: string): Promise<Map<string, Uint8Array>> {
  const big = JSON.stringify(
    Array.from({ length: 20_000 }, (_, i) => ({ turn: i, label: [i % 7, (i * 31) % 11] })),
  );
  const files = new Map([
    ["results/alpha.json", encoder.encode('[{"real_user":{}}]\n')],
    ["results/beta.json", encoder.encode(big)],
    ["results/notes/alpha.json", encoder.encode('{"trace":"alpha","turns":[]}\n')],
  ]);
  await Deno.mkdir(join(out, "notes"));
  for (const [name, bytes] of files) {
    await Deno.writeFile(join(out, name.slice("results/".length)), bytes);
  }
  return files;
}

/** What must never be in the zip: the store's folder, dot files, temporary files, links. */
async function writeClutter(out: string, outside: string): Promise<void> {
  await Deno.mkdir(join(out, ".state", "replaced"), { recursive: true });
  await Deno.writeTextFile(join(out, ".state", "serve.lock"), "pid");
  await Deno.writeTextFile(join(out, ".state", "replaced", "alpha.json"), "[]");
  await Deno.writeTextFile(join(out, ".hidden.json"), "[]");
  await Deno.writeTextFile(join(out, ".alpha.json.tmp-1a2b3c4d"), "[");
  await Deno.writeTextFile(join(out, "gamma.json.tmp"), "[");
  await Deno.writeTextFile(join(out, "notes", ".alpha.json.tmp-1a2b3c4d"), "{");
  await Deno.writeTextFile(join(out, "README.txt"), "not a result");
  await Deno.mkdir(join(out, "sub.json"));
  await Deno.writeTextFile(join(out, "sub.json", "delta.json"), "[]");
  await Deno.writeTextFile(join(outside, "secret.json"), '"secret"');
  await Deno.symlink(join(outside, "secret.json"), join(out, "secret.json"));
  await Deno.symlink(join(out, "alpha.json"), join(out, "linked.json"));
  await Deno.symlink(join(outside, "secret.json"), join(out, "notes", "secret.json"));
}

async function unzipBody(response: Response): Promise<Record<string, Uint8Array>> {
  return unzipSync(new Uint8Array(await response.arrayBuffer()));
}

Deno.test("the results zip holds the result and side files, nothing else, byte for byte", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "out");
    const outside = join(dir, "outside");
    await Deno.mkdir(out);
    await Deno.mkdir(outside);
    const files = await writeResults(out);
    await writeClutter(out, outside);
    const logger = createMemoryLogger();
    const response = await resultZipResponse({ outDir: out, logger, now: () => NOW });
    assertEquals(response.status, 200);
    assertEquals(response.headers.get("Content-Type"), "application/zip");
    assertEquals(
      response.headers.get("Content-Disposition"),
      'attachment; filename="results-20261207T203000Z.zip"',
    );
    assertEquals(response.headers.get("Cache-Control"), "no-store");
    assertEquals(response.headers.get("X-Content-Type-Options"), "nosniff");
    const entries = await unzipBody(response);
    assertEquals(Object.keys(entries), [...files.keys()]);
    for (const [name, bytes] of files) assertEquals(entries[name], bytes, name);
    assert(files.get("results/beta.json")!.length > 3 * 64 * 1024, "read in several chunks");
    assertEquals(logger.lines, []);
  });
});

Deno.test("the results zip without a notes folder, or with a link in its place", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "out");
    await Deno.mkdir(out);
    await Deno.writeTextFile(join(out, "alpha.json"), "[]\n");
    const logger = createMemoryLogger();
    const options = { outDir: out, logger, now: () => NOW };
    assertEquals(Object.keys(await unzipBody(await resultZipResponse(options))), [
      "results/alpha.json",
    ]);
    await Deno.mkdir(join(dir, "elsewhere"));
    await Deno.writeTextFile(join(dir, "elsewhere", "alpha.json"), "{}");
    await Deno.symlink(join(dir, "elsewhere"), join(out, "notes"));
    assertEquals(Object.keys(await unzipBody(await resultZipResponse(options))), [
      "results/alpha.json",
    ]);
  });
});

Deno.test("the results zip of an empty folder is an empty zip", async () => {
  await withTempDir(async (dir) => {
    const options = { outDir: dir, logger: createMemoryLogger(), now: () => NOW };
    assertEquals(await unzipBody(await resultZipResponse(options)), {});
  });
});

Deno.test("a result file removed after the listing is left out, not a failure", async () => {
  await withTempDir(async (dir) => {
    const files = await writeResults(dir);
    const logger = createMemoryLogger();
    // The folder is listed when the response is made; files are read as the body is.
    const response = await resultZipResponse({ outDir: dir, logger, now: () => NOW });
    await Deno.remove(join(dir, "beta.json"));
    const entries = await unzipBody(response);
    assertEquals(Object.keys(entries), ["results/alpha.json", "results/notes/alpha.json"]);
    assertEquals(entries["results/alpha.json"], files.get("results/alpha.json"));
    assertEquals(logger.lines, [
      `debug: Results zip: "${join(dir, "beta.json")}" is gone, left out`,
    ]);
  });
});

Deno.test("a read error mid-stream errors the body and is logged", async () => {
  await withTempDir(async (dir) => {
    await writeResults(dir);
    const logger = createMemoryLogger();
    const response = await resultZipResponse({ outDir: dir, logger, now: () => NOW });
    const read = Deno.FsFile.prototype.read;
    let reads = 0;
    // alpha.json is read in one chunk and its end; the first read of beta.json fails.
    Deno.FsFile.prototype.read = function (buffer) {
      if (++reads === 3) return Promise.reject(new Error("Input/output error (os error 5)"));
      return read.call(this, buffer);
    };
    try {
      await assertRejects(() => response.arrayBuffer(), Error, "Input/output error");
    } finally {
      Deno.FsFile.prototype.read = read;
    }
    assertEquals(logger.lines.length, 1);
    assertStringIncludes(logger.lines[0], "error: The download of the results zip of");
    assertStringIncludes(logger.lines[0], "failed: Input/output error");
  });
});

Deno.test("zipFileName: UTC, to the second", () => {
  assertEquals(zipFileName(NOW), "results-20261207T203000Z.zip");
  assertEquals(zipFileName(0), "results-19700101T000000Z.zip");
});
