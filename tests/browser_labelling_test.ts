/** Browser tests: answering questions with the mouse and the keyboard, Reject all, help mode. */
import { assert, assertEquals } from "./assert.ts";
import {
  checked,
  eventCount,
  login,
  pressKeys,
  resultLabels,
  stayOnFinished,
  waitQuestion,
  waitText,
  withApp,
} from "./browser_harness.ts";

Deno.test("browser: label with the mouse; events show local time and text", async () => {
  await withApp(["tasks_six.json"], async ({ base, out, page }) => {
    const id = await login(page, base, "alice");
    await page.click("#next");
    await waitQuestion(page, 1, 3);
    await waitText(page, "#trace-name", "tasks_six");
    assertEquals(await eventCount(page), 2, "events up to the first question (turn 1)");
    const expectedTime = await page.evaluate(() =>
      new Date(Number("1717338000.0") * 1000).toLocaleString()
    );
    assertEquals(await page.textContent("#events > li:nth-child(1) time"), expectedTime);
    assertEquals(
      await page.textContent("#events > li:nth-child(2) .event-text"),
      "The user types a heading 'Weekend trip' and pauses.",
    );
    assertEquals(
      await page.textContent("label[for=choice-1] span"),
      "Offer to look up the weather forecast.",
    );

    // Nothing chosen: a hint, no request.
    await page.click("#submit");
    await page.waitForSelector("#hint:not([hidden])");
    await waitText(page, "#question-legend", "Question 1 of 3");

    await page.click("label[for=choice-0]");
    await page.click("label[for=choice-2]");
    assertEquals(await checked(page), [true, false, true]);
    await page.click("#submit");
    await waitQuestion(page, 2, 3);
    assertEquals(await eventCount(page), 4);
    assertEquals(await checked(page), [false, false, false, false], "a new question starts empty");

    const labels = await resultLabels(out, "tasks_six", (l) => l.get(1)?.[id] !== undefined);
    assertEquals(labels.get(1), { [id]: [0, 2] });
  });
});

Deno.test("browser: label with keys (digits toggle, Enter submits) and see the trace done", async () => {
  await withApp(["tasks_six.json"], async ({ base, out, page }) => {
    const id = await login(page, base, "bob");
    await waitQuestion(page, 1, 3);
    await pressKeys(page, "2", "3");
    assertEquals(await checked(page), [false, true, true]);
    await page.keyboard.press("Enter");
    await waitQuestion(page, 2, 3);
    await pressKeys(page, "1", "1", "2", "4", "4");
    assertEquals(await checked(page), [false, true, false, false], "digits toggle");
    await page.keyboard.press("Enter");
    await waitQuestion(page, 3, 3);
    await pressKeys(page, "3", "1", "Enter");
    await stayOnFinished(page);
    assertEquals(await eventCount(page), 6, "the whole trace is revealed");

    const labels = await resultLabels(out, "tasks_six", (l) => l.get(5)?.[id] !== undefined);
    assertEquals(labels.get(1), { [id]: [1, 2] });
    assertEquals(labels.get(3), { [id]: [1] });
    assertEquals(labels.get(5), { [id]: [0, 2] });

    // Typing in a text field is never taken as a shortcut: keys on the login form.
    await page.click("#logout");
    await page.waitForSelector("#login-view:not([hidden])");
    await page.focus("#login-user");
    await pressKeys(page, "n", "b", "1");
    assertEquals(await page.inputValue("#login-user"), "nb1");
  });
});

Deno.test("browser: Reject all by button and by r; a task and Reject all exclude each other", async () => {
  await withApp(["tasks_six.json"], async ({ base, out, page }) => {
    const id = await login(page, base, "carol");
    await page.click("#next");
    await waitQuestion(page, 1, 3);
    await page.click("label[for=choice-1]");
    await page.click("label[for=reject-all]");
    assert(await page.isChecked("#reject-all"));
    assertEquals(await checked(page), [false, false, false], "Reject all unticks the tasks");
    await page.click("#submit");
    await waitQuestion(page, 2, 3);

    await pressKeys(page, "r", "1");
    assert(!(await page.isChecked("#reject-all")), "a task unticks Reject all");
    await pressKeys(page, "r");
    assert(await page.isChecked("#reject-all"));
    assertEquals(await checked(page), [false, false, false, false]);
    await pressKeys(page, "r");
    assert(!(await page.isChecked("#reject-all")), "r toggles");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#hint:not([hidden])");
    assertEquals(await page.textContent("#question-legend"), "Question 2 of 3");
    await pressKeys(page, "r", "Enter");
    await waitQuestion(page, 3, 3);

    const labels = await resultLabels(out, "tasks_six", (l) => l.get(3)?.[id] !== undefined);
    assertEquals(labels.get(1), { [id]: "Reject all" });
    assertEquals(labels.get(3), { [id]: "Reject all" });
  });
});

Deno.test("browser: a help-mode trace asks Help needed / No help needed at its checkpoints", async () => {
  await withApp(["empty_help.json"], async ({ base, out, page }) => {
    const id = await login(page, base, "fay");
    await waitQuestion(page, 1, 2);
    assertEquals(await eventCount(page), 4, "checkpoint turn 3");
    assertEquals(await page.$$eval("#choices label span", (s) => s.map((x) => x.textContent)), [
      "Help needed",
      "No help needed",
    ]);
    assert(await page.isHidden("#reject-row"), "no Reject all in help mode");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#hint:not([hidden])");
    await pressKeys(page, "1", "Enter");
    await waitQuestion(page, 2, 2);
    assertEquals(await eventCount(page), 8, "checkpoint turn 7");
    await page.click("label[for=choice-1]");
    await page.click("#submit");
    await stayOnFinished(page);

    const labels = await resultLabels(out, "empty_help", (l) => l.get(7)?.[id] !== undefined);
    assertEquals(labels.get(3), { [id]: "need" });
    assertEquals(labels.get(7), { [id]: "no need" });
  });
});
