import { join } from "node:path";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import { ProactiveError } from "../cli/errors.ts";
import { busyPolicyOf, lockOutputs, lockPathOf } from "./output_lock.ts";
import { readLockOwner } from "./process_lock.ts";
import { withTempDir } from "../../tests/temp_dir.ts";

Deno.test("lockPathOf: a file's lock is beside it, a folder's inside it; paths are resolved", () => {
  assertEquals(lockPathOf({ path: "/a/b/out.json", kind: "file" }), "/a/b/.out.json.lock");
  assertEquals(lockPathOf({ path: "/a/b/", kind: "folder" }), "/a/b/.proactive.lock");
  assertEquals(
    lockPathOf({ path: "./x.json", kind: "file" }),
    lockPathOf({ path: join(Deno.cwd(), "x.json"), kind: "file" }),
  );
  assertEquals(busyPolicyOf({ wait: true }), "wait");
  assertEquals(busyPolicyOf({ wait: false }), "fail");
});

Deno.test("a second run on the same output fails naming the first: command, pid, host", () =>
  withTempDir(async (dir) => {
    const out = join(dir, "data.json");
    const first = await lockOutputs([{ path: out, kind: "file" }], {
      command: "proactive reward",
      onBusy: "fail",
    });
    try {
      const owner = await readLockOwner(lockPathOf({ path: out, kind: "file" }));
      assertEquals(owner?.command, "proactive reward");
      const error = await assertRejects(
        () =>
          lockOutputs([{ path: join(dir, "other.json"), kind: "file" }, {
            path: out,
            kind: "file",
          }], {
            command: "proactive reward",
            onBusy: "fail",
          }),
        ProactiveError,
      );
      assertStringIncludes(
        error.message,
        `"${out}" is in use by proactive reward, process ${Deno.pid}`,
      );
      assertStringIncludes(error.message, `on host ${Deno.hostname()}`);
      assertStringIncludes(error.message, "--wait");
      // The other output it took first was released again.
      const other = await lockOutputs([{ path: join(dir, "other.json"), kind: "file" }], {
        command: "x",
        onBusy: "fail",
      });
      other.release();
    } finally {
      first.release();
    }
    const again = await lockOutputs([{ path: out, kind: "file" }], {
      command: "x",
      onBusy: "fail",
    });
    again.release();
  }));

Deno.test("--wait waits until the first run releases, and a wait ends with its signal", () =>
  withTempDir(async (dir) => {
    const folder = join(dir, "out");
    const first = await lockOutputs([{ path: folder, kind: "folder" }], {
      command: "proactive traces",
      onBusy: "fail",
    });
    const told: string[] = [];
    let second = false;
    const waiting = lockOutputs([{ path: folder, kind: "folder" }], {
      command: "proactive traces",
      onBusy: "wait",
      onWait: (message) => told.push(message),
    }).then((locks) => {
      second = true;
      return locks;
    });
    await new Promise((r) => setTimeout(r, 500));
    assertEquals(second, false);
    assertEquals(told.length, 1);
    assertStringIncludes(told[0], "waiting for it to finish");
    first.release();
    (await waiting).release();
    assert(second);

    const held = await lockOutputs([{ path: folder, kind: "folder" }], {
      command: "x",
      onBusy: "fail",
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("stopped")), 300);
    await assertRejects(
      () =>
        lockOutputs([{ path: folder, kind: "folder" }], {
          command: "x",
          onBusy: "wait",
          signal: controller.signal,
        }),
      Error,
      "stopped",
    );
    held.release();
  }));

Deno.test("a lock held by another process is seen, and a planted link at the lock path is refused", () =>
  withTempDir(async (dir) => {
    const out = join(dir, "set.json");
    const script = `
      import { lockOutputs } from ${
      JSON.stringify(new URL("./output_lock.ts", import.meta.url).href)
    };
      await lockOutputs([{ path: ${
      JSON.stringify(out)
    }, kind: "file" }], { command: "proactive child", onBusy: "fail" });
      console.log("locked");
      await new Promise((r) => setTimeout(r, 60_000));
    `;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    assertStringIncludes(new TextDecoder().decode(value), "locked");
    try {
      const error = await assertRejects(
        () => lockOutputs([{ path: out, kind: "file" }], { command: "x", onBusy: "fail" }),
        ProactiveError,
      );
      assertStringIncludes(error.message, `proactive child, process ${child.pid}`);
    } finally {
      child.kill("SIGKILL");
      await child.status;
      reader.releaseLock();
      await child.stdout.cancel();
    }
    // Killed: the OS dropped its lock.
    (await lockOutputs([{ path: out, kind: "file" }], { command: "x", onBusy: "fail" })).release();

    const victim = join(dir, "victim.txt");
    await Deno.writeTextFile(victim, "keep me");
    const linked = join(dir, "linked.json");
    await Deno.symlink(victim, lockPathOf({ path: linked, kind: "file" }));
    await assertRejects(
      () => lockOutputs([{ path: linked, kind: "file" }], { command: "x", onBusy: "fail" }),
      Error,
      "is a symbolic link",
    );
    assertEquals(await Deno.readTextFile(victim), "keep me");
  }));
