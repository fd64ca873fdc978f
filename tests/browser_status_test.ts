/** Browser tests: the status page (login needed, traces, annotators, agreement). */
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
    for (const [who, trace, count] of expected) {
      const annotator = who === "hana" ? page : await newPage();
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
      assertEquals(row.slice(2), ["0", "1", "1"], `${row[0]}: 0 done, 1 in progress, 1 label`);
    }
    assertStringIncludes(
      (await admin.textContent("#agreement")) ?? "",
      "Krippendorff's alpha (nominal)",
    );
    // Log out: back to the login of the annotation page; the data is closed again.
    await admin.click("#logout");
    await admin.waitForSelector("#login-view:not([hidden])");
    assertEquals(await admin.evaluate(async () => (await fetch("/api/status")).status), 401);
  });
});
