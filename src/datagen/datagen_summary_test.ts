import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import {
  costOf,
  countScenes,
  type DatagenSummary,
  formatDatagenReport,
  formatSceneLine,
  type SceneReport,
  sumScenes,
} from "./datagen_summary.ts";

const played = (name: string, events: number): SceneReport => ({
  name,
  log: `out/${name}.jsonl`,
  status: "done",
  summary: {
    steps: 2,
    events,
    proposals: 2,
    accepted: 1,
    requests: 10,
    tokens: 12_345,
    prompt_tokens: 12_000,
    completion_tokens: 345,
    prefix_reuse: {
      env: { requests: 6, prompt_chars: 1000, reused_chars: 400 },
      agent: { requests: 4, prompt_chars: 1000, reused_chars: 900 },
    },
    finished: true,
  },
  durationMs: 65_000,
});

const SCENES: SceneReport[] = [
  played("scene_a", 12),
  { name: "scene_long_name", log: "out/b.jsonl", status: "failed", reason: "Scene timed out" },
  { name: "scene_c", log: "out/c.jsonl", status: "complete" },
  {
    name: "scene_d",
    log: "out/d.jsonl",
    status: "taken",
    reason: "taken by another run (h pid 1, run x)",
  },
  played("scene_e", 3),
];

Deno.test("counts and totals cover every status and only played scenes", () => {
  assertEquals(countScenes(SCENES), {
    scenes: 5,
    done: 2,
    complete: 1,
    taken: 1,
    failed: 1,
    interrupted: 0,
  });
  assertEquals(sumScenes(SCENES), {
    events: 15,
    proposals: 4,
    accepted: 2,
    requests: 20,
    tokens: 24_690,
    prompt_tokens: 24_000,
    completion_tokens: 690,
  });
});

Deno.test("the cost of an event: tokens per event and the prefix a server can reuse, per role", () => {
  const cost = costOf(SCENES);
  assertEquals(cost.per_event, { prompt_tokens: 1600, completion_tokens: 46 });
  assertEquals(cost.prefix_reuse.env, {
    requests: 12,
    prompt_chars: 2000,
    reused_chars: 800,
    share: 0.4,
  });
  assertEquals(cost.prefix_reuse.agent.share, 0.9);
  assertEquals(cost.prefix_reuse_share, 0.65);
  assertEquals(costOf([]).per_event, { prompt_tokens: 0, completion_tokens: 0 });
});

Deno.test("a scene line shows counts when done, the reason otherwise", () => {
  assertEquals(
    formatSceneLine(SCENES[0], 9),
    "  scene_a    done         12 events, 2 proposals (1 accepted), 10 requests, 12,345 tokens in 1m05s",
  );
  assertEquals(formatSceneLine(SCENES[1]), "  scene_long_name  failed       Scene timed out");
  assertEquals(formatSceneLine(SCENES[2]), "  scene_c  complete");
});

Deno.test("the report names every scene, the totals, the files and the LLM accounting", () => {
  const summary = {
    outDir: "out",
    counts: countScenes(SCENES),
    totals: sumScenes(SCENES),
    cost: costOf(SCENES),
    scenes: SCENES,
    durationMs: 3_000,
  } as DatagenSummary;
  const text = formatDatagenReport(summary, "LLM: 20 calls\n");
  assertStringIncludes(
    text,
    "datagen: 5 scene(s), 2 done, 1 already complete, 1 taken by another run, 1 failed in 3s\n",
  );
  assert(!text.includes("interrupted"));
  for (const scene of SCENES) {
    assertStringIncludes(text, `  ${scene.name.padEnd(15)}  ${scene.status}`);
  }
  assertStringIncludes(
    text,
    "Played: 15 events, 4 proposals (2 accepted), 20 requests, 24,690 tokens",
  );
  assertStringIncludes(text, `summary in "out/datagen_summary.json"`);
  assertStringIncludes(
    text,
    "Per event: 1,600 prompt + 46 completion tokens; prompt characters repeating an earlier " +
      "request's start: 65% (env 40%, agent 90%)",
  );
  assert(text.endsWith("LLM: 20 calls\n"), text);
});

Deno.test("a failed scene shows its reason and what it cost, and counts in the totals", () => {
  const failed: SceneReport = {
    ...played("scene_f", 4),
    status: "failed",
    reason: 'Scene "scene_f" failed at step-2/env-events (env model): 500',
  };
  assertEquals(
    formatSceneLine(failed),
    '  scene_f  failed       Scene "scene_f" failed at step-2/env-events (env model): 500 ' +
      "(after 10 requests, 12,345 tokens)",
  );
  assertEquals(sumScenes([failed, played("scene_g", 1)]).requests, 20);
});
