import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { runtimeError } from "../cli/errors.ts";
import type { RewardItem } from "../formats/reward_item.ts";
import type { LlmClient } from "../llm/llm_client.ts";
import {
  attemptTag,
  buildRewardSet,
  type BuildSettings,
  type RewardJob,
} from "./build_reward_set.ts";
import type { AttemptResult } from "./explain_item.ts";

function job(index: number, valid = index % 2 === 0): RewardJob {
  const item: RewardItem = {
    obs: [{ time: "t", event: `event ${index}` }],
    pred_task: `task ${index}`,
    valid,
    help_needed: true,
    annotation: [valid],
    category: valid ? "Correct-Detection (CD)" : "False-Alarm (FA)",
  };
  return { index, item, line: index + 1, copy: 0 };
}

const SETTINGS: BuildSettings = {
  maxAttempts: 3,
  consistencySamples: 5,
  consistencyTemperature: 0.8,
  workers: 4,
  checkpointEvery: 2,
};
const client = {} as Pick<LlmClient, "chatJson">;

Deno.test("buildRewardSet: bounded attempts with a tag each; failures keep every reason", async () => {
  const tags = new Map<number, string[]>();
  const done: number[] = [];
  let checkpoints = 0;
  let ticks = 0;
  let failedTicks = 0;
  const result = await buildRewardSet([0, 1, 2, 3, 4, 5].map((i) => job(i)), SETTINGS, {
    client,
    onDone: (j, reply) => {
      done.push(j.index);
      assertEquals(reply, `reply ${j.index}`);
    },
    requestCheckpoint: () => checkpoints++,
    progress: {
      tick: (n = 1, options) => {
        ticks += n;
        if (options?.failed) failedTicks += n;
      },
    },
    attempt: (_client, item, _settings, tag): Promise<AttemptResult> => {
      const index = Number(item.obs[0].event.split(" ")[1]);
      const list = tags.get(index) ?? [];
      list.push(tag);
      tags.set(index, list);
      if (index === 3) return Promise.resolve({ ok: false, reason: `no ${list.length}` });
      if (index === 5) return Promise.resolve({ ok: false, reason: "refused", final: true });
      if (index === 1 && list.length < 2) return Promise.resolve({ ok: false, reason: "once" });
      return Promise.resolve({ ok: true, reply: `reply ${index}` });
    },
  });
  assertEquals(result.succeeded, 4);
  assertEquals(result.attempts, 4 + 1 + 3 + 1);
  assertEquals(done.sort(), [0, 1, 2, 4]);
  assertEquals(tags.get(3), [attemptTag(0, 1), attemptTag(0, 2), attemptTag(0, 3)]);
  assertEquals(tags.get(1), ["copy:0/attempt:1", "copy:0/attempt:2"]);
  assertEquals(result.failures, [
    {
      index: 3,
      line: 4,
      category: "False-Alarm (FA)",
      label: "rejected",
      pred_task: "task 3",
      attempts: 3,
      reasons: ["attempt 1: no 1", "attempt 2: no 2", "attempt 3: no 3"],
    },
    {
      index: 5,
      line: 6,
      category: "False-Alarm (FA)",
      label: "rejected",
      pred_task: "task 5",
      attempts: 1,
      reasons: ["attempt 1: refused"],
    },
  ]);
  assertEquals(checkpoints, 2);
  assertEquals([ticks, failedTicks], [6, 2]);
});

Deno.test("buildRewardSet: never more items in flight than workers", async () => {
  let inFlight = 0;
  let most = 0;
  await buildRewardSet(Array.from({ length: 20 }, (_, i) => job(i)), SETTINGS, {
    client,
    onDone: () => {},
    requestCheckpoint: () => {},
    attempt: async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight--;
      return { ok: true, reply: "r" };
    },
  });
  assertEquals(most, SETTINGS.workers);
});

Deno.test("buildRewardSet: a failure beyond one item stops the run and is thrown", async () => {
  const started: number[] = [];
  let aborted = 0;
  const error = await assertRejects(
    () =>
      buildRewardSet(Array.from({ length: 50 }, (_, i) => job(i)), SETTINGS, {
        client,
        onDone: () => {},
        requestCheckpoint: () => {},
        attempt: (_c, item, _s, _t, signal) => {
          const index = Number(item.obs[0].event.split(" ")[1]);
          started.push(index);
          if (index === 6) return Promise.reject(runtimeError("endpoint down"));
          return new Promise((resolve, reject) => {
            const timer = setTimeout(() => resolve({ ok: true, reply: "r" }), 5);
            signal?.addEventListener("abort", () => {
              clearTimeout(timer);
              aborted++;
              reject(signal.reason);
            });
          });
        },
      }),
    Error,
  );
  assertEquals(error.message, "endpoint down");
  assert(started.length < 50, `started ${started.length}`);
  assert(aborted > 0);
});

Deno.test("buildRewardSet: an aborted signal stops the run with its reason", async () => {
  const controller = new AbortController();
  const reason = new Error("SIGINT");
  let calls = 0;
  const error = await assertRejects(
    () =>
      buildRewardSet(Array.from({ length: 10 }, (_, i) => job(i)), SETTINGS, {
        client,
        signal: controller.signal,
        onDone: () => {},
        requestCheckpoint: () => {},
        attempt: (_c, _i, _s, _t, signal) => {
          calls++;
          if (calls === 3) controller.abort(reason);
          if (signal?.aborted) return Promise.reject(signal.reason);
          return Promise.resolve({ ok: true, reply: "r" });
        },
      }),
  );
  assert(error === reason);
  assert(calls < 10);
});
