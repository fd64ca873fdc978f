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
    // The time of day on each event, the day once above them, the gap since the last one.
    const [day, time] = await page.evaluate(() => {
      const date = new Date(1717338000 * 1000);
      const options = { hour: "numeric", minute: "numeric", second: "numeric" } as const;
      return [
        new Intl.DateTimeFormat(undefined, {
          weekday: "short",
          year: "numeric",
          month: "short",
          day: "numeric",
        }).format(date),
        new Intl.DateTimeFormat(undefined, options).format(date),
      ];
    });
    const rows = page.locator("#events > li:not(.day)");
    assertEquals(await page.locator("#events > li.day").allTextContents(), [day]);
    assertEquals(await rows.nth(0).locator("time").textContent(), time);
    assertEquals(await rows.nth(0).locator(".gap").count(), 0, "no gap before the first event");
    assertEquals(await rows.nth(1).locator(".gap").textContent(), "+13 s"); // 12.5 s, rounded
    assertEquals(
      await rows.nth(1).locator(".event-text").textContent(),
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
    assertEquals(await rows.nth(3).locator(".gap").textContent(), "+25 s");
    assertEquals(await page.locator("#events > li.day").count(), 1, "the same day: no new header");

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
    assert(await page.isHidden("#keys-reject"), "and no R among the shortcuts");
    assertEquals(await page.textContent("#keys-digits-keys"), "1 / 2");
    assertEquals(await page.textContent("#keys-digits"), "Help needed / No help needed");
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

Deno.test("browser: the tasks a question adds since the previous one are marked new", async () => {
  const turn = (time: number, event: string, tasks: string[]) => ({
    observation: { time: String(1717338000 + time), event },
    agent_response: { candidate_task: tasks },
    task_status: false,
  });
  const turns = [
    turn(0, "Opens the editor.", []),
    turn(5, "Writes a title.", ["Suggest a title.", "Fix the spelling."]),
    turn(70, "Writes a paragraph.", ["Fix the spelling.", "Summarise the paragraph."]),
  ];
  await withApp([{ name: "changes", turns }], async ({ base, page }) => {
    await login(page, base, "nia");
    await waitQuestion(page, 1, 2);
    assertEquals(await page.locator("#choices .badge").count(), 0, "nothing to compare with");
    await pressKeys(page, "1", "Enter");
    await waitQuestion(page, 2, 2);
    const marked = await page.$$eval(
      "#choices li",
      (items) => items.map((item) => item.querySelector(".badge") !== null),
    );
    assertEquals(marked, [false, true], "only the task the first question did not offer");
    const gaps = await page.locator("#events .gap").allTextContents();
    assertEquals(gaps, ["+5 s", "+1 min 5 s"]);
  });
});

Deno.test("browser: more than 9 tasks get the keys 0, then letters, aligned with the list", async () => {
  const tasks = Array.from({ length: 12 }, (_, i) => `Task number ${i + 1}`);
  const turns = [
    {
      observation: { time: "1717338000", event: "Opens a list." },
      agent_response: { candidate_task: [] },
      task_status: false,
    },
    {
      observation: { time: "1717338010", event: "Scrolls." },
      agent_response: { candidate_task: tasks },
      task_status: false,
    },
  ];
  await withApp([{ name: "many", turns }], async ({ base, out, page }) => {
    const id = await login(page, base, "ola");
    await waitQuestion(page, 1, 1);
    const keys = await page.$$eval("#choices kbd", (kbds) => kbds.map((k) => k.textContent));
    assertEquals(keys, ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "A", "C"]);
    assertEquals(await page.textContent("#keys-digits-keys"), "1–C");
    await pressKeys(page, "0", "a", "c", "2");
    assertEquals(
      (await checked(page)).flatMap((on, i) => on ? [i] : []),
      [1, 9, 10, 11],
      "0, a and c toggle tasks 10, 11 and 12",
    );
    assert(await page.isVisible("#keys-reject"), "task mode lists R");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#done-box:not([hidden])");
    const labels = await resultLabels(out, "many", (l) => l.get(1)?.[id] !== undefined);
    assertEquals(labels.get(1), { [id]: [1, 9, 10, 11] });
  });
});
