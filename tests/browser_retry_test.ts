/// <reference lib="dom" />
/**
 * Browser tests: a busy server (503) or a lost connection does not lose an answer. The page
 * retries by itself with growing pauses, shows "Saving…" meanwhile, and after its last try
 * says the answer was not saved while keeping it selected.
 */
import type { Page } from "playwright-core";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import {
  checked,
  login,
  pressKeys,
  resultLabels,
  waitQuestion,
  waitText,
  withApp,
} from "./browser_harness.ts";

Deno.test("browser: 503 answers are retried with a visible Saving… and the answer is saved", async () => {
  await withApp(["tasks_six.json"], async ({ base, out, page }) => {
    const id = await login(page, base, "rita");
    await waitQuestion(page, 1, 3);
    let calls = 0;
    await page.route("**/api/label", async (route) => {
      calls++;
      if (calls <= 3) {
        await route.fulfill({
          status: 503,
          contentType: "application/json; charset=utf-8",
          body: JSON.stringify({ error: "Server too busy, retrying" }),
        });
      } else {
        await route.continue();
      }
    });
    // Every text the busy state shows, as the page shows it.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { savingSeen: string[] }).savingSeen = seen;
      const saving = document.getElementById("saving")!;
      new MutationObserver(() => {
        if (!saving.hidden) seen.push(saving.textContent ?? "");
      }).observe(saving, { attributes: true, childList: true, characterData: true });
    });
    await pressKeys(page, "2", "Enter");
    await waitQuestion(page, 2, 3);
    assertEquals(calls, 4, "three 503 answers, then the request that went through");
    const seen = await page.evaluate(() =>
      (window as unknown as { savingSeen: string[] }).savingSeen
    );
    assert(seen.some((t) => /^Saving… The server is busy; trying again in/.test(t)), `${seen}`);
    assert(seen.some((t) => t.includes("(retry 3 of 5)")), `${seen}`);
    assert(await page.isHidden("#saving"), "the busy state ends with the save");
    const labels = await resultLabels(out, "tasks_six", (l) => l.get(1)?.[id] !== undefined);
    assertEquals(labels.get(1), { [id]: [1] });
  });
});

Deno.test("browser: past the last retry the page says not saved and keeps the answer", async () => {
  await withApp(["tasks_six.json"], async ({ base, out, page }) => {
    const id = await login(page, base, "sam");
    await waitQuestion(page, 1, 3);
    let calls = 0;
    await page.route("**/api/label", async (route) => {
      calls++;
      await route.abort("connectionreset"); // the server cannot be reached
    });
    await pressKeys(page, "1", "3", "Enter");
    await page.waitForFunction(
      () => document.getElementById("live")?.textContent?.startsWith("Not saved"),
      undefined,
      { timeout: 60_000 },
    );
    assertEquals(
      await page.textContent("#live"),
      "Not saved: Cannot reach the server (tried 6 times). Your answer is still selected: press Enter to send it again.",
    );
    assertEquals(calls, 6);
    await waitQuestion(page, 1, 3);
    assertEquals(await checked(page), [true, false, true], "the answer is still selected");

    await page.unroute("**/api/label");
    await page.keyboard.press("Enter");
    await waitQuestion(page, 2, 3);
    const labels = await resultLabels(out, "tasks_six", (l) => l.get(1)?.[id] !== undefined);
    assertEquals(labels.get(1), { [id]: [0, 2] });
  });
});

Deno.test("browser: on a 390 px phone, Saved ✓ and the next question in view; an error beside Submit with Retry", async () => {
  await withApp(["tasks_six.json"], async ({ base, newPage }) => {
    const phone = await newPage({ width: 390, height: 844 });
    await login(phone, base, "pia");
    await waitQuestion(phone, 1, 3);
    await pressKeys(phone, "1", "Enter");
    await waitQuestion(phone, 2, 3);
    await waitText(phone, "#form-status", "Saved ✓");
    assert(await inViewport(phone, "#submit"), "the next question's Submit is in view");
    const marked = await phone.$$eval("#events li.new", (items) => items.length);
    assertEquals(marked, 2, "the two events the answer revealed are marked");

    await phone.route("**/api/label", (route) => route.abort("connectionreset"));
    await pressKeys(phone, "2", "Enter");
    await phone.waitForSelector("#retry:not([hidden])", { timeout: 60_000 });
    assertStringIncludes((await phone.textContent("#form-status")) ?? "", "Not saved");
    await waitInViewport(phone, "#form-status"); // the error is brought into view
    assert(await inViewport(phone, "#retry"), "and so is Retry");
    await phone.unroute("**/api/label");
    await phone.click("#retry");
    await waitQuestion(phone, 3, 3);
    assert(await phone.isHidden("#retry"));
  });
});

/** Waits (at most 5 s) until the element is inside the viewport. */
async function waitInViewport(page: Page, selector: string): Promise<void> {
  await page.waitForFunction(
    (s) => {
      const box = document.querySelector(s)?.getBoundingClientRect();
      return box !== undefined && box.top >= 0 && box.bottom <= innerHeight && box.width > 0;
    },
    selector,
    { timeout: 5_000 },
  );
}

/** True when the element is inside the viewport. */
function inViewport(page: Page, selector: string): Promise<boolean> {
  return page.$eval(selector, (element) => {
    const box = element.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= innerHeight && box.width > 0;
  });
}
