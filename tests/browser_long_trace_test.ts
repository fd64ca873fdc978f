/// <reference lib="dom" />
/**
 * Browser test of the event list on a 2,000-turn trace (a question every 10 turns): each
 * answer appends only the newly revealed events to the rows already there, and a reload
 * rebuilds the list in one go. How fast this is lives in tests/bench/page_bench.ts.
 */
import { assert, assertEquals } from "./assert.ts";
import {
  login,
  longTaskTrace,
  pressKeys,
  waitQuestion,
  waitReady,
  withApp,
} from "./browser_harness.ts";
import type { Page } from "playwright-core";

const TURNS = 2000;
const EVERY = 10;
const QUESTIONS = TURNS / EVERY;

/** One change of the children of `#events`: how many nodes it added and removed. */
interface ListChange {
  added: number;
  removed: number;
}

/** Init script: logs every change of the children of `#events` in `window.listChanges`. */
function logListChanges(): void {
  const log: ListChange[] = [];
  (window as unknown as { listChanges: ListChange[] }).listChanges = log;
  new MutationObserver((records) => {
    for (const record of records) {
      if ((record.target as Element).id !== "events") continue;
      log.push({ added: record.addedNodes.length, removed: record.removedNodes.length });
    }
  }).observe(document, { childList: true, subtree: true });
}

/** The changes of `#events` logged since the last call (or the page load). */
function takeListChanges(page: Page): Promise<ListChange[]> {
  return page.evaluate(() => {
    const log = (window as unknown as { listChanges: ListChange[] }).listChanges;
    return log.splice(0, log.length);
  });
}

/** Marks the first row of the list with a property only that very DOM node carries. */
async function markFirstRow(page: Page): Promise<void> {
  await page.evaluate(() => {
    const first = document.querySelector("#events > li:not(.day)") as unknown as {
      longTraceFirst: boolean;
    };
    first.longTraceFirst = true;
  });
}

/** What the list shows once the frames after the last update are drawn. */
function listView(page: Page) {
  return page.evaluate(async () => {
    // The list scrolls to its end in an animation frame: let two go by.
    for (let i = 0; i < 2; i++) await new Promise((resolve) => requestAnimationFrame(resolve));
    const list = document.getElementById("events")!;
    const rows = [...list.children].filter((row) =>
      !row.classList.contains("day")
    ) as HTMLElement[];
    const last = rows.at(-1)!.getBoundingClientRect();
    const box = list.getBoundingClientRect();
    return {
      turns: rows.map((row) => row.querySelector(".turn")?.textContent),
      firstKept: (rows[0] as unknown as { longTraceFirst?: boolean }).longTraceFirst === true,
      latestInView: last.top >= box.top - 1 && last.bottom <= box.bottom + 1 &&
        last.height > 0,
      scrolledToEnd: list.scrollTop + list.clientHeight >= list.scrollHeight - 1,
    };
  });
}

/** `#1` … `#count`: the turn numbers of the first `count` events, in order. */
function turnNumbers(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `#${i + 1}`);
}

/** Answers question `n` with the keyboard and checks the list grew by exactly its events. */
async function answerAndCheck(page: Page, n: number): Promise<void> {
  await pressKeys(page, "1", "Enter");
  await waitQuestion(page, n + 1, QUESTIONS);
  assertEquals(
    await takeListChanges(page),
    [{ added: EVERY, removed: 0 }],
    `answer ${n}: one append of the ${EVERY} new events, nothing removed`,
  );
  const view = await listView(page);
  assertEquals(view.turns, turnNumbers((n + 1) * EVERY), `answer ${n}: every event once, in order`);
  assert(view.firstKept, `answer ${n}: the first row is the very same element`);
  assert(view.latestInView, `answer ${n}: the latest event is scrolled into view`);
  assert(view.scrolledToEnd, `answer ${n}: the list is scrolled to its end`);
}

Deno.test("browser: a 2,000-turn trace grows by the new events only and reloads in one go", async () => {
  await withApp([{ name: "long", turns: longTaskTrace(TURNS, EVERY) }], async ({ base, page }) => {
    await page.addInitScript(logListChanges);
    await login(page, base, "maya");
    await waitQuestion(page, 1, QUESTIONS);
    // The first events, under one row naming their day.
    assertEquals(await takeListChanges(page), [{ added: EVERY + 1, removed: 0 }], "first events");
    await markFirstRow(page);
    for (const n of [1, 2, 3]) await answerAndCheck(page, n);

    // A reload lists the 40 revealed events (and their day's row) with one append.
    await page.reload();
    await waitReady(page);
    await waitQuestion(page, 4, QUESTIONS);
    assertEquals(
      await takeListChanges(page),
      [{ added: 4 * EVERY + 1, removed: 0 }],
      "the reloaded list is built once",
    );
    const reloaded = await listView(page);
    assertEquals(reloaded.turns, turnNumbers(4 * EVERY), "every revealed event exactly once");
    assert(!reloaded.firstKept, "the reload built new rows");
    assert(reloaded.latestInView, "after the reload the latest event is in view");

    await markFirstRow(page);
    for (const n of [4, 5]) await answerAndCheck(page, n);
  });
});
