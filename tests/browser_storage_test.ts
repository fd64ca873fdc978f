/** Browser test: the status page lists result files that cannot be written. */
import { assert, assertStringIncludes } from "./assert.ts";
import { login, loginAdmin, pressKeys, waitQuestion, withApp } from "./browser_harness.ts";

Deno.test("browser: the status page warns about stale result files until they are written", async () => {
  await withApp(["tasks_six.json"], async ({ base, out, page, newPage }) => {
    await login(page, base, "hana");
    await waitQuestion(page, 1, 3);
    const admin = await newPage();
    await loginAdmin(admin, base, "lead");
    assert(await admin.isHidden("#storage"), "no warning while every file is current");

    // A folder where the result file must go: every write of it fails. (The file is
    // written a moment after the reservation: the writer coalesces changes for 2 s.)
    const target = `${out}/tasks_six.json`;
    await waitUntil(() => Deno.stat(target).then(() => true, () => false));
    await Deno.remove(target);
    await Deno.mkdir(`${target}/blocker`, { recursive: true });
    await page.goto(base);
    await waitQuestion(page, 1, 3);
    await pressKeys(page, "1", "Enter");
    await waitQuestion(page, 2, 3);
    await waitUntil(async () => {
      await admin.click("#refresh");
      await admin.waitForSelector("#report:not([hidden])");
      return !(await admin.isHidden("#storage"));
    });
    assertStringIncludes(
      (await admin.textContent("#storage-reasons")) ?? "",
      "The result file tasks_six.json is stale",
    );

    await Deno.remove(target, { recursive: true });
    await waitUntil(async () => {
      await admin.click("#refresh");
      await admin.waitForSelector("#report:not([hidden])");
      return await admin.isHidden("#storage");
    });
    assert(await admin.isHidden("#storage"), "the warning goes once the file is written");
  });
});

/** Polls `done` every 200 ms, at most 100 times; the caller asserts what it waited for. */
async function waitUntil(done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100 && !(await done()); i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
