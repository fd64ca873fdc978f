/**
 * Browser tests: skip and comment on the annotation page, the status page's skips and
 * comments, and the admin's review page (the queue, the events up to a question, a final
 * label that lands in the notes side file). With `PROACTIVE_SCREENSHOTS=DIR` the README's
 * screenshots are saved into DIR (`tests/screenshots` for the README).
 */
import type { Page } from "playwright-core";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import {
  login,
  loginAdmin,
  pressKeys,
  waitQuestion,
  waitText,
  withApp,
} from "./browser_harness.ts";
import { type NotesFile, parseNotesText } from "../src/formats/notes_file.ts";

/** Saves a screenshot as `name`.png into PROACTIVE_SCREENSHOTS (when set); checks it is a PNG. */
async function screenshot(page: Page, name: string): Promise<void> {
  const dir = Deno.env.get("PROACTIVE_SCREENSHOTS");
  const bytes = await page.screenshot(dir ? { path: `${dir}/${name}.png` } : {});
  assertEquals([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], `${name}: a PNG`);
}

/** The notes side file of `trace`, once `expect` holds (the writer runs after a short delay). */
async function notesFile(out: string, trace: string, expect: (n: NotesFile) => boolean) {
  const path = `${out}/notes/${trace}.json`;
  let last: NotesFile | undefined;
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      last = parseNotesText(await Deno.readTextFile(path), path);
      if (expect(last)) return last;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${path} never matched: ${JSON.stringify(last)}`);
}

const rows = (page: Page, selector: string) =>
  page.$$eval(
    `${selector} tbody tr`,
    (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")),
  );

Deno.test("browser: skip and comment, shown on the status page and decided on the review page", async () => {
  await withApp(["tasks_six.json", "xss.json"], async ({ base, out, page, newPage }) => {
    // Least-annotated first: hana and kim get tasks_six (questions at turns 1, 3, 5).
    const hana = await login(page, base, "hana");
    await waitQuestion(page, 1, 3);
    await pressKeys(page, "1");
    await page.fill("#comment", "the itinerary is half done");
    await page.press("#comment", "Enter"); // Enter in the comment submits
    await waitQuestion(page, 2, 3);
    assertEquals(await page.inputValue("#comment"), "", "a new question starts without comment");
    await page.click("#skip-box summary");
    await screenshot(page, "annotation_skip");
    await page.click('button[data-skip="not sure"]');
    await waitQuestion(page, 3, 3);
    // The list of answers says what was given.
    await page.click("#answers-box summary");
    await page.waitForFunction(() => document.querySelectorAll("#answers li").length === 2);
    const answers = await page.$$eval("#answers li", (items) => items.map((i) => i.textContent));
    assertEquals(answers[0], "Question 1: task 1 · “the itinerary is half done”");
    assertEquals(answers[1], "Question 2: skipped (not sure)");

    const ivan = await newPage();
    await login(ivan, base, "ivan"); // xss
    const kim = await newPage();
    const kimId = await login(kim, base, "kim");
    await waitQuestion(kim, 1, 3);
    await pressKeys(kim, "2", "Enter"); // disagrees with hana on question 1
    await waitQuestion(kim, 2, 3);

    const notes = await notesFile(out, "tasks_six", (n) => n.turns.length === 2);
    assertEquals(notes.turns.map((t) => [t.turn, t.answers]), [
      [1, [{ annotator: hana, label: [0], comment: "the itinerary is half done" }]],
      [3, [{ annotator: hana, skipped: "not sure" }]],
    ]);

    const admin = await newPage();
    await loginAdmin(admin, base, "lead");
    const annotators = await rows(admin, "#annotators");
    const hanaRow = annotators.find((r) => r[0] === "hana")!;
    assertEquals(hanaRow.slice(5, 7), ["1", "1"], "one skip, one comment");
    const listed = await rows(admin, "#notes");
    assertEquals(listed.map((r) => r.slice(0, 5)), [
      ["tasks_six", "2", "hana", "not sure", "—"],
      ["tasks_six", "1", "hana", "—", "the itinerary is half done"],
    ]);
    await screenshot(admin, "status");

    // The review page: the one split question, its events up to turn 1, both answers.
    await admin.click('a[href="/review"]');
    await admin.waitForSelector("#report:not([hidden])");
    const queue = await rows(admin, "#queue");
    assertEquals(queue.length, 1);
    assertEquals(queue[0].slice(0, 2), ["tasks_six", "1"]);
    assertStringIncludes(queue[0][2], "hana: “Suggest a packing checklist for a weekend trip.”");
    assertStringIncludes(queue[0][2], "comment: the itinerary is half done");
    assertStringIncludes(queue[0][2], "kim: “Offer to look up the weather forecast.”");
    assertEquals(queue[0].slice(3, 5), ["1 of 2 agree", "—"]);
    await admin.click("#queue tbody button");
    await admin.waitForSelector("#unit:not([hidden])");
    await admin.waitForFunction(() =>
      document.querySelectorAll("#unit-events > li:not(.day)").length === 2
    );
    assertEquals(await admin.textContent("#unit-title"), "tasks_six, question 1");
    assertEquals(
      await admin.locator("#decision-choices input").count(),
      4,
      "3 tasks and Reject all",
    );

    // Nothing chosen: said beside the button; then both tasks and a note.
    await admin.click("#decide");
    await waitText(admin, "#decision-error", "Choose the final label first.");
    await admin.check("#final-0");
    await admin.check("#final-1");
    await admin.fill("#decision-note", "both are still open");
    await screenshot(admin, "review");
    await admin.click("#decide");
    await admin.waitForFunction(() =>
      document.querySelector("#queue tbody tr td:nth-child(5)")?.textContent?.includes("weather")
    );
    assert(!(await admin.isHidden("#withdraw")), "a decision can be withdrawn");
    const decided = await notesFile(out, "tasks_six", (n) => n.turns[0]?.decision !== undefined);
    assertEquals(decided.turns[0].decision?.label, [0, 1]);
    assertEquals([decided.turns[0].decision?.note, decided.turns[0].decision?.by], [
      "both are still open",
      "lead",
    ]);

    // Filters: kim's units only, and undecided only (none left).
    await admin.selectOption("#annotator-filter", "kim");
    assertEquals((await rows(admin, "#queue")).length, 1);
    await admin.check("#undecided-only");
    await waitText(admin, "#queue-count", "0 shown of 1 (1 decided).");

    // Annotators see none of it: the review page and its API are refused.
    for (const who of [page, kim, ivan]) {
      const refused = await who.request.get(`${base}/review`);
      assertEquals(refused.status(), 403);
      const api = await who.evaluate(async () => (await fetch("/api/admin/review")).status);
      assertEquals(api, 403);
    }
    // hana's page and every answer of the API she can reach name nobody else.
    const seen = await page.evaluate(async (trace) => {
      const texts = [document.documentElement.outerHTML];
      for (const path of ["/api/me", "/api/state", `/api/answers?trace=${trace}`]) {
        texts.push(await (await fetch(path)).text());
      }
      return texts.join("\n");
    }, "tasks_six");
    for (const other of ["kim", kimId, "ivan", "lead"]) {
      assert(!seen.includes(other), `hana sees ${other}`);
    }
  });
});
