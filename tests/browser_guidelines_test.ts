/// <reference lib="dom" />
/** Browser test: `serve --guidelines FILE.md` before the first trace and behind the ? button. */
import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { login, PASSWORD, waitQuestion, waitReady, withApp } from "./browser_harness.ts";

const GUIDELINES = fileURLToPath(new URL("./testdata/serve/guidelines.md", import.meta.url));

Deno.test("browser: the guidelines come before the first trace, escaped, and stay behind ?", async () => {
  await withApp(["tasks_six.json"], async ({ base, page }) => {
    await page.goto(`${base}/`);
    await page.fill("#login-user", "una");
    await page.fill("#login-password", PASSWORD);
    await page.click("#login-submit");
    await page.waitForSelector("#guidelines:not([hidden])");
    assert(await page.isHidden("#app-view"), "no trace before the guidelines are read");
    assertEquals(await page.textContent("#guidelines-body h3"), "How to annotate");
    assertEquals(await page.textContent("#guidelines-body strong"), "accept");
    const text = (await page.textContent("#guidelines-body")) ?? "";
    assertStringIncludes(text, '<script>alert("guidelines")</script>', "HTML shown as text");
    assertStringIncludes(text, "[image: a picture]");
    const counts = await page.evaluate(() => ({
      scripts: document.querySelectorAll("#guidelines-body script").length,
      images: document.querySelectorAll("img").length,
      links: [...document.querySelectorAll("#guidelines-body a")].map((a) =>
        a.getAttribute("href")
      ),
    }));
    assertEquals(counts, {
      scripts: 0,
      images: 0,
      links: ["https://github.com/thunlp/ProactiveAgent"],
    });

    await page.click("#guidelines-start");
    await waitQuestion(page, 1, 3);
    assert(await page.isHidden("#guidelines"));
    await page.click("#guidelines-button");
    await page.waitForSelector("#guidelines:not([hidden])");
    assert(await page.isVisible("#guidelines-close"));
    await page.click("#guidelines-close");
    await page.waitForSelector("#guidelines", { state: "hidden" });

    // Read once in this browser: a reload goes straight to the trace.
    await page.reload();
    await waitReady(page);
    await waitQuestion(page, 1, 3);
    assert(await page.isHidden("#guidelines"));
  }, { serveArgs: ["--guidelines", GUIDELINES] });
});

Deno.test("browser: without --guidelines there is no ? button", async () => {
  await withApp(["tasks_six.json"], async ({ base, page }) => {
    await login(page, base, "vic");
    await waitQuestion(page, 1, 3);
    assert(await page.isHidden("#guidelines-button"));
  });
});
