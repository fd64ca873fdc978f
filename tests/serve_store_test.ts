/**
 * End-to-end tests of `proactive serve`'s storage over real processes and HTTP: a lost
 * store is rebuilt from the result files, one server per store, a damaged store is
 * refused, a busy port creates nothing, and result files that cannot be written are
 * retried and reported (health, status, shutdown line, exit code).
 */
import { canMountTmpfs } from "./tmpfs.ts";
import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { parseResultText } from "../src/formats/result_file.ts";
import { ApiClient, ROOT, type ServeChild, spawnServe } from "./serve_client.ts";

const PASSWORD = "store-test";
const ADMIN_PASSWORD = "store-admin";
const TRACES = join(ROOT, "tests", "testdata", "serve", "traces");

/** Runs a `serve` that is expected to exit by itself (killed after 60 s otherwise). */
async function serveUntilExit(
  args: string[],
): Promise<{ code: number; stderr: string; stdout: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-kv", "-A", join(ROOT, "main.ts"), "serve", ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal: AbortSignal.timeout(60_000),
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stderr: decoder.decode(output.stderr),
    stdout: decoder.decode(output.stdout),
  };
}

/** SIGTERM and wait: the exit code and everything the server wrote to stderr. */
async function stop(server: ServeChild): Promise<{ code: number; stderr: string }> {
  server.child.kill("SIGTERM");
  const status = await server.child.status;
  await server.drained;
  return { code: status.code, stderr: server.stderr() };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "serve-store-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** "trace|annotator|turn" → label, from every result file in `dir`. */
async function labelsInFiles(dir: string): Promise<Map<string, unknown>> {
  const found = new Map<string, unknown>();
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".json")) continue;
    const trace = entry.name.slice(0, -5);
    const file = parseResultText(await Deno.readTextFile(join(dir, entry.name)), entry.name);
    file.forEach((turn, index) => {
      for (const [id, label] of Object.entries(turn.real_user ?? {})) {
        found.set(`${trace}|${id}|${index}`, label);
      }
    });
  }
  return found;
}

/** Labels `count` questions as `username` (Next whenever a trace is finished). */
async function labelSome(url: string, username: string, count: number) {
  const client = new ApiClient(url);
  const id = await client.login(username, PASSWORD);
  let state = (await client.call("/api/next", {})).body;
  for (let i = 0; i < count && !state.allDone; i++) {
    if (state.finished) {
      state = (await client.call("/api/next", {})).body;
      if (state.allDone) break;
    }
    const reply = await client.call("/api/label", {
      trace: state.trace,
      turn: state.question.turn,
      label: state.question.kind === "help" ? "need" : "Reject all",
    });
    assertEquals(reply.status, 200, JSON.stringify(reply.body));
    state = reply.body;
  }
  return { client, id, state };
}

async function removeStore(kvPath: string): Promise<void> {
  for (const suffix of ["", "-wal", "-shm"]) {
    await Deno.remove(kvPath + suffix).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }
}

Deno.test("deleting the store loses no label: the restart imports the result files", async () => {
  await withDir(async (dir) => {
    const args = ["--port", "0", "--out", dir, "--data", TRACES, "--password", PASSWORD];
    args.push("--admin-password", ADMIN_PASSWORD);
    const first = await spawnServe(args);
    let ids: string[];
    try {
      // ann finishes alpha (3 questions) and beta (2); bob answers one question of gamma.
      ids = [(await labelSome(first.url, "ann", 5)).id, (await labelSome(first.url, "bob", 1)).id];
    } finally {
      assertEquals((await stop(first)).code, 0);
    }
    const before = await labelsInFiles(dir);
    assertEquals(before.size, 6);
    const filesBefore = new Map<string, string>();
    for (const name of ["alpha.json", "beta.json", "empty_gamma.json"]) {
      filesBefore.set(name, await Deno.readTextFile(join(dir, name)));
    }

    await removeStore(join(dir, ".state", "serve.kv"));
    const second = await spawnServe(args);
    try {
      assertEquals(await labelsInFiles(dir), before);
      for (const [name, text] of filesBefore) {
        assertEquals(await Deno.readTextFile(join(dir, name)), text, name);
      }
      // Through the API: the imported annotators, their labels and progress.
      const viewer = new ApiClient(second.url);
      await viewer.login("viewer", ADMIN_PASSWORD);
      const status = (await viewer.call("/api/status")).body;
      const counts = Object.fromEntries(
        status.annotators.filter((a: { id: string }) => ids.includes(a.id)).map((
          a: { id: string; done: number; inProgress: number; labels: number },
        ) => [a.id, [a.done, a.inProgress, a.labels]]),
      );
      assertEquals(counts, { [ids[0]]: [2, 0, 5], [ids[1]]: [0, 1, 1] });
      const alpha = status.traces.find((t: { trace: string }) => t.trace === "alpha");
      assertEquals([alpha.done, alpha.inProgress], [1, 0]);
    } finally {
      const stopped = await stop(second);
      assertEquals(stopped.code, 0, stopped.stderr);
      assertStringIncludes(stopped.stderr, "Imported 6 labels of 3 annotator reservations");
      assertStringIncludes(
        stopped.stderr,
        `Imported 1 label of annotator ${ids![1]} on "empty_gamma" (in progress)`,
      );
      assertStringIncludes(
        stopped.stderr,
        `Imported 3 labels of annotator ${ids![0]} on "alpha" (done)`,
      );
    }
  });
});

Deno.test("a result file that is a link to a file elsewhere: serve exits 1 naming it, reads nothing through it", async () => {
  await withDir(async (dir) => {
    const secretDir = await Deno.makeTempDir({ prefix: "serve-secret-" });
    try {
      const secret = join(secretDir, "shadow");
      const secretText = "root:$6$SECRET-SALT$SECRET-HASH:19000:0:99999:7:::\n";
      await Deno.writeTextFile(secret, secretText);
      await Deno.chmod(secret, 0o640);
      const out = join(dir, "out");
      await Deno.mkdir(out);
      await Deno.symlink(secret, join(out, "alpha.json"));
      const run = await serveUntilExit(["--port", "0", "--out", out, "--data", TRACES]);
      assertEquals(run.code, 1, run.stderr);
      assertStringIncludes(run.stderr, `"${join(out, "alpha.json")}" is a symbolic link`);
      assert(!`${run.stdout}${run.stderr}`.includes("SECRET"), run.stderr);
      const replaced = join(out, ".state", "replaced");
      let copies: string[] = [];
      try {
        copies = [...Deno.readDirSync(replaced)].map((e) => e.name);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      assertEquals(copies, []);
      assert((await Deno.lstat(join(out, "alpha.json"))).isSymlink);
      assertEquals(await Deno.readTextFile(secret), secretText);
      assertEquals((await Deno.stat(secret)).mode! & 0o777, 0o640);
    } finally {
      await Deno.remove(secretDir, { recursive: true });
    }
  });
});

Deno.test("a result file holding another trace's entries is not imported, and is kept in replaced/ (0600)", async () => {
  await withDir(async (dir) => {
    // beta's saved turns, with a label at each of alpha's questions (1, 3 and 4) that alpha
    // would take.
    const beta = JSON.parse(await Deno.readTextFile(join(TRACES, "beta.json")));
    const gamma = JSON.parse(await Deno.readTextFile(join(TRACES, "empty_gamma.json")));
    const entries = [...beta, ...gamma].slice(0, 6).map((turn) => ({
      observation: turn.observation,
      candidate_task: turn.agent_response.candidate_task,
    }));
    for (const q of [1, 3, 4]) Object.assign(entries[q], { real_user: { x: "Reject all" } });
    const text = JSON.stringify(entries, null, 4);
    await Deno.writeTextFile(join(dir, "alpha.json"), text);
    const server = await spawnServe(["--port", "0", "--out", dir, "--data", TRACES]);
    const stopped = await stop(server);
    assertEquals(stopped.code, 0, stopped.stderr);
    assert(!stopped.stderr.includes("Imported"), stopped.stderr);
    const replaced = join(dir, ".state", "replaced");
    const [copy] = [...Deno.readDirSync(replaced)].map((e) => join(replaced, e.name));
    assertStringIncludes(
      stopped.stderr,
      `The result file "${join(dir, "alpha.json")}" does not match its trace`,
    );
    assertStringIncludes(stopped.stderr, `kept a copy as "${copy}"`);
    assertEquals(await Deno.readTextFile(copy), text);
    assertEquals((await Deno.stat(copy)).mode! & 0o777, 0o600);
  });
});

Deno.test("a second server on the same --out or --kv exits 1 naming the first; kill -9 frees both", async () => {
  await withDir(async (dir) => {
    const out = join(dir, "out");
    const kv = join(dir, "store", "serve.kv");
    const args = ["--port", "0", "--out", out, "--kv", kv, "--data", TRACES];
    const first = await spawnServe(args);
    try {
      const pid = first.child.pid;
      const sameOut = await serveUntilExit(["--port", "0", "--out", out, "--data", TRACES]);
      assertEquals(sameOut.code, 1, sameOut.stderr);
      assertStringIncludes(
        sameOut.stderr,
        `The result folder "${out}" is in use by proactive serve, process`,
      );
      assertStringIncludes(sameOut.stderr, `process ${pid} on host`);
      const sameKv = await serveUntilExit([
        "--port",
        "0",
        "--out",
        join(dir, "other"),
        "--kv",
        kv,
        "--data",
        TRACES,
      ]);
      assertEquals(sameKv.code, 1, sameKv.stderr);
      assertStringIncludes(
        sameKv.stderr,
        `The store "${kv}" is in use by proactive serve, process`,
      );
      assertStringIncludes(sameKv.stderr, `process ${pid} on host`);
    } finally {
      first.child.kill("SIGKILL");
      await first.child.status;
      await first.drained;
    }
    // The lock files are still there, but the killed server's locks died with it.
    await Deno.stat(join(out, ".state", "serve.lock"));
    await Deno.stat(`${kv}.lock`);
    const again = await spawnServe(args);
    const stopped = await stop(again);
    assertEquals(stopped.code, 0, stopped.stderr);
  });
});

Deno.test("a damaged store refuses to start and says how to recover; its labels come back", async () => {
  await withDir(async (dir) => {
    const args = ["--port", "0", "--out", dir, "--data", TRACES, "--password", PASSWORD];
    const first = await spawnServe(args);
    try {
      await labelSome(first.url, "ann", 2);
    } finally {
      assertEquals((await stop(first)).code, 0);
    }
    const before = await labelsInFiles(dir);
    const kv = join(dir, ".state", "serve.kv");
    await removeStore(kv);
    await Deno.writeFile(kv, new Uint8Array(16384).map((_, i) => (i * 131) % 256));
    const refused = await serveUntilExit(args);
    assertEquals(refused.code, 1, refused.stderr);
    assertStringIncludes(refused.stderr, `The store "${kv}" is damaged (`);
    assertStringIncludes(refused.stderr, `move it away (mv ${kv} ${kv}.broken`);
    assertStringIncludes(refused.stderr, "labels come back from the result files");
    assertEquals(await labelsInFiles(dir), before); // nothing was overwritten

    await Deno.rename(kv, `${kv}.broken`);
    const second = await spawnServe(args);
    assertEquals(await labelsInFiles(dir), before);
    const stopped = await stop(second);
    assertEquals(stopped.code, 0, stopped.stderr);
    assertStringIncludes(stopped.stderr, "Imported 2 labels");
  });
});

Deno.test("a busy port is reported before any folder or store is created", async () => {
  await withDir(async (dir) => {
    const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const port = (busy.addr as Deno.NetAddr).port;
      const out = join(dir, "out");
      const kv = join(dir, "kv", "serve.kv");
      const run = await serveUntilExit(["--port", String(port), "--out", out, "--kv", kv]);
      assertEquals(run.code, 1, run.stderr);
      assertStringIncludes(run.stderr, `Cannot listen on 127.0.0.1:${port}`);
      const left = [];
      for await (const entry of Deno.readDir(dir)) left.push(entry.name);
      assertEquals(left, []);
    } finally {
      busy.close();
    }
  });
});

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const value = await fn();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

Deno.test("a result file that cannot be written is retried, reported unhealthy, and fails the exit", async () => {
  await withDir(async (dir) => {
    const args = ["--port", "0", "--out", dir, "--data", TRACES, "--password", PASSWORD];
    args.push("--admin-password", ADMIN_PASSWORD);
    const server = await spawnServe(args);
    let stopped: { code: number; stderr: string } | undefined;
    try {
      const { client, state } = await labelSome(server.url, "ann", 1);
      const health = () => client.call("/api/health");
      assertEquals((await health()).status, 200);
      // A directory where the file must go: rename(2) over it fails, even for root.
      const target = join(dir, `${state.trace}.json`);
      const block = () =>
        waitFor("the directory in place", async () => {
          // A write still in flight may put the file back between the two calls: again.
          await Deno.remove(target, { recursive: true }).catch(() => {});
          return await Deno.mkdir(join(target, "blocker"), { recursive: true }).then(
            () => true,
            () => undefined,
          );
        });
      await block();
      const label = await client.call("/api/label", {
        trace: state.trace,
        turn: state.question.turn,
        label: "Reject all",
      });
      assertEquals(label.status, 200); // the store took it: the label is safe
      const sick = await waitFor("two failed attempts", async () => {
        const reply = await health();
        return reply.status === 503 && reply.body.staleFiles[0]?.attempts >= 2 ? reply : undefined;
      });
      assertEquals(sick.body.ok, false);
      assertEquals(sick.body.staleFiles[0].file, `${state.trace}.json`);
      assertStringIncludes(sick.body.reasons[0], `${state.trace}.json is stale`);
      const admin = new ApiClient(server.url);
      await admin.login("lead", ADMIN_PASSWORD);
      const status = (await admin.call("/api/status")).body;
      assertEquals([status.storage.ok, status.storage.staleFiles.length], [false, 1]);

      await Deno.remove(target, { recursive: true });
      await waitFor("health back to 200", async () => {
        const reply = await health();
        return reply.status === 200 ? reply : undefined;
      });
      const file = parseResultText(await Deno.readTextFile(target), target);
      assert(file.some((e) => Object.values(e.real_user ?? {}).includes("Reject all")));

      await block();
      const broken = await client.call("/api/label", {
        trace: state.trace,
        turn: state.question.turn,
        label: [0],
      });
      assertEquals(broken.status, 200);
      await waitFor("a stale file", async () => {
        const reply = await health();
        return reply.status === 503 ? reply : undefined;
      });
      stopped = await stop(server);
    } finally {
      if (!stopped) await stop(server);
    }
    assertEquals(stopped.code, 1, stopped.stderr);
    assertStringIncludes(stopped.stderr, "retrying in");
    assertStringIncludes(stopped.stderr, "is current again");
    assertStringIncludes(stopped.stderr, "Server stopped; 1 result file is stale:");
    // The OS error names the folder in the way (the rename's target, not the temporary file).
    assert(/\/\w+\.json" is a folder, not a file/.test(stopped.stderr), stopped.stderr);
  });
});

Deno.test({
  name: "a really full disk (1 MB tmpfs) answers a label with 507, a wrong password with 401",
  ignore: !canMountTmpfs(), // needs root; CI runs as root
  async fn() {
    const mount = await Deno.makeTempDir({ prefix: "serve-full-" });
    const mounted = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mount],
    }).output();
    assert(mounted.success, new TextDecoder().decode(mounted.stderr));
    try {
      const server = await spawnServe([
        "--port",
        "0",
        "--out",
        mount,
        "--data",
        TRACES,
        "--password",
        PASSWORD,
      ]);
      let stopped: { code: number; stderr: string } | undefined;
      try {
        const { client, state } = await labelSome(server.url, "ann", 1);
        // Fill the file system (bounded by its 1 MB).
        const filler = await Deno.open(join(mount, "filler"), { write: true, create: true });
        try {
          const chunk = new Uint8Array(4096);
          for (let i = 0; i < 1024; i++) await filler.write(chunk);
          throw new Error("the 1 MB tmpfs did not fill up");
        } catch (error) {
          assertStringIncludes(String(error), "No space left on device");
        } finally {
          filler.close();
        }
        const question = { trace: state.trace, turn: state.question.turn };
        const full = await client.call("/api/label", { ...question, label: "Reject all" });
        assertEquals(full.status, 507, JSON.stringify(full.body));
        assertStringIncludes(full.body.error, "disk is full");
        const wrong = await client.call("/api/login", { username: "ann", password: "nope" });
        assertEquals([wrong.status, wrong.body.error], [401, "Wrong password"]);

        await Deno.remove(join(mount, "filler"));
        const room = await client.call("/api/label", { ...question, label: "Reject all" });
        assertEquals(room.status, 200, JSON.stringify(room.body));
        stopped = await stop(server);
      } finally {
        if (!stopped) await stop(server);
      }
      assertEquals(stopped.code, 0, stopped.stderr);
      assertStringIncludes(stopped.stderr, "database or disk is full");
    } finally {
      const unmounted = await new Deno.Command("umount", { args: [mount] }).output();
      if (!unmounted.success) await new Deno.Command("umount", { args: ["-l", mount] }).output();
      await Deno.remove(mount, { recursive: true });
    }
  },
});
