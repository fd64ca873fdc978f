/// <reference lib="dom" />
/**
 * Browser tests of the `proactive serve` pages in Chromium (playwright-core). Every test
 * starts its own server on a free port with temp data/out/KV folders and its own browser.
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { parseServeOptions } from "../src/serve/command.ts";
import { startServer } from "../src/serve/serve_server.ts";
import { createLogger } from "../src/cli/logger.ts";
import { parseResultText } from "../src/formats/result_file.ts";

const FIXTURES = new URL("./testdata/browser/", import.meta.url);
const PASSWORD = "pw";
const LAUNCH = {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
  ],
};

interface App {
  base: string;
  out: string;
  browser: Browser;
  page: Page;
  /** Opens another page (own cookies) that is checked for dialogs and errors too. */
  newPage(): Promise<Page>;
}

/** Runs `body` against a fresh server serving `files` from tests/testdata/browser/. */
async function withApp(files: string[], body: (app: App) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "proactive_browser_" });
  const data = `${dir}/data`;
  const out = `${dir}/out`;
  await Deno.mkdir(data);
  for (const file of files) await Deno.copyFile(new URL(file, FIXTURES), `${data}/${file}`);
  const options = parseServeOptions(
    [
      "--port",
      "0",
      "--data",
      data,
      "--out",
      out,
      "--kv",
      `${dir}/serve.kv`,
      "--password",
      PASSWORD,
    ],
    () => undefined,
  );
  const logger = createLogger({
    verbose: false,
    write: () => {},
    timestamps: false,
    now: Date.now,
  });
  const server = await startServer(options, { logger, now: Date.now });
  const browser = await chromium.launch(LAUNCH);
  const problems: string[] = [];
  const newPage = async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.on("dialog", (dialog) => {
      problems.push(`dialog: ${dialog.message()}`);
      dialog.dismiss().catch(() => {});
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      if (/content security policy|refused to/i.test(message.text())) {
        problems.push(`CSP violation: ${message.text()}`);
      }
    });
    return page;
  };
  try {
    const page = await newPage();
    await body({ base: server.url.replace(/\/$/, ""), out, browser, page, newPage });
    assertEquals(problems, [], "no dialog, script error or CSP violation");
  } finally {
    await browser.close();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

// ---- page helpers ----------------------------------------------------------------------

async function waitText(page: Page, selector: string, text: string): Promise<void> {
  await page.waitForFunction(
    ([s, t]) => document.querySelector(s)?.textContent === t,
    [selector, text] as const,
  );
}

async function login(page: Page, base: string, username: string): Promise<string> {
  await page.goto(`${base}/`);
  await page.fill("#login-user", username);
  await page.fill("#login-password", PASSWORD);
  await page.click("#login-submit");
  await waitText(page, "#who-name", username);
  await waitReady(page);
  return (await page.textContent("#who-id")) ?? "";
}

/** Waits until the page has its state from the server and takes keys again. */
async function waitReady(page: Page): Promise<void> {
  await page.waitForSelector("#app-view:not([hidden]):not([aria-busy])");
  await page.waitForSelector("#question-form:not([hidden]), #done-box:not([hidden])");
}

/** Waits until question `n` of `count` (not a change of an earlier answer) is shown. */
async function waitQuestion(page: Page, n: number, count: number): Promise<void> {
  await page.waitForSelector("#question-form:not([hidden])");
  await waitText(page, "#question-legend", `Question ${n} of ${count}`);
}

async function waitDone(page: Page, text: string): Promise<void> {
  await page.waitForSelector("#done-box:not([hidden])");
  await waitText(page, "#done-text", text);
}

async function pressKeys(page: Page, ...keys: string[]): Promise<void> {
  for (const key of keys) await page.keyboard.press(key);
}

function eventCount(page: Page): Promise<number> {
  return page.locator("#events > li").count();
}

async function checked(page: Page): Promise<boolean[]> {
  return await page.$$eval(
    "#choices input",
    (inputs) => inputs.map((i) => (i as HTMLInputElement).checked),
  );
}

/** The labels of `trace`'s result file, turn → {annotator id → label}; waits for `expect`. */
async function resultLabels(
  out: string,
  trace: string,
  expect: (labels: Map<number, Record<string, unknown>>) => boolean,
): Promise<Map<number, Record<string, unknown>>> {
  let labels = new Map<number, Record<string, unknown>>();
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      const text = await Deno.readTextFile(`${out}/${trace}.json`);
      const entries = parseResultText(text, `${trace}.json`);
      labels = new Map(entries.flatMap((e, turn) => e.real_user ? [[turn, e.real_user]] : []));
      if (expect(labels)) return labels;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return labels;
}

// ---- tests -----------------------------------------------------------------------------

Deno.test("browser: login shows a wrong password, then works; logout returns to the form", async () => {
  await withApp(["tasks_six.json"], async ({ base, page }) => {
    await page.goto(`${base}/`);
    await page.waitForSelector("#login-view:not([hidden])");
    assert(await page.isHidden("#app-view"), "the annotation view waits for a login");
    await page.fill("#login-user", "alice");
    await page.fill("#login-password", "not the password");
    await page.click("#login-submit");
    await waitText(page, "#login-error", "Wrong password");
    assert(await page.isHidden("#app-view"));

    await page.fill("#login-password", PASSWORD);
    await page.click("#login-submit");
    await page.waitForSelector("#app-view:not([hidden])");
    await waitText(page, "#who-name", "alice");
    assertMatch((await page.textContent("#who-id")) ?? "", /^[0-9a-f]{32}$/);
    assert(await page.isHidden("#login-view"));
    assertStringIncludes((await page.textContent("#done-text")) ?? "", "Next trace (N)");

    await page.click("#logout");
    await page.waitForSelector("#login-view:not([hidden])");
    assert(await page.isHidden("#who"), "the user's name is gone after logout");
    await page.reload();
    await page.waitForSelector("#login-view:not([hidden])");

    // Repeated failures are refused with their own message.
    const messages: string[] = [];
    for (let i = 0; i < 6; i++) {
      await page.fill("#login-user", "mallory");
      await page.fill("#login-password", `guess ${i}`);
      await Promise.all([
        page.waitForResponse((r) => r.url().endsWith("/api/login")),
        page.click("#login-submit"),
      ]);
      await page.waitForFunction(() =>
        !document.querySelector("#app-view")?.hasAttribute("aria-busy")
      );
      messages.push((await page.textContent("#login-error")) ?? "");
    }
    const message = messages.at(-1) ?? "";
    assert(
      messages.every((m) => m === "Wrong password" || /too many/i.test(m)),
      messages.join(" | "),
    );
    assertMatch(message, /too many/i);
  });
});

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
    await page.keyboard.press("n");
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
    await waitDone(page, "Trace done — press Next trace (N).");
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

Deno.test("browser: b changes the previous answer, then the page returns to the next question", async () => {
  await withApp(["tasks_six.json"], async ({ base, out, page }) => {
    const id = await login(page, base, "dave");
    await page.keyboard.press("n");
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
    await waitDone(page, "Trace done — press Next trace (N).");
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

Deno.test("browser: a stale second tab catches up without listing an event twice", async () => {
  await withApp(["tasks_six.json"], async ({ base, out, page }) => {
    const id = await login(page, base, "lena");
    await page.keyboard.press("n");
    await waitQuestion(page, 1, 3);
    const other = await page.context().newPage();
    await other.goto(`${base}/`);
    await waitReady(other);
    await waitQuestion(other, 1, 3);
    await pressKeys(other, "1", "Enter");
    await waitQuestion(other, 2, 3);
    await pressKeys(other, "2", "Enter");
    await waitQuestion(other, 3, 3);

    // The first tab still shows question 1: its answer changes that label and catches up.
    await pressKeys(page, "3", "Enter");
    await waitQuestion(page, 3, 3);
    const turns = await page.$$eval("#events .turn", (s) => s.map((x) => x.textContent));
    assertEquals(turns, ["#1", "#2", "#3", "#4", "#5", "#6"]);
    const labels = await resultLabels(out, "tasks_six", (l) => {
      const label = l.get(1)?.[id];
      return Array.isArray(label) && label[0] === 2;
    });
    assertEquals(labels.get(1), { [id]: [2] });
    assertEquals(labels.get(3), { [id]: [1] });
  });
});

Deno.test("browser: n moves to the next trace; all done when nothing is left", async () => {
  await withApp(["tasks_six.json", "xss.json"], async ({ base, page }) => {
    await login(page, base, "erin");
    await page.keyboard.press("n");
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
    await waitDone(page, "Trace done — press Next trace (N).");

    await page.keyboard.press("n");
    await waitQuestion(page, 1, 2);
    await waitText(page, "#trace-name", "xss");
    assertEquals(await eventCount(page), 2, "the list restarts with the new trace");
    await pressKeys(page, "r", "Enter");
    await waitQuestion(page, 2, 2);
    await pressKeys(page, "r", "Enter");
    await waitDone(page, "Trace done — press Next trace (N).");

    await page.keyboard.press("n");
    await page.waitForSelector("#done-box:not([hidden])");
    await page.waitForFunction(() =>
      /all traces are done/i.test(document.querySelector("#done-text")?.textContent ?? "")
    );
    assert(await page.isHidden("#question-form"));
  });
});

Deno.test("browser: a help-mode trace asks Help needed / No help needed at its checkpoints", async () => {
  await withApp(["empty_help.json"], async ({ base, out, page }) => {
    const id = await login(page, base, "fay");
    await page.keyboard.press("n");
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
    await waitDone(page, "Trace done — press Next trace (N).");

    const labels = await resultLabels(out, "empty_help", (l) => l.get(7)?.[id] !== undefined);
    assertEquals(labels.get(3), { [id]: "need" });
    assertEquals(labels.get(7), { [id]: "no need" });
  });
});

Deno.test("browser: the XSS trace is shown literally, as text", async () => {
  await withApp(["xss.json"], async ({ base, page }) => {
    const username = "<img src=x onerror=alert(7)>";
    await login(page, base, username);
    assertEquals(await page.textContent("#who-name"), username);
    await page.keyboard.press("n");
    await waitQuestion(page, 1, 2);
    const trace = JSON.parse(await Deno.readTextFile(new URL("xss.json", FIXTURES)));
    const texts = () => page.$$eval("#events .event-text", (s) => s.map((x) => x.textContent));
    assertEquals(await texts(), [trace[0].observation.event, trace[1].observation.event]);
    assertEquals(
      await page.textContent("#events > li:nth-child(2) time"),
      trace[1].observation.time,
      "a time that is not a number is shown as it is",
    );
    assertEquals(
      await page.$$eval("#choices label span", (s) => s.map((x) => x.textContent)),
      trace[1].agent_response.candidate_task,
    );
    await pressKeys(page, "1", "3", "Enter");
    await waitQuestion(page, 2, 2);
    assertEquals(
      await texts(),
      trace.map((t: { observation: { event: string } }) => t.observation.event),
    );
    assertEquals(
      await page.$$eval("#choices label span", (s) => s.map((x) => x.textContent)),
      trace[2].agent_response.candidate_task,
    );
    const injected = await page.evaluate(() =>
      document.querySelectorAll("img, svg, b, a[href^='javascript'], script:not([src])").length
    );
    assertEquals(injected, 0, "no element comes from trace data");
    await page.keyboard.press("b");
    await waitText(page, "#question-legend", "Changing your answer to question 1 of 2");
    assertEquals(
      await page.textContent("label[for=choice-0] span"),
      trace[1].agent_response.candidate_task[0],
    );
    assertEquals(await checked(page), [true, false, true]);

    await page.goto(`${base}/status`);
    await page.waitForSelector("#report:not([hidden])");
    assertEquals(await page.textContent("#annotators tbody td"), username);
    assertStringIncludes((await page.textContent("#traces tbody")) ?? "", username);
    assertEquals(await page.evaluate(() => document.querySelectorAll("img").length), 0);
  });
});

Deno.test("browser: the status page needs a login and lists traces, annotators and agreement", async () => {
  await withApp(["tasks_six.json", "xss.json"], async ({ base, page, newPage }) => {
    await page.goto(`${base}/status`);
    await page.waitForSelector("#login-needed:not([hidden])");
    assertEquals(await page.getAttribute("#login-needed a", "href"), "/");

    // Least-annotated first: hana and kim get tasks_six, ivan gets xss.
    const expected = [["hana", "tasks_six", 3], ["ivan", "xss", 2], [
      "kim",
      "tasks_six",
      3,
    ]] as const;
    for (const [who, trace, count] of expected) {
      const annotator = who === "hana" ? page : await newPage();
      await login(annotator, base, who);
      await annotator.keyboard.press("n");
      await waitQuestion(annotator, 1, count);
      assertEquals(await annotator.textContent("#trace-name"), trace);
      await pressKeys(annotator, who === "kim" ? "2" : "1", "Enter");
      await waitQuestion(annotator, 2, count);
    }

    await page.goto(`${base}/status`);
    await page.waitForSelector("#report:not([hidden])");
    const traces = await page.$$eval(
      "#traces tbody tr",
      (rows) => rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent ?? "")),
    );
    assertEquals(traces.map((r) => r.slice(0, 5)), [
      ["tasks_six", "tasks", "3", "0", "2"],
      ["xss", "tasks", "2", "0", "1"],
    ]);
    assertStringIncludes(traces[0][5], "hana");
    assertStringIncludes(traces[0][5], "kim");
    assertStringIncludes(traces[1][5], "ivan");
    const annotators = await page.$$eval(
      "#annotators tbody tr",
      (rows) => rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent ?? "")),
    );
    assertEquals(annotators.map((r) => r[0]).toSorted(), ["hana", "ivan", "kim"]);
    for (const row of annotators) {
      assertMatch(row[1], /^[0-9a-f]{32}$/);
      assertEquals(row.slice(2), ["0", "1", "1"], `${row[0]}: 0 done, 1 in progress, 1 label`);
    }
    assertStringIncludes(
      (await page.textContent("#agreement")) ?? "",
      "Krippendorff's alpha (nominal)",
    );
  });
});

Deno.test("browser: the page fits 320px and the screenshot is taken", async () => {
  await withApp(["tasks_six.json"], async ({ base, page }) => {
    await login(page, base, "jo");
    await pressKeys(page, "n");
    await waitQuestion(page, 1, 3);
    await pressKeys(page, "1", "Enter");
    await waitQuestion(page, 2, 3);
    await pressKeys(page, "2");
    await page.screenshot({ path: "/tmp/proactive_page.png" });
    await page.setViewportSize({ width: 320, height: 640 });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert(width <= 320, `no horizontal scrolling at 320px (content is ${width}px wide)`);
    const visible = await page.isVisible("#submit") && await page.isVisible(".keys");
    assert(visible, "submit and the shortcuts legend stay on the page");
  });
});
