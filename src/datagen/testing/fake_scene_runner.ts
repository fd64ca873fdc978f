/**
 * A scene runner for tests of `proactive datagen`: writes a `setup` record, a few `events`
 * and the `end` record, optionally slowly (aborting when told), failing, or forgetting its
 * end record — without any LLM.
 */
import type { GymRecord, SceneRunner, SceneSummary } from "../../gym/gym_types.ts";

export interface FakeSceneRunnerOptions {
  /** Events per scene (default 3). */
  events?: number;
  /** Pause before each record (default 0). */
  delayMs?: number;
  /** A reason makes the scene fail after its first records. */
  failure?: (name: string) => string | undefined;
  /** The scene resolves without its end record. */
  skipEnd?: (name: string) => boolean;
  /** Called when a scene starts. */
  onStart?: (name: string) => void | Promise<void>;
}

export function createFakeSceneRunner(options: FakeSceneRunnerOptions = {}): SceneRunner {
  const events = options.events ?? 3;
  return async (job, runOptions, { log, signal }) => {
    await options.onStart?.(job.name);
    let second = 0;
    const time = () => `03-01 09:00:${String(second++ % 60).padStart(2, "0")}`;
    const write = async (record: Omit<GymRecord, "time">) => {
      if (options.delayMs) await pause(options.delayMs, signal);
      signal.throwIfAborted();
      await log.write({ ...record, time: time() });
    };
    await write({
      source: "EnvManager",
      tags: ["setup"],
      content: JSON.stringify({ scene: job.name, seed: runOptions.seed }),
    });
    for (let i = 0; i < events; i++) {
      await write({ source: "EnvManager", tags: ["events"], content: `${job.name} event ${i}` });
      const reason = options.failure?.(job.name);
      if (reason) throw new Error(`Scene "${job.name}": ${reason}`);
    }
    const summary: SceneSummary = {
      steps: events,
      events,
      proposals: 1,
      accepted: 0,
      requests: events * 2,
      tokens: events * 100,
      finished: true,
    };
    if (!options.skipEnd?.(job.name)) {
      await write({ source: "system", tags: ["end"], content: JSON.stringify(summary) });
    }
    return summary;
  };
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
