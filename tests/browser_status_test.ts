/** Browser tests: the status page (login needed, traces, annotators, agreement). */
import type { Page } from "playwright-core";
import { assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { login, loginAdmin, pressKeys, waitQuestion, withApp } from "./browser_harness.ts";

Deno.test("browser: the status page needs an admin and lists traces, annotators and agreement", async () => {
  await withApp(["tasks_six.json", "xss.json"], async ({ base, page, newPage }) => {
    await page.goto(`${base}/status`);
    await page.waitForSelector("#login-needed:not([hidden])");
    assertEquals(await page.getAttribute("#login-needed a", "href"), "/");
    assertStringIncludes((await page.textContent("#login-needed")) ?? "", "for admins");

    // Least-annotated first: hana and kim get tasks_six, ivan gets xss.
    const expected = [["hana", "tasks_six", 3], ["ivan", "xss", 2], [
      "kim",
      "tasks_six",
      3,
    ]] as const;
    let newestPage: Page | undefined;
    for (const [who, trace, count] of expected) {
      const annotator = who === "hana" ? page : newestPage = await newPage();
      await login(annotator, base, who);
      await waitQuestion(annotator, 1, count);
      assertEquals(await annotator.textContent("#trace-name"), trace);
      await pressKeys(annotator, who === "kim" ? "2" : "1", "Enter");
      await waitQuestion(annotator, 2, count);
    }

    // An annotator is refused the page and its data, and is offered no link to it.
    assertEquals(await page.$$eval('a[href="/status"]', (links) => links.length), 0);
    // (Fetched with the page's cookies, not opened: the harness counts a page's 4xx.)
    const refused = await page.request.get(`${base}/status`);
    assertEquals(refused.status(), 403);
    assertStringIncludes(await refused.text(), "Admins only");
    const api = await page.evaluate(async () => (await fetch("/api/status")).status);
    assertEquals(api, 403);

    const admin = await newPage();
    await loginAdmin(admin, base, "lead");
    assertEquals(await admin.textContent("#admin-name"), "Admin: lead");
    const traces = await admin.$$eval(
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
    const annotators = await admin.$$eval(
      "#annotators tbody tr",
      (rows) => rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent ?? "")),
    );
    assertEquals(annotators.map((r) => r[0]).toSorted(), ["hana", "ivan", "kim"]);
    for (const row of annotators) {
      assertMatch(row[1], /^[0-9a-f]{32}$/);
      assertEquals(row.slice(2, 5), ["0", "1", "1"], `${row[0]}: 0 done, 1 in progress, 1 label`);
      // hana took task 1 and kim task 2 of tasks_six's first question: 3 units of 2 values,
      // Do = 4/6, De = 16/30, alpha = 1 - 1.25 = -0.25 (by hand); ivan shares nothing.
      const alpha = row[0] === "ivan" ? "—" : "-0.250 (6 values)";
      assertEquals(row.slice(5, 7), ["0", "0"], `${row[0]}: no skip, no comment`);
      assertEquals(row.slice(7), ["—", alpha, "Release (1)", "Block"], `${row[0]}: speed, alpha`);
    }
    assertStringIncludes(
      (await admin.textContent("#agreement")) ?? "",
      "Krippendorff's alpha (nominal)",
    );
    // Blocking kim ends kim's session at once; unblocking lets kim back in.
    const kim = newestPage!;
    await admin.click("#annotators tbody tr:nth-child(3) td:last-child button");
    await admin.waitForFunction(() =>
      document.getElementById("live")?.textContent === "Blocked kim."
    );
    assertEquals(await kim.evaluate(async () => (await fetch("/api/state")).status), 403);
    await admin.click("#annotators tbody tr:nth-child(3) td:last-child button");
    await admin.waitForFunction(() =>
      document.getElementById("live")?.textContent === "Unblocked kim."
    );
    assertEquals(await kim.evaluate(async () => (await fetch("/api/state")).status), 200);
    // The project's totals.
    assertEquals(
      await admin.textContent("#totals-traces"),
      "Traces: 0 done, 2 in progress, 0 untouched.",
    );
    assertEquals(await admin.textContent("#totals-labels"), "Labels: 3 of 15 done.");
    assertStringIncludes(
      (await admin.textContent("#totals-pace")) ?? "",
      "3 labels in the last hour",
    );
    // Releasing ivan's unfinished trace frees it: xss is untouched again.
    await admin.click("#annotators tbody tr:nth-child(2) button");
    await admin.waitForFunction(() =>
      document.getElementById("live")?.textContent?.startsWith("Released 1 trace(s) of ivan")
    );
    assertEquals(
      await admin.textContent("#totals-traces"),
      "Traces: 0 done, 1 in progress, 1 untouched.",
    );
    assertEquals(await admin.textContent("#totals-labels"), "Labels: 2 of 15 done.");
    assertStringIncludes(
      (await admin.textContent("#totals-pace")) ?? "",
      "2 labels in the last hour",
    );
    // The meaning of alpha, and the history download.
    assertStringIncludes((await admin.textContent("#agreement-about")) ?? "", "unreliable");
    const history = await admin.request.get(`${base}/api/admin/history.jsonl`);
    assertEquals(history.status(), 200);
    // 3 labels and the removal of ivan's: 4 changes.
    assertEquals((await history.text()).trim().split("\n").length, 4);
    assertEquals(
      (await page.request.get(`${base}/api/admin/history.jsonl`)).status(),
      403,
      "not for annotators",
    );
    // Log out: back to the login of the annotation page; the data is closed again.
    await admin.click("#logout");
    await admin.waitForSelector("#login-view:not([hidden])");
    assertEquals(await admin.evaluate(async () => (await fetch("/api/status")).status), 401);
  });
});
