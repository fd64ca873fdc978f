/// <reference lib="dom" />
/** Browser tests: logging in and out of the annotation page, and the login throttle. */
import { assert, assertMatch, assertStringIncludes } from "./assert.ts";
import { PASSWORD, waitQuestion, waitText, withApp } from "./browser_harness.ts";

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
    assertMatch((await page.getAttribute("#who-name", "title")) ?? "", /^annotator [0-9a-f]{32}$/);
    assert(await page.isHidden("#login-view"));
    // The trace opens at once; the header names the annotator without the 32-digit id.
    await waitQuestion(page, 1, 3);
    assert(!/[0-9a-f]{32}/.test((await page.textContent("header")) ?? ""), "no id in the header");
    assertStringIncludes(
      (await page.textContent("#progress")) ?? "",
      "task mode · your traces: 0 done, 1 in progress · project: 0 of 9 labels",
    );

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
