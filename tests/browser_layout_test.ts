/// <reference lib="dom" />
/** Browser tests: the annotation page on a 320px wide screen, and a screenshot. */
import { assert } from "./assert.ts";
import { login, pressKeys, waitQuestion, withApp } from "./browser_harness.ts";

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
