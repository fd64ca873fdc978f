/// <reference lib="dom" />
/** Browser tests: changing the previous answer, a stale second tab, moving to the next trace. */
import { assert, assertEquals } from "./assert.ts";
import {
  checked,
  COUNTDOWN_TEXT,
  eventCount,
  login,
  pressKeys,
  resultLabels,
  stayOnFinished,
  waitDone,
  waitQuestion,
  waitReady,
  waitText,
  withApp,
} from "./browser_harness.ts";

Deno.test("browser: b changes the previous answer, then the page returns to the next question", async () => {
  await withApp(["tasks_six.json"], async ({ base, out, page }) => {
    const id = await login(page, base, "dave");
    await waitQuestion(page, 1, 3);
    await pressKeys(page, "1", "Enter");
    await waitQuestion(page, 2, 3);
    await pressKeys(page, "2", "Enter");
    await waitQuestion(page, 3, 3);
    const before = await eventCount(page);

    await page.keyboard.press("b");
    await waitText(page, "#question-legend", "Changing your answer to question 2 of 3");
    assertEquals(await checked(page), [false, true, false, false], "the current label is ticked");
    assert(await page.isVisible("#cancel-edit"));
    await pressKeys(page, "2", "3", "Enter");
    await waitQuestion(page, 3, 3);
    assertEquals(await eventCount(page), before, "no event is listed twice");
    const labels = await resultLabels(out, "tasks_six", (l) => {
      const label = l.get(3)?.[id];
      return Array.isArray(label) && label[0] === 2;
    });
    assertEquals(labels.get(3), { [id]: [2] });
    assertEquals(labels.get(1), { [id]: [0] }, "the first answer is untouched");

    // Esc leaves a change without sending it; after the last question b changes that one.
    await page.keyboard.press("b");
    await waitText(page, "#question-legend", "Changing your answer to question 2 of 3");
    await page.keyboard.press("Escape");
    await waitQuestion(page, 3, 3);
    await pressKeys(page, "r", "Enter");
    await stayOnFinished(page);
    await page.click("#back");
    await waitText(page, "#question-legend", "Changing your answer to question 3 of 3");
    assert(await page.isChecked("#reject-all"));
    await pressKeys(page, "3", "Enter");
    await waitDone(page, "Trace done — press Next trace (N).");
    const after = await resultLabels(out, "tasks_six", (l) => Array.isArray(l.get(5)?.[id]));
    assertEquals(after.get(5), { [id]: [2] });
    assertEquals(after.get(3), { [id]: [2] });
  });
});

Deno.test("browser: a stale second tab shows the saved answer and asks before replacing it", async () => {
  await withApp(["tasks_six.json"], async ({ base, out, page }) => {
    const id = await login(page, base, "lena");
    await waitQuestion(page, 1, 3);
    const other = await page.context().newPage(); // same session
    await other.goto(`${base}/`);
    await waitReady(other);
    await waitQuestion(other, 1, 3);
    await pressKeys(other, "1", "Enter");
    await waitQuestion(other, 2, 3);
    await pressKeys(other, "2", "Enter");
    await waitQuestion(other, 3, 3);

    // The first tab still shows question 1 as unanswered: its answer is not saved over the
    // other tab's; the page shows the saved answer and asks.
    await pressKeys(page, "3", "Enter");
    await page.waitForSelector("#conflict:not([hidden])");
    const text = (await page.textContent("#conflict-text")) ?? "";
    assert(text.includes("answered meanwhile"), text);
    assert(
      text.includes("\nSaved answer: “Suggest a packing checklist for a weekend trip.”\n"),
      text,
    );
    assert(text.includes("\nYour answer: “Propose a simple itinerary outline.”\n"), text);
    await waitQuestion(page, 1, 3); // still on screen, nothing sent over the saved answer
    let labels = await resultLabels(out, "tasks_six", (l) => l.get(3)?.[id] !== undefined);
    assertEquals(labels.get(1), { [id]: [0] });

    // Replace: the answer is saved over the other one, and the tab catches up.
    await page.click("#conflict-replace");
    await waitQuestion(page, 3, 3);
    assert(await page.isHidden("#conflict"));
    const turns = await page.$$eval("#events .turn", (s) => s.map((x) => x.textContent));
    assertEquals(turns, ["#1", "#2", "#3", "#4", "#5", "#6"]);
    labels = await resultLabels(out, "tasks_six", (l) => {
      const label = l.get(1)?.[id];
      return Array.isArray(label) && label[0] === 2;
    });
    assertEquals(labels.get(1), { [id]: [2] });
    assertEquals(labels.get(3), { [id]: [1] });

    // Both tabs change answer 2; the later one is asked, keeps the saved answer, and sees it.
    await page.keyboard.press("b");
    await waitText(page, "#question-legend", "Changing your answer to question 2 of 3");
    await other.keyboard.press("b");
    await waitText(other, "#question-legend", "Changing your answer to question 2 of 3");
    await pressKeys(other, "2", "4", "Enter"); // [1] → [3]
    await waitQuestion(other, 3, 3);
    await pressKeys(page, "2", "1", "Enter"); // [1] → [0]
    await page.waitForSelector("#conflict:not([hidden])");
    await page.click("#conflict-keep");
    await page.waitForSelector("#conflict", { state: "hidden" });
    await waitText(page, "#question-legend", "Changing your answer to question 2 of 3");
    assertEquals(await checked(page), [false, false, false, true], "the saved answer is shown");
    labels = await resultLabels(out, "tasks_six", (l) => {
      const label = l.get(3)?.[id];
      return Array.isArray(label) && label[0] === 3;
    });
    assertEquals(labels.get(3), { [id]: [3] });
  });
});

Deno.test("browser: n moves to the next trace; nothing left says why", async () => {
  await withApp(["tasks_six.json", "xss.json"], async ({ base, page }) => {
    await login(page, base, "erin");
    await waitQuestion(page, 1, 3);
    await waitText(page, "#trace-name", "tasks_six");
    await page.keyboard.press("n");
    await page.waitForFunction(() =>
      document.querySelector("#live")?.textContent?.includes("Finish")
    );
    assertEquals(await page.textContent("#trace-name"), "tasks_six", "n waits for the trace");
    for (const n of [1, 2, 3]) {
      await waitQuestion(page, n, 3);
      await pressKeys(page, "1", "Enter");
    }
    await stayOnFinished(page);

    await page.keyboard.press("n");
    await waitQuestion(page, 1, 2);
    await waitText(page, "#trace-name", "xss");
    assertEquals(await eventCount(page), 2, "the list restarts with the new trace");
    await pressKeys(page, "r", "Enter");
    await waitQuestion(page, 2, 2);
    await pressKeys(page, "r", "Enter");
    await stayOnFinished(page);

    // Both traces still need other annotators: nothing is left for erin, and the page says
    // why rather than "all traces are done".
    await page.keyboard.press("n");
    await waitDone(
      page,
      "You have annotated every trace that still needs annotators. Thank you!",
    );
    assert(await page.isHidden("#question-form"));
  });
});

Deno.test("browser: after login the trace opens; after its last answer the next opens by itself", async () => {
  await withApp(["tasks_six.json", "xss.json"], async ({ base, page }) => {
    await login(page, base, "gil"); // no key pressed: the trace is there
    await waitQuestion(page, 1, 3);
    for (const n of [1, 2, 3]) {
      await waitQuestion(page, n, 3);
      await pressKeys(page, "1", "Enter");
    }
    await page.waitForFunction(
      (source) => new RegExp(source).test(document.querySelector("#done-text")?.textContent ?? ""),
      COUNTDOWN_TEXT.source,
    );
    assert(await page.isVisible("#stay"), "a button stays on the trace");
    // Nothing pressed: the countdown ends and the next trace opens.
    await waitQuestion(page, 1, 2);
    assertEquals(await page.textContent("#trace-name"), "xss");
    assert(await page.isHidden("#stay"));
    // The Stay button stops it as Esc does.
    await pressKeys(page, "r", "Enter");
    await waitQuestion(page, 2, 2);
    await pressKeys(page, "r", "Enter");
    await page.waitForSelector("#stay:not([hidden])");
    await page.click("#stay");
    await waitDone(page, "Trace done — press Next trace (N) for another one.");
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    assertEquals(await page.textContent("#trace-name"), "xss", "stayed on the finished trace");
  });
});

Deno.test("browser: any earlier answer can be changed (B again, or the list), seeing only the events up to it", async () => {
  await withApp(["tasks_six.json"], async ({ base, page }) => {
    await login(page, base, "rex");
    await waitQuestion(page, 1, 3);
    await pressKeys(page, "1", "Enter");
    await waitQuestion(page, 2, 3);
    await pressKeys(page, "2", "Enter");
    await waitQuestion(page, 3, 3);
    const visible = () =>
      page.$$eval(
        "#events > li:not(.day)",
        (rows) => rows.filter((r) => !(r as HTMLElement).hidden).length,
      );
    assertEquals(await visible(), 6);

    await page.keyboard.press("b");
    await waitText(page, "#question-legend", "Changing your answer to question 2 of 3");
    assertEquals(await visible(), 4, "question 2 is turn 3: the later events are hidden");
    await page.keyboard.press("b");
    await waitText(page, "#question-legend", "Changing your answer to question 1 of 3");
    assertEquals(await visible(), 2);
    assertEquals(await checked(page), [true, false, false], "its saved answer");
    await page.keyboard.press("Escape");
    await waitQuestion(page, 3, 3);
    assertEquals(await visible(), 6, "back at the current question, every event again");

    await page.click("#answers-box summary");
    await page.waitForSelector("#answers li");
    assertEquals(await page.locator("#answers li").allTextContents(), [
      "Question 1: task 1",
      "Question 2: task 2",
    ]);
    await page.click("#answers li:nth-child(2) button");
    await waitText(page, "#question-legend", "Changing your answer to question 2 of 3");
    assertEquals(await checked(page), [false, true, false, false]);
    await pressKeys(page, "4", "Enter");
    await waitQuestion(page, 3, 3);
    // The open list follows the change.
    await waitText(page, "#answers li:nth-child(2)", "Question 2: tasks 2, 4");
  });
});
