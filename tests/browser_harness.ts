/// <reference lib="dom" />
/**
 * Shared harness of the browser tests (tests/browser_*_test.ts) of the `proactive serve`
 * pages in Chromium (playwright-core driving /usr/bin/chromium). `withApp` starts a server on
 * a free port with temp data/out/KV folders and its own browser, and fails the test on any
 * dialog, script error or CSP violation; the helpers below drive and read the page.
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { assertEquals } from "./assert.ts";
import { parseServeOptions } from "../src/serve/command.ts";
import { type RunningServer, startServer } from "../src/serve/serve_server.ts";
import { createLogger } from "../src/cli/logger.ts";
import { labelsOfEntry, parseResultText } from "../src/formats/result_file.ts";

/** The trace files the tests serve. */
export const FIXTURES = new URL("./testdata/browser/", import.meta.url);
/** The annotator password of every test server. */
export const PASSWORD = "pw";
/** The admin password of every test server. */
export const ADMIN_PASSWORD = "admin-pw";
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

/** A running test server and browser, handed to the body of `withApp`. */
export interface App {
  base: string;
  out: string;
  browser: Browser;
  page: Page;
  /**
   * Opens another page in a fresh browser context (its own cookies), 1280×800 unless
   * `viewport`; it is checked for dialogs and errors too.
   */
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
}

/** A trace written into the data folder as `<name>.json` instead of copied from FIXTURES. */
export interface GeneratedTrace {
  name: string;
  turns: unknown[];
}

/**
 * A task-mode trace of `turns` turns whose every `every`-th turn (turns every-1, 2·every-1, …)
 * is a question with five candidate tasks.
 */
export function longTaskTrace(turns: number, every: number): unknown[] {
  return Array.from({ length: turns }, (_, i) => ({
    observation: {
      time: String(1717338000 + i * 7.5),
      event: `Step ${i + 1}: the user edits a long report, reads the notes and types another line.`,
    },
    agent_response: {
      candidate_task: i % every === every - 1
        ? Array.from({ length: 5 }, (_, k) => `Offer help ${k + 1} with step ${i + 1}`)
        : [],
    },
    task_status: false,
  }));
}

/**
 * Runs `body` against a fresh server serving `files`: names of tests/testdata/browser/ files,
 * or generated traces; `serveArgs` are more `serve` flags (e.g. `--guidelines FILE`).
 */
export async function withApp(
  files: (string | GeneratedTrace)[],
  body: (app: App) => Promise<void>,
  { serveArgs = [] }: { serveArgs?: string[] } = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "proactive_browser_" });
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  try {
    const data = `${dir}/data`;
    const out = `${dir}/out`;
    await Deno.mkdir(data);
    for (const file of files) {
      if (typeof file === "string") {
        await Deno.copyFile(new URL(file, FIXTURES), `${data}/${file}`);
      } else {
        await Deno.writeTextFile(`${data}/${file.name}.json`, JSON.stringify(file.turns));
      }
    }
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
        "--admin-password",
        ADMIN_PASSWORD,
        ...serveArgs,
      ],
      () => undefined,
    );
    const logger = createLogger({
      verbose: false,
      write: () => {},
      timestamps: false,
      now: Date.now,
    });
    server = await startServer(options, { logger, now: Date.now });
    const launched = await chromium.launch(LAUNCH);
    browser = launched;
    const problems: string[] = [];
    const newPage = async (viewport = { width: 1280, height: 800 }) => {
      const context = await launched.newContext({ viewport });
      const page = await context.newPage();
      watchPage(page, problems);
      return page;
    };
    const page = await newPage();
    await body({ base: server.url.replace(/\/$/, ""), out, browser: launched, page, newPage });
    assertEquals(problems, [], "no dialog, script error, CSP violation or missing asset");
  } finally {
    await browser?.close();
    await server?.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Adds to `problems` every dialog (dismissed), uncaught script error, CSP violation and
 * page or script the server answers with an error (API errors are part of the tests).
 */
function watchPage(page: Page, problems: string[]): void {
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
  page.on("response", (response) => {
    const path = new URL(response.url()).pathname;
    if (response.status() >= 400 && !path.startsWith("/api/") && path !== "/favicon.ico") {
      problems.push(`HTTP ${response.status()} for ${path}`);
    }
  });
}

// ---- page helpers ----------------------------------------------------------------------

/** Waits until the element at `selector` has exactly `text` as its text. */
export async function waitText(page: Page, selector: string, text: string): Promise<void> {
  await page.waitForFunction(
    ([s, t]) => document.querySelector(s)?.textContent === t,
    [selector, text] as const,
  );
}

/** Logs `username` in on `base` and waits for the page; returns the annotator id. */
export async function login(page: Page, base: string, username: string): Promise<string> {
  await page.goto(`${base}/`);
  await page.fill("#login-user", username);
  await page.fill("#login-password", PASSWORD);
  await page.click("#login-submit");
  await waitText(page, "#who-name", username);
  await waitReady(page);
  return ((await page.getAttribute("#who-name", "title")) ?? "").replace("annotator ", "");
}

/** Logs `username` in as an admin on the annotation page, which opens the status page. */
export async function loginAdmin(page: Page, base: string, username: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.fill("#login-user", username);
  await page.fill("#login-password", ADMIN_PASSWORD);
  await page.click("#login-submit");
  await page.waitForURL(`${base}/status`);
  await page.waitForSelector("#report:not([hidden])");
}

/** Waits until the page has its state from the server and takes keys again. */
export async function waitReady(page: Page): Promise<void> {
  await page.waitForSelector("#app-view:not([hidden]):not([aria-busy])");
  await page.waitForSelector("#question-form:not([hidden]), #done-box:not([hidden])");
}

/** Waits until question `n` of `count` (not a change of an earlier answer) is shown. */
export async function waitQuestion(page: Page, n: number, count: number): Promise<void> {
  await page.waitForSelector("#question-form:not([hidden])");
  await waitText(page, "#question-legend", `Question ${n} of ${count}`);
}

/** Waits until the done box shows `text` (no question on screen). */
export async function waitDone(page: Page, text: string): Promise<void> {
  await page.waitForSelector("#done-box:not([hidden])");
  await waitText(page, "#done-text", text);
}

/** The done box's text while the next trace is counted down to, after a trace's last answer. */
export const COUNTDOWN_TEXT =
  /^Trace done\. The next trace opens in \d s — N opens it now, Esc stays/;

/**
 * After a trace's last answer: waits for the countdown to the next trace and stops it with
 * Esc, so the page stays on the finished trace.
 */
export async function stayOnFinished(page: Page): Promise<void> {
  await page.waitForSelector("#done-box:not([hidden])");
  await page.waitForFunction(
    (source) => new RegExp(source).test(document.querySelector("#done-text")?.textContent ?? ""),
    COUNTDOWN_TEXT.source,
  );
  await page.keyboard.press("Escape");
  await waitDone(page, "Trace done — press Next trace (N) for another one.");
}

/** Presses `keys` one after another. */
export async function pressKeys(page: Page, ...keys: string[]): Promise<void> {
  for (const key of keys) await page.keyboard.press(key);
}

/** How many events the list shows. */
export function eventCount(page: Page): Promise<number> {
  return page.locator("#events > li:not(.day)").count();
}

/** Whether each choice of the question is ticked, in order. */
export async function checked(page: Page): Promise<boolean[]> {
  return await page.$$eval(
    "#choices input",
    (inputs) => inputs.map((i) => (i as HTMLInputElement).checked),
  );
}

/** The labels of `trace`'s result file, turn → {annotator id → label}; waits for `expect`. */
export async function resultLabels(
  out: string,
  trace: string,
  expect: (labels: Map<number, Record<string, unknown>>) => boolean,
): Promise<Map<number, Record<string, unknown>>> {
  let labels = new Map<number, Record<string, unknown>>();
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      const text = await Deno.readTextFile(`${out}/${trace}.json`);
      const entries = parseResultText(text, `${trace}.json`);
      labels = new Map(entries.flatMap((e, turn) => {
        const real = labelsOfEntry(e);
        return real ? [[turn, real]] : [];
      }));
      if (expect(labels)) return labels;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return labels;
}
