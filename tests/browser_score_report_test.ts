/// <reference lib="dom" />
/**
 * The `eval score --html` report in Chromium (playwright-core, /usr/bin/chromium): written
 * for two model folders (one with a name full of markup) on the three test splits with
 * --allow-partial, served alone from a loopback server. It renders; every metric's chart holds
 * one bar per model and split; the name shows as text, not markup; and no request other than
 * the page itself is made (every request is routed and recorded).
 */
import { chromium } from "playwright-core";
import { assertEquals } from "./assert.ts";
import { main } from "../main.ts";
import { METRIC_NAMES } from "../src/eval/score_model_folders.ts";

const DATA = new URL("./testdata/eval_score/", import.meta.url).pathname;
const LAUNCH = {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
};

Deno.test("eval score --html: renders, one bar per model and split, no request leaves", async () => {
  const dir = await Deno.makeTempDir({ prefix: "proactive_score_html_" });
  const odd = `${dir}/m<i>x&amp;"q'`;
  await Deno.mkdir(odd);
  for await (const entry of Deno.readDir(`${DATA}model_b`)) {
    await Deno.copyFile(`${DATA}model_b/${entry.name}`, `${odd}/${entry.name}`);
  }
  const report = `${dir}/report.html`;
  let stderr = "";
  const code = await main([
    "eval",
    "score",
    `${DATA}model_a`,
    odd,
    "--splits",
    `${DATA}splits.json`,
    "--allow-partial",
    "--no-csv",
    "--html",
    report,
  ], {
    stdout: () => {},
    stderr: (t) => stderr += t,
    env: () => undefined,
    isTerminal: false,
    signal: new AbortController().signal,
    now: () => 0,
  });
  assertEquals(code, 0, stderr);
  const html = await Deno.readTextFile(report);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) =>
      new URL(req.url).pathname === "/report.html"
        ? new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } })
        : new Response("not found", { status: 404 }),
  );
  const url = `http://127.0.0.1:${server.addr.port}/report.html`;
  const browser = await chromium.launch(LAUNCH);
  try {
    const context = await browser.newContext();
    const requests: string[] = [];
    await context.route("**/*", (route) => {
      requests.push(route.request().url());
      return route.request().url() === url ? route.continue() : route.abort();
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto(url);
    await page.waitForLoadState("networkidle");

    const charts = await page.$$eval("figure.chart", (figures) =>
      figures.map((f) => ({
        metric: f.getAttribute("data-metric"),
        bars: Array.from(f.querySelectorAll("rect.bar")).map((r) =>
          `${r.getAttribute("data-model")}|${r.getAttribute("data-split")}|${
            (r as SVGRectElement).getBBox().height > 0 || r.getAttribute("data-value") === "0"
          }`
        ),
      })));
    assertEquals(charts.map((c) => c.metric), [...METRIC_NAMES]);
    const name = `m<i>x&amp;"q'`;
    for (const chart of charts) {
      assertEquals(
        chart.bars.map((b) => b.split("|").slice(0, 2).join("|")).sort(),
        [
          "model_a|alpha",
          "model_a|beta",
          "model_a|gamma",
          `${name}|alpha`,
          `${name}|beta`,
          `${name}|gamma`,
        ].sort(),
        `chart ${chart.metric}`,
      );
      assertEquals(chart.bars.every((b) => b.endsWith("|true")), true, chart.metric ?? "");
    }
    // The model name is text: no <i> element came from it, and it shows literally.
    assertEquals(await page.$$eval("i", (els) => els.length), 0);
    const legend = await page.$$eval(".legend li", (els) => els.map((e) => e.textContent));
    assertEquals(legend, ["model_a", name]);
    // The confusion counts: model_a / alpha is TP 2, FP 2, TN 2, FN 1, failed 1, unjudged 1.
    const row = await page.$$eval(
      "table.counts tbody tr",
      (rows) => rows.map((r) => Array.from(r.children).map((c) => c.textContent)),
    );
    assertEquals(row[0].slice(0, 6), ["model_a", "alpha", "2", "2", "2", "1"]);
    assertEquals(row[0].slice(9, 11), ["1", "1"]);
    assertEquals(row[2][11], "partial: missing missing.json");
    assertEquals(errors, []);
    assertEquals(requests, [url]);
  } finally {
    await browser.close();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
