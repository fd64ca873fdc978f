import { importInto, writeAll } from "./testing/result_files.ts";
import { join } from "node:path";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import { withTempDir } from "../../tests/temp_dir.ts";
import { SymlinkRefusedError } from "../store/no_follow.ts";
import { nextAssignment } from "./assignment.ts";
import { decide } from "./decisions.ts";
import { KEY, type LabelRecord, type TraceRecord } from "./kv_schema.ts";
import { listHistory, submitLabel } from "./labels.ts";
import { readTraceDecisions } from "./trace_notes.ts";
import { type TestContext, withContext } from "./testing/test_context.ts";

/** a and d on alpha (questions at turns 1, 3, 4): a skipped turn 1 and commented turn 3. */
async function annotate(ctx: TestContext): Promise<void> {
  const alpha = ctx.catalog.get("alpha")!;
  for (const id of ["a", "b", "c", "d"]) await nextAssignment(ctx, id); // a, d on alpha
  await submitLabel(ctx, { annotator: "a", trace: alpha, turn: 1, label: null, skip: "not sure" });
  await submitLabel(ctx, { annotator: "a", trace: alpha, turn: 3, label: [0], comment: "close" });
  await submitLabel(ctx, { annotator: "a", trace: alpha, turn: 4, label: [1] });
  await submitLabel(ctx, { annotator: "d", trace: alpha, turn: 1, label: [0] });
  await decide(ctx, { trace: alpha, turn: 1, label: [2], note: "only the third", by: "lead" });
}

Deno.test("a lost store gets its skips, comments and decisions back from the notes side files", async () => {
  await withTempDir(async (dir) => {
    const before = new Map<string, string>();
    await withContext({}, async (ctx) => {
      await annotate(ctx);
      await writeAll(ctx, dir);
      for (const name of ["alpha.json", "notes/alpha.json"]) {
        before.set(name, await Deno.readTextFile(join(dir, name)));
      }
    });
    await withContext({}, async (fresh) => {
      const report = await importInto(fresh, dir);
      // a's answered prefix runs through the skip: all 3 questions, done.
      // (In the order the files name them: d labelled turn 1, where a skipped.)
      assertEquals(report.imported, [
        { trace: "alpha", annotator: "d", labels: 1, done: false },
        { trace: "alpha", annotator: "a", labels: 3, done: true },
      ]);
      assertEquals([report.decisions, report.savedCopies], [1, []]);
      const record = (await fresh.kv.get<TraceRecord>(KEY.trace("alpha"))).value!;
      assertEquals(record.members.map((m) => [m.id, m.answered]), [["d", 1], ["a", 3]]);
      const skip = (await fresh.kv.get<LabelRecord>(KEY.label("alpha", "a", 1))).value!;
      assertEquals([skip.label, skip.skip, skip.comment], [null, "not sure", undefined]);
      const commented = (await fresh.kv.get<LabelRecord>(KEY.label("alpha", "a", 3))).value!;
      assertEquals([commented.label, commented.comment], [[0], "close"]);
      const decision = (await readTraceDecisions(fresh.kv, "alpha")).get(1)!;
      assertEquals([decision.label, decision.note, decision.by], [[2], "only the third", "lead"]);
      const history = await listHistory(fresh.kv, "alpha");
      assert(history.every((h) => h.reason === "imported"));
      assertEquals(history.filter((h) => h.annotator === "admin").map((h) => h.by), ["lead"]);
      assert(fresh.logLines.some((l) => l.includes("Imported 1 decision from the notes")));

      // Rewritten from the rebuilt store, both files are the same files.
      await writeAll(fresh, dir);
      for (const [name, text] of before) {
        assertEquals(await Deno.readTextFile(join(dir, name)), text, name);
      }
      // A second start imports nothing more, and keeps no copy.
      const again = await importInto(fresh, dir);
      assertEquals([again.imported, again.decisions, again.savedCopies], [[], 0, []]);
    });
  });
});

Deno.test("notes the store will not take are kept as a copy before the rewrite", async () => {
  await withTempDir(async (dir) => {
    await withContext({}, async (ctx) => {
      await annotate(ctx);
      await writeAll(ctx, dir);
      // The store knows d already, with another comment: the store wins, the file is kept.
      const notesPath = join(dir, "notes", "alpha.json");
      const notes = JSON.parse(await Deno.readTextFile(notesPath));
      notes.turns[0].answers.push({ annotator: "d", label: [0], comment: "from elsewhere" });
      notes.turns[0].decision.label = [7]; // no such task: not taken
      await Deno.writeTextFile(notesPath, JSON.stringify(notes));
      const report = await importInto(ctx, dir);
      assertEquals(report.decisions, 0);
      assertEquals(report.savedCopies.length, 1);
      assertStringIncludes(report.savedCopies[0], join(dir, ".state", "replaced", "alpha.notes."));
      assertEquals(await Deno.readTextFile(report.savedCopies[0]), JSON.stringify(notes));
      assert(ctx.logLines.some((l) => l.includes("holds notes the store does not have")));
      assertEquals(
        (await readTraceDecisions(ctx.kv, "alpha")).get(1)?.label,
        [2],
        "the store wins",
      );
    });
  });
});

Deno.test("a notes file that is not JSON is kept and named without quoting it; a link is refused", async () => {
  await withTempDir(async (dir) => {
    await withContext({}, async (ctx) => {
      await Deno.mkdir(join(dir, "notes"));
      await Deno.writeTextFile(join(dir, "notes", "alpha.json"), '{"trace": "alpha", SECRET');
      const report = await importInto(ctx, dir);
      assertEquals(report.savedCopies.length, 1);
      const line = ctx.logLines.find((l) => l.includes("The notes side file"))!;
      assertStringIncludes(line, "is not valid (not JSON: line 1, column 20");
      assert(!line.includes("SECRET"), line);

      await Deno.remove(join(dir, "notes", "alpha.json"));
      await Deno.symlink("/etc/passwd", join(dir, "notes", "alpha.json"));
      await assertRejects(() => importInto(ctx, dir), SymlinkRefusedError, "notes side file");
    });
  });
});
