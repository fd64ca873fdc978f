import { importInto, writeAll } from "./testing/result_files.ts";
import { join } from "node:path";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import {
  parseResultText,
  type ResultEntry,
  type ResultFile,
  type StoredResultFile,
  stringifyResultFile,
} from "../formats/result_file.ts";
import type { Trace } from "../formats/trace.ts";
import { lstatOrUndefined, SymlinkRefusedError } from "../store/no_follow.ts";
import { nextAssignment } from "./assignment.ts";
import { KEY, MAX_MUTATIONS, type TraceRecord } from "./kv_schema.ts";
import { listHistory, submitLabel } from "./labels.ts";
import { type Catalog, catalogTrace } from "./trace_catalog.ts";
import { openTestContext, withContext } from "./testing/test_context.ts";
import { withTempDir } from "../../tests/temp_dir.ts";

Deno.test("a lost store is rebuilt from the result files: members, labels, done or in progress", async () => {
  await withTempDir(async (dir) => {
    const before = new Map<string, string>();
    await withContext({}, async (ctx) => {
      const alpha = ctx.catalog.get("alpha")!;
      for (const id of ["a", "b", "c", "d"]) await nextAssignment(ctx, id); // a, d on alpha
      for (const turn of alpha.questions) {
        await submitLabel(ctx, { annotator: "a", trace: alpha, turn, label: [0] });
      }
      await submitLabel(ctx, {
        annotator: "d",
        trace: alpha,
        turn: alpha.questions[0],
        label: "Reject all",
      });
      await writeAll(ctx, dir);
      for (const name of ["alpha.json"]) {
        before.set(name, await Deno.readTextFile(join(dir, name)));
      }
    });
    await withContext({}, async (fresh) => {
      const report = await importInto(fresh, dir);
      const alpha = fresh.catalog.get("alpha")!;
      assertEquals(report.imported, [
        { trace: "alpha", annotator: "a", labels: alpha.questions.length, done: true },
        { trace: "alpha", annotator: "d", labels: 1, done: false },
      ]);
      assertEquals(report.savedCopies, []);
      const record = (await fresh.kv.get<TraceRecord>(KEY.trace("alpha"))).value!;
      assertEquals(record.members.map((m) => [m.id, m.answered]), [
        ["a", alpha.questions.length],
        ["d", 1],
      ]);
      assertEquals((await fresh.kv.get(KEY.current("d"))).value, "alpha");
      assertEquals((await fresh.kv.get(KEY.current("a"))).value, null);
      const history = await listHistory(fresh.kv, "alpha");
      assertEquals(history.length, alpha.questions.length + 1);
      assert(history.every((h) => h.reason === "imported" && h.old === null));
      assert(
        fresh.logLines.some((l) => l.includes(`Imported ${alpha.questions.length + 1} labels`)),
      );
      // The rewritten file is the same file.
      await writeAll(fresh, dir);
      assertEquals(await Deno.readTextFile(join(dir, "alpha.json")), before.get("alpha.json"));
      // The annotator in progress carries on where they were.
      await fresh.records.load();
      const resumed = await nextAssignment(fresh, "d");
      assertEquals([resumed?.trace.name, resumed?.resumed, resumed?.member.answered], [
        "alpha",
        true,
        1,
      ]);
      // A second start imports nothing more.
      assertEquals((await importInto(fresh, dir)).imported, []);
    });
  });
});

Deno.test("the store wins where it knows the annotator; a file holding more is saved first", async () => {
  await withTempDir(async (dir) => {
    await withContext({}, async (ctx) => {
      const alpha = ctx.catalog.get("alpha")!;
      await nextAssignment(ctx, "a");
      await submitLabel(ctx, {
        annotator: "a",
        trace: alpha,
        turn: alpha.questions[0],
        label: [0],
      });
      await writeAll(ctx, dir);
      const path = join(dir, "alpha.json");
      const file = parseResultText(await Deno.readTextFile(path), path);
      // Hand-edited: a's label changed, and a second answer the store never saw.
      file[alpha.questions[0]].real_user = { a: [1] };
      const text = stringifyResultFile(file);
      await Deno.writeTextFile(path, text);
      const report = await importInto(ctx, dir);
      assertEquals(report.imported, []);
      assertEquals(report.savedCopies.length, 1);
      assert(report.savedCopies[0].startsWith(join(dir, ".state", "replaced", "alpha.")));
      assertEquals(await Deno.readTextFile(report.savedCopies[0]), text);
      assert(ctx.logLines.some((l) => l.includes("holds labels the store does not have")));
    });
  });
});

Deno.test("a reference result file with raw trace turns appended after the last answer is imported", async () => {
  await withTempDir(async (dir) => {
    await withContext({}, async (ctx) => {
      const alpha = ctx.catalog.get("alpha")!;
      const last = alpha.questions[alpha.questions.length - 1];
      // As the reference server writes a finished trace: the saved turns up to the last
      // question, then the rest of the trace's turns exactly as they are in the trace.
      const file: StoredResultFile = alpha.turns.map((turn, i) =>
        i <= last
          ? { observation: turn.observation, candidate_task: turn.agent_response.candidate_task }
          : { ...turn }
      );
      for (const q of alpha.questions) (file[q] as ResultEntry).real_user = { r: "Reject all" };
      assert(file.length > last + 1, "the fixture must have raw turns after the last question");
      await Deno.writeTextFile(join(dir, "alpha.json"), stringifyResultFile(file));
      const report = await importInto(ctx, dir);
      assertEquals(report.imported, [
        { trace: "alpha", annotator: "r", labels: alpha.questions.length, done: true },
      ]);
      assertEquals(report.savedCopies, []);
    });
  });
});

Deno.test("only the valid prefix of questions is imported; a broken file is saved, not imported", async () => {
  await withTempDir(async (dir) => {
    await withContext({}, async (ctx) => {
      const alpha = ctx.catalog.get("alpha")!;
      const [q0, q1, q2] = alpha.questions;
      const file: ResultFile = alpha.turns.map((turn) => ({
        observation: turn.observation,
        candidate_task: turn.agent_response.candidate_task,
      }));
      file[q0].real_user = { x: "Reject all" };
      file[q1].real_user = { x: [99] }; // out of range: stops the prefix
      file[q2].real_user = { x: [0], y: [0] }; // y skipped q0: nothing to import
      await Deno.writeTextFile(join(dir, "alpha.json"), stringifyResultFile(file));
      await Deno.writeTextFile(join(dir, "beta.json"), "[{");
      const report = await importInto(ctx, dir);
      assertEquals(report.imported, [{ trace: "alpha", annotator: "x", labels: 1, done: false }]);
      assertEquals(report.savedCopies.map((p) => p.split("/").pop()!.split(".")[0]), [
        "alpha",
        "beta",
      ]);
      assert(ctx.logLines.some((l) => l.includes("is not a valid result file")));
    });
  });
});

Deno.test("an annotator the store released is not brought back", async () => {
  await withTempDir(async (dir) => {
    await withContext({ reclaimAfterMs: 1000 }, async (ctx) => {
      const alpha = ctx.catalog.get("alpha")!;
      await nextAssignment(ctx, "a");
      await submitLabel(ctx, {
        annotator: "a",
        trace: alpha,
        turn: alpha.questions[0],
        label: [0],
      });
      await writeAll(ctx, dir); // the file still shows a's label …
      ctx.clock.now += 5000;
      await nextAssignment(ctx, "b"); // … while the store released a
      const report = await importInto(ctx, dir);
      assertEquals(report.imported, []);
      assertEquals(report.savedCopies.length, 1);
    });
  });
});

Deno.test("a long trace is imported in atomic operations below KV's mutation limit", async () => {
  await withTempDir(async (dir) => {
    const questions = MAX_MUTATIONS; // two mutations per label: needs several operations
    const turns: Trace = Array.from({ length: questions }, (_, i) => ({
      observation: { time: String(1_700_000_000 + i), event: `event ${i}` },
      agent_response: { candidate_task: ["a task"] },
    } as Trace[number]));
    const trace = catalogTrace("long", turns, []);
    const catalog: Catalog = {
      traces: [trace],
      get: (n) => (n === "long" ? trace : undefined),
      source: "test",
    };
    const file: ResultFile = turns.map((turn) => ({
      observation: turn.observation,
      candidate_task: turn.agent_response.candidate_task,
      real_user: { z: [0] },
    }));
    await Deno.writeTextFile(join(dir, "long.json"), stringifyResultFile(file));
    const ctx = await openTestContext({ catalog });
    try {
      const report = await importInto(ctx, dir);
      assertEquals(report.imported, [{
        trace: "long",
        annotator: "z",
        labels: questions,
        done: true,
      }]);
      let labels = 0;
      for await (const _ of ctx.kv.list({ prefix: KEY.labelsOfMember("long", "z") })) labels++;
      assertEquals(labels, questions);
    } finally {
      ctx.close();
    }
  });
});

/** The saved turns of `trace` (as serve writes them), without labels. */
function savedTurns(trace: Trace): ResultEntry[] {
  return trace.map((turn) => ({
    observation: turn.observation,
    candidate_task: turn.agent_response.candidate_task,
  }));
}

const secretText = "root:x:0:0:root:/root:/bin/bash\nSECRET-4242\n";

Deno.test("a result file of another trace gives no label; it is kept (mode 0600), named in the log, once", async () => {
  await withTempDir(async (dir) => {
    await withContext({}, async (ctx) => {
      const alpha = ctx.catalog.get("alpha")!;
      const gamma = ctx.catalog.get("empty_gamma")!;
      // gamma's turns, with labels at alpha's question turns that alpha would accept.
      const file = savedTurns(gamma.turns.slice(0, alpha.turns.length));
      for (const q of alpha.questions) file[q].real_user = { x: "Reject all" };
      const text = stringifyResultFile(file);
      const path = join(dir, "alpha.json");
      await Deno.writeTextFile(path, text);
      const report = await importInto(ctx, dir);
      assertEquals(report.imported, []);
      assertEquals((await ctx.kv.get<TraceRecord>(KEY.trace("alpha"))).value, null);
      assertEquals(report.savedCopies.length, 1);
      const [copy] = report.savedCopies;
      assert(copy.startsWith(join(dir, ".state", "replaced", "alpha.")), copy);
      assertEquals(await Deno.readTextFile(copy), text);
      assertEquals((await Deno.stat(copy)).mode! & 0o777, 0o600);
      assert(
        ctx.logLines.some((l) =>
          l.includes(`The result file "${path}" does not match its trace: 6 of its 6 entries`) &&
          l.includes(`kept a copy as "${copy}"`)
        ),
        ctx.logLines.join("\n"),
      );
      // The next start finds the same bytes kept: no second copy.
      assertEquals((await importInto(ctx, dir)).savedCopies, [copy]);
      assertEquals([...Deno.readDirSync(join(dir, ".state", "replaced"))].length, 1);
    });
  });
});

Deno.test("labels come only from the entries that are the trace's turns", async () => {
  await withTempDir(async (dir) => {
    await withContext({}, async (ctx) => {
      const alpha = ctx.catalog.get("alpha")!;
      const [q0, q1, q2] = alpha.questions;
      const file = savedTurns(alpha.turns);
      for (const q of [q0, q1, q2]) file[q].real_user = { x: "Reject all" };
      file[q2].candidate_task = ["another task"]; // not alpha's turn any more
      await Deno.writeTextFile(join(dir, "alpha.json"), stringifyResultFile(file));
      const report = await importInto(ctx, dir);
      assertEquals(report.imported, [{ trace: "alpha", annotator: "x", labels: 2, done: false }]);
      assertEquals(report.savedCopies.length, 1);
      assert(ctx.logLines.some((l) => l.includes(`1 of its 6 entries are not the turns`)));
      assert(ctx.logLines.some((l) => l.includes(`entry ${q2} has another observation`)));
    });
  });
});

Deno.test("a result file that is a symbolic link is refused, and nothing is read from its target", async () => {
  await withTempDir(async (dir) => {
    await withTempDir(async (elsewhere) => {
      const secret = join(elsewhere, "shadow");
      await Deno.writeTextFile(secret, secretText);
      await Deno.chmod(secret, 0o640);
      await Deno.symlink(secret, join(dir, "alpha.json"));
      await withContext({}, async (ctx) => {
        const error = await assertRejects(() => importInto(ctx, dir), SymlinkRefusedError);
        assertStringIncludes(error.message, `"${join(dir, "alpha.json")}" is a symbolic link`);
        assertStringIncludes(error.message, 'result file of the trace "alpha"');
        assert(!ctx.logLines.join("\n").includes("SECRET"));
      });
      assertEquals(await lstatOrUndefined(join(dir, ".state")), undefined);
      assertEquals(await Deno.readTextFile(secret), secretText);
      assertEquals((await Deno.stat(secret)).mode! & 0o777, 0o640);
    });
  });
});

Deno.test("a link at .state/replaced is refused before any copy is written", async () => {
  await withTempDir(async (dir) => {
    await withTempDir(async (elsewhere) => {
      await Deno.mkdir(join(dir, ".state"));
      await Deno.symlink(elsewhere, join(dir, ".state", "replaced"));
      await Deno.writeTextFile(join(dir, "beta.json"), "[{");
      await withContext({}, async (ctx) => {
        const error = await assertRejects(() => importInto(ctx, dir), SymlinkRefusedError);
        assertStringIncludes(error.message, `"${join(dir, ".state", "replaced")}"`);
      });
      assertEquals([...Deno.readDirSync(elsewhere)], []);
    });
  });
});

Deno.test("an unparseable result file is kept, and the log names where it is wrong without quoting it", async () => {
  await withTempDir(async (dir) => {
    await withContext({}, async (ctx) => {
      const alpha = ctx.catalog.get("alpha")!;
      await Deno.writeTextFile(join(dir, "beta.json"), secretText);
      const file = savedTurns(alpha.turns);
      (file[alpha.questions[0]] as Record<string, unknown>).real_user = { "SECRET-id": [99, -1] };
      await Deno.writeTextFile(join(dir, "alpha.json"), stringifyResultFile(file));
      const report = await importInto(ctx, dir);
      assertEquals(report.savedCopies.length, 2);
      for (const copy of report.savedCopies) {
        assertEquals((await Deno.stat(copy)).mode! & 0o777, 0o600);
      }
      const log = ctx.logLines.join("\n");
      assertStringIncludes(
        log,
        `"${join(dir, "beta.json")}" is not a valid result file (not JSON: line 1, column 1: `,
      );
      assertStringIncludes(log, `at $[${alpha.questions[0]}].real_user[<an annotator>]: `);
      assert(!log.includes("root:x") && !log.includes("SECRET"), log);
    });
  });
});
