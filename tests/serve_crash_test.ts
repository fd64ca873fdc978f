/**
 * `kill -9` of a real `proactive serve` process in the middle of a labelling load: after a
 * restart on the same --out (and so the same KV store), every label that was acknowledged
 * with HTTP 200 before the kill is there, through the API and in the result files.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { parseResultText } from "../src/formats/result_file.ts";
import { ApiClient, randomLabel, spawnServe } from "./serve_client.ts";

const ANNOTATORS = 30;
const PASSWORD = "crash-test";
/** Kill once this many labels were acknowledged (about a third of the work) … */
const KILL_AFTER_LABELS = 120;
/** … or after this long, whichever comes first. */
const KILL_AFTER_MS = 20_000;

Deno.test("labels acknowledged before kill -9 survive a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "serve-crash-" });
  const args = ["--port", "0", "--out", dir, "--password", PASSWORD];
  /** "trace|annotator|turn" → acknowledged label; each turn is labelled at most once. */
  const acknowledged = new Map<string, unknown>();
  const ids = new Map<string, string>();
  try {
    const first = await spawnServe(args);
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      first.child.kill("SIGKILL");
    };
    const stopAt = setTimeout(kill, KILL_AFTER_MS);
    const annotator = async (i: number) => {
      const client = new ApiClient(first.url);
      try {
        const username = `crash-${i}`;
        ids.set(username, await client.login(username, PASSWORD));
        let state = (await client.call("/api/next", {})).body;
        for (let step = 0; step < 300 && !killed; step++) {
          if (state.allDone) return;
          if (state.finished) {
            state = (await client.call("/api/next", {})).body;
            continue;
          }
          const label = randomLabel(state.question);
          const turn = state.question.turn;
          const reply = await client.call("/api/label", { trace: state.trace, turn, label });
          if (reply.status !== 200) throw new Error(`label refused: ${JSON.stringify(reply.body)}`);
          acknowledged.set(`${state.trace}|${ids.get(username)}|${turn}`, label);
          if (acknowledged.size >= KILL_AFTER_LABELS) kill();
          state = reply.body;
        }
      } catch (error) {
        // Requests cut off by the kill fail; anything failing before it is a bug.
        if (!killed) throw error;
      }
    };
    const results = await Promise.allSettled(
      Array.from({ length: ANNOTATORS }, (_, i) => annotator(i)),
    );
    clearTimeout(stopAt);
    kill();
    const status = await first.child.status;
    await first.drained;
    assertEquals(status.signal, "SIGKILL");
    for (const result of results) {
      if (result.status === "rejected") throw result.reason;
    }
    assert(acknowledged.size >= 30, `only ${acknowledged.size} labels before the kill`);

    const second = await spawnServe(args);
    try {
      // Through the API: each annotator logs in again (same id) and reads its answers.
      const byAnnotator = new Map<string, [string, number, unknown][]>();
      for (const [key, label] of acknowledged) {
        const [trace, id, turn] = key.split("|");
        const list = byAnnotator.get(id) ?? [];
        list.push([trace, Number(turn), label]);
        byAnnotator.set(id, list);
      }
      for (const [username, id] of ids) {
        const client = new ApiClient(second.url);
        assertEquals(await client.login(username, PASSWORD), id);
        for (const [trace, turn, label] of byAnnotator.get(id) ?? []) {
          const reply = await client.call(`/api/question?trace=${trace}&turn=${turn}`);
          assertEquals([reply.status, reply.body.label], [200, label], `${trace} ${turn}`);
        }
      }
      // In the result files, rewritten from KV on start.
      const found = new Map<string, unknown>();
      for await (const entry of Deno.readDir(dir)) {
        if (!entry.isFile) continue;
        assert(entry.name.endsWith(".json") || entry.name.includes(".tmp-"), entry.name);
        if (!entry.name.endsWith(".json")) continue;
        const trace = entry.name.slice(0, -5);
        const file = parseResultText(await Deno.readTextFile(join(dir, entry.name)), entry.name);
        file.forEach((turn, index) => {
          for (const [id, label] of Object.entries(turn.real_user ?? {})) {
            found.set(`${trace}|${id}|${index}`, label);
          }
        });
      }
      for (const [key, label] of acknowledged) assertEquals(found.get(key), label, key);
    } finally {
      second.child.kill("SIGTERM");
      const stopped = await second.child.status;
      await second.drained;
      assertEquals(stopped.code, 0, second.stderr());
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
