/**
 * End to end over real HTTP: 100 annotators in parallel on the 13 embedded traces (one in help
 * mode) with N = 3. No trace gets more than 3 annotators, every acknowledged label is in the result
 * files, every result file parses, and exactly 13 × 3 trace completions happen.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { createMemoryLogger } from "../src/cli/testing/memory_logger.ts";
import { parseResultText } from "../src/formats/result_file.ts";
import { parseServeOptions } from "../src/serve/command.ts";
import { startServer } from "../src/serve/serve_server.ts";
import { ApiClient, randomLabel } from "./serve_client.ts";

const ANNOTATORS = 100;
const PASSWORD = "load-test";
const ADMIN_PASSWORD = "load-admin";

Deno.test("100 parallel annotators: no trace over N, no label lost, 39 completions", async () => {
  const dir = await Deno.makeTempDir({ prefix: "serve-load-" });
  const logger = createMemoryLogger();
  const options = parseServeOptions(
    [
      "--port",
      "0",
      "--out",
      dir,
      "--password",
      PASSWORD,
      "--admin-password",
      ADMIN_PASSWORD,
      "--annotators-per-trace",
      "3",
    ],
    () => undefined,
  );
  const server = await startServer(options, { logger, now: Date.now });
  const deadline = Date.now() + 240_000;
  /** "trace|annotator|turn" → last acknowledged label. */
  const acknowledged = new Map<string, unknown>();
  const completions = new Set<string>();
  const problems: string[] = [];
  try {
    const annotator = async (i: number) => {
      const client = new ApiClient(server.url);
      const id = await client.login(`load-${i}`, PASSWORD);
      let state = (await client.call("/api/next", {})).body;
      for (let step = 0; step < 400 && Date.now() < deadline; step++) {
        if (state.allDone) return;
        if (state.finished) {
          completions.add(`${state.trace}|${id}`);
          state = (await client.call("/api/next", {})).body;
          continue;
        }
        const label = randomLabel(state.question);
        const turn = state.question.turn;
        const reply = await client.call("/api/label", { trace: state.trace, turn, label });
        if (reply.status !== 200) {
          problems.push(`${reply.status} ${JSON.stringify(reply.body)}`);
          return;
        }
        acknowledged.set(`${state.trace}|${id}|${turn}`, label);
        // Now and then change the previous answer (the "back" key).
        if (reply.body.previousTurn !== null && Math.random() < 0.1) {
          const previous = await client.call(
            `/api/question?trace=${state.trace}&turn=${reply.body.previousTurn}`,
          );
          const changed = randomLabel(previous.body);
          const again = await client.call("/api/label", {
            trace: state.trace,
            turn: reply.body.previousTurn,
            label: changed,
          });
          if (again.status !== 200) problems.push(`${again.status} ${JSON.stringify(again.body)}`);
          else acknowledged.set(`${state.trace}|${id}|${reply.body.previousTurn}`, changed);
          state = again.body;
        } else {
          state = reply.body;
        }
      }
      problems.push(`annotator ${i} did not reach allDone`);
    };
    await Promise.all(Array.from({ length: ANNOTATORS }, (_, i) => annotator(i)));
    assertEquals(problems, []);

    const observer = new ApiClient(server.url);
    await observer.login("observer", ADMIN_PASSWORD);
    const status = (await observer.call("/api/status")).body;
    assertEquals(status.traces.length, 13); // 12 ProactiveBench traces and the help-mode one
    for (const trace of status.traces) {
      assertEquals([trace.trace, trace.done, trace.inProgress], [trace.trace, 3, 0]);
    }
    assertEquals(completions.size, 39);
    assertEquals(status.annotators.reduce((n: number, a: { done: number }) => n + a.done, 0), 39);
  } finally {
    await server.shutdown();
  }
  try {
    const found = new Map<string, unknown>();
    const files = [];
    for await (const entry of Deno.readDir(dir)) if (entry.isFile) files.push(entry.name);
    assertEquals(files.length, 13);
    for (const file of files) {
      assert(file.endsWith(".json"), file);
      const trace = file.slice(0, -5);
      const entries = parseResultText(await Deno.readTextFile(join(dir, file)), file);
      const annotators = new Set<string>();
      entries.forEach((entry, turn) => {
        for (const [id, label] of Object.entries(entry.real_user ?? {})) {
          annotators.add(id);
          found.set(`${trace}|${id}|${turn}`, label);
        }
      });
      assertEquals(annotators.size, 3, `${file} has 3 annotators`);
    }
    assertEquals(found.size, acknowledged.size);
    for (const [key, label] of acknowledged) assertEquals(found.get(key), label, key);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
