/** Browser test: the status page lists result files that cannot be written. */
import { assert, assertStringIncludes } from "./assert.ts";
import { login, pressKeys, waitQuestion, withApp } from "./browser_harness.ts";

Deno.test("browser: the status page warns about stale result files until they are written", async () => {
  await withApp(["tasks_six.json"], async ({ base, out, page }) => {
    await login(page, base, "hana");
    await page.keyboard.press("n");
    await waitQuestion(page, 1, 3);
    await page.goto(`${base}/status`);
    await page.waitForSelector("#report:not([hidden])");
    assert(await page.isHidden("#storage"), "no warning while every file is current");

    // A folder where the result file must go: every write of it fails.
    const target = `${out}/tasks_six.json`;
    await Deno.remove(target);
    await Deno.mkdir(`${target}/blocker`, { recursive: true });
    await page.goto(base);
    await waitQuestion(page, 1, 3);
    await pressKeys(page, "1", "Enter");
    await waitQuestion(page, 2, 3);
    await page.goto(`${base}/status`);
    await page.waitForSelector("#storage:not([hidden])");
    assertStringIncludes(
      (await page.textContent("#storage-reasons")) ?? "",
      "The result file tasks_six.json is stale",
    );

    await Deno.remove(target, { recursive: true });
    for (let i = 0; i < 100; i++) {
      await page.click("#refresh");
      await page.waitForSelector("#report:not([hidden])");
      if (await page.isHidden("#storage")) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert(await page.isHidden("#storage"), "the warning goes once the file is written");
  });
});
