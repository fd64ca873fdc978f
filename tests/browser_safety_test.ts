/// <reference lib="dom" />
/** Browser tests: trace text and usernames full of markup are shown literally, as text. */
import { assertEquals, assertStringIncludes } from "./assert.ts";
import {
  checked,
  FIXTURES,
  login,
  loginAdmin,
  pressKeys,
  waitQuestion,
  waitText,
  withApp,
} from "./browser_harness.ts";

Deno.test("browser: the XSS trace is shown literally, as text", async () => {
  await withApp(["xss.json"], async ({ base, page, newPage }) => {
    const username = "<img src=x onerror=alert(7)>";
    await login(page, base, username);
    assertEquals(await page.textContent("#who-name"), username);
    await waitQuestion(page, 1, 2);
    const trace = JSON.parse(await Deno.readTextFile(new URL("xss.json", FIXTURES)));
    const texts = () => page.$$eval("#events .event-text", (s) => s.map((x) => x.textContent));
    assertEquals(await texts(), [trace[0].observation.event, trace[1].observation.event]);
    assertEquals(
      await page.locator("#events > li:not(.day)").nth(1).locator("time").textContent(),
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

    const admin = await newPage();
    await loginAdmin(admin, base, "lead");
    assertEquals(await admin.textContent("#annotators tbody td"), username);
    assertStringIncludes((await admin.textContent("#traces tbody")) ?? "", username);
    assertEquals(await admin.evaluate(() => document.querySelectorAll("img").length), 0);
  });
});
