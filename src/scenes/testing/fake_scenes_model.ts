/**
 * A scripted `scenes` model for the fake OpenAI server: it finds the step from the last
 * user message (the `# Step N:` headings of `scenes_prompts.ts`, or a re-ask) and the seed
 * task from the first instruction, and answers steps 1–5 with a line naming both, step 6
 * with a JSON list of two valid scenes and a trailing `"and more ..."` entry. Tests change
 * any answer through `reply`.
 */
import type { FakeReply, FakeRequestBody } from "../../llm/testing/fake_openai_server.ts";

/** What the model was asked: the step (1–6, or "repair"), the seed task and its kind. */
export interface ScenesRequest {
  step: number | "repair";
  kind: string;
  task: string;
  /** The last user message. */
  last: string;
  body: FakeRequestBody;
}

export interface FakeScenesModelOptions {
  /** Overrides the answer: a reply, or undefined for the default one. */
  reply?: (request: ScenesRequest) => FakeReply | undefined;
}

/** The default answer's scenes for `task`: two, each named after the task. */
export function defaultScenes(task: string): Record<string, unknown>[] {
  return [0, 1].map((variant) => ({
    environment: {
      theme: `Theme ${variant} of ${task}`,
      description: `A scene for ${task}`,
      entities: ["Laptop", "Editor"],
      agent_ops: ["file_open(file_path)", "browser_open(url)"],
      events_example: [`The user starts on ${task}.`, "The agent opens the browser."],
    },
    user: { goal: `${task} (variant ${variant})`, description: `User ${variant}` },
  }));
}

/** Reads the step, kind and task of a request. */
export function readScenesRequest(body: FakeRequestBody): ScenesRequest {
  const texts = body.messages.map((m) => String(m.content));
  const last = texts.findLast((_, i) => body.messages[i].role === "user") ?? "";
  const first = texts.find((t) => t.startsWith("# Step 1:")) ?? "";
  const kind = first.match(/^Scene kind: (.*)$/m)?.[1] ?? "";
  const task = first.match(/^Seed task: (.*)$/m)?.[1] ?? "";
  const heading = last.match(/^# Step (\d):/);
  const step = heading ? Number(heading[1]) : "repair";
  return { step, kind, task, last, body };
}

export function createFakeScenesModel(options: FakeScenesModelOptions = {}) {
  const asked: ScenesRequest[] = [];
  return {
    /** Every request, in arrival order. */
    asked,
    handler(body: FakeRequestBody): FakeReply {
      const request = readScenesRequest(body);
      asked.push(request);
      const custom = options.reply?.(request);
      if (custom) return custom;
      if (request.step === 6 || request.step === "repair") {
        return { texts: JSON.stringify([...defaultScenes(request.task), "and more ..."]) };
      }
      return { texts: `Step ${request.step} for ${request.kind}: ${request.task}` };
    },
  };
}
