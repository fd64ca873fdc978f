/**
 * A scripted model behind the fake OpenAI server, for the tests and the benchmark of
 * `proactive reward`. It recognises the two prompts of `reward_prompts.ts`:
 *
 * - *explain*: reads the real judgement from the request and, by default, answers it
 *   with a thought carrying a marker (`[verdict:accepted]`);
 * - *consistency*: reads the marker back from the thought it is shown and answers each
 *   of the `n` choices with that judgement (a `[verdict:mixed]` thought gets split votes).
 *
 * `plan` decides per explain request (by the item's user message and how many explain
 * requests for it came before) whether to agree, contradict the label, write a thought
 * that splits the votes, or answer garbage. It counts explain requests per user message.
 */
import type {
  FakeHandler,
  FakeReply,
  FakeRequestBody,
} from "../../llm/testing/fake_openai_server.ts";
import { CONSISTENCY_SYSTEM_PROMPT, REWARD_SYSTEM_PROMPT } from "../../prompts/reward_prompts.ts";

export type ExplainBehaviour = "agree" | "contradict" | "mixed" | "garbage";

export interface FakeRewardModelOptions {
  /** Default: always "agree". `seen` counts earlier explain requests with this `user`. */
  plan?: (request: { user: string; judgement: string; seen: number }) => ExplainBehaviour;
  /** Latency of every answer. */
  delayMs?: number;
}

export interface FakeRewardModel {
  handler: FakeHandler;
  /** Explain requests per user message (first asks, not re-asks). */
  readonly explainCounts: Map<string, number>;
  /** Requests seen, by kind. */
  readonly counts: { explain: number; consistency: number; repair: number; other: number };
}

const MARKER = /\[verdict:(accepted|rejected|mixed)\]/;

export function createFakeRewardModel(options: FakeRewardModelOptions = {}): FakeRewardModel {
  const plan = options.plan ?? (() => "agree");
  const explainCounts = new Map<string, number>();
  const counts = { explain: 0, consistency: 0, repair: 0, other: 0 };
  const reply = (texts: string | string[]): FakeReply => ({
    texts,
    ...(options.delayMs ? { delayMs: options.delayMs } : {}),
  });

  const handler: FakeHandler = (body: FakeRequestBody) => {
    const system = String(body.messages[0]?.content ?? "");
    const user = String(body.messages[1]?.content ?? "");
    if (system === REWARD_SYSTEM_PROMPT && body.messages.length === 2) {
      const judgement = readJson(user)?.your_judgement;
      if (typeof judgement !== "string") return reply(thoughtJson("no label shown", "rejected"));
      counts.explain++;
      const seen = explainCounts.get(user) ?? 0;
      explainCounts.set(user, seen + 1);
      const opposite = judgement === "accepted" ? "rejected" : "accepted";
      // Each item (and each new ask) gets a thought of its own, as a real model would.
      const about = `item ${fnv1a(user)}, ask ${seen + 1}`;
      switch (plan({ user, judgement, seen })) {
        case "contradict":
          return reply(thoughtJson(`On reflection (${about}) [verdict:${opposite}]`, opposite));
        case "mixed":
          return reply(thoughtJson(`I am torn (${about}) [verdict:mixed]`, judgement));
        case "garbage":
          return reply("Sorry, I cannot answer in JSON today.");
        default:
          return reply(
            thoughtJson(`Given what I was doing (${about}) [verdict:${judgement}]`, judgement),
          );
      }
    }
    if (system === CONSISTENCY_SYSTEM_PROMPT && body.messages.length === 2) {
      counts.consistency++;
      const thought = String(readJson(user)?.reasoning ?? "");
      const verdict = thought.match(MARKER)?.[1] ?? "rejected";
      const n = body.n ?? 1;
      const votes = Array.from(
        { length: n },
        (_, i) => verdict === "mixed" ? (i % 2 === 0 ? "accepted" : "rejected") : verdict,
      );
      return reply(votes.map((v) => JSON.stringify({ reason: "it says so", judgement: v })));
    }
    if (body.messages.length > 2) {
      // A re-ask after an invalid answer: answer properly this time.
      counts.repair++;
      const judgement = readJson(user)?.your_judgement;
      return reply(
        typeof judgement === "string"
          ? thoughtJson(`Let me put it properly: [verdict:${judgement}]`, judgement)
          : JSON.stringify({ reason: "repaired", judgement: "rejected" }),
      );
    }
    counts.other++;
    return reply("{}");
  };
  return { handler, explainCounts, counts };
}

/** A short hash naming an item in thoughts. */
export function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}

function thoughtJson(thought: string, judgement: string): string {
  return JSON.stringify({ thought, judgement });
}

function readJson(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" ? value : undefined;
  } catch {
    return undefined;
  }
}
