/**
 * Trimming an agent conversation to a training sample's size (`--max-chars`,
 * `--max-assistant-chars`) while keeping the shape LLaMA-Factory needs.
 *
 * A conversation is held as turns: a user turn is its observations plus, on the newest
 * user turn only, the other keys of the prompt module's message (`Instructions`, and on a
 * re-ask `Previous Prediction`, `Status`, `User Feedback`); an assistant turn is its text.
 * Rendering: earlier user messages are `{"Observations": [...]}`, the newest is
 * `{"Observations": [...], "Instructions": …, …}` (the instruction last, never nested);
 * consecutive user turns merge into one by concatenating their observations, so roles
 * alternate.
 *
 * Trimming keeps the system message, the last turn and the user turn before it (cut when
 * too large: the oldest observations first, then the text of the one left), then as many
 * of the newest turns as fit in `maxChars` (all contents, the system message included)
 * with at most `maxAssistantChars` of assistant text in total; the kept part starts at a
 * user message.
 */
import type { ChatMessage } from "../llm/llm_types.ts";

export interface UserTurn {
  role: "user";
  observations: unknown[];
  /** The keys after the observations, used on the newest user turn only. */
  rest: Record<string, unknown>;
}
export interface AssistantTurn {
  role: "assistant";
  content: string;
}
export type Turn = UserTurn | AssistantTurn;

export interface TrimLimits {
  maxChars: number;
  maxAssistantChars: number;
}

export const CUT_MARK = " … [cut]";

/** A user message's content as a turn: its `Observations` and other keys; other text as one observation. */
export function userTurnOf(content: string): UserTurn {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return { role: "user", observations: [content], rest: {} };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { role: "user", observations: [content], rest: {} };
  }
  const { Observations, ...rest } = value as Record<string, unknown>;
  const observations = Array.isArray(Observations)
    ? Observations
    : Observations === undefined
    ? []
    : [Observations];
  return { role: "user", observations, rest };
}

/** A message list (the system message first, if any) as the system text and turns. */
export function turnsOf(
  messages: readonly ChatMessage[],
): { system: string | null; turns: Turn[] } {
  const system = messages[0]?.role === "system" ? messages[0].content : null;
  const turns = messages.slice(system === null ? 0 : 1).map((message): Turn =>
    message.role === "assistant"
      ? { role: "assistant", content: message.content }
      : userTurnOf(message.content)
  );
  return { system, turns };
}

/**
 * Consecutive user turns merged (observations in order, the newest one's other keys);
 * of consecutive assistant turns the last one stays.
 */
export function mergeTurns(turns: readonly Turn[]): Turn[] {
  const merged: Turn[] = [];
  // Observations of the user turn being merged: a fresh array, appended to in place, so a
  // long run of user turns is merged in linear time.
  let group: unknown[] | undefined;
  for (const turn of turns) {
    const last = merged.at(-1);
    if (last?.role === "user" && turn.role === "user") {
      if (group === undefined) group = [...last.observations];
      for (const observation of turn.observations) group.push(observation);
      merged[merged.length - 1] = { role: "user", observations: group, rest: turn.rest };
    } else {
      group = undefined;
      if (last?.role === "assistant" && turn.role === "assistant") {
        merged[merged.length - 1] = turn;
      } else {
        merged.push(turn);
      }
    }
  }
  return merged;
}

export function renderUser(turn: UserTurn, newest: boolean): string {
  return JSON.stringify(
    newest
      ? { Observations: turn.observations, ...turn.rest }
      : { Observations: turn.observations },
  );
}

function cutText(text: string, limit: number): string {
  if (text.length <= limit) return text;
  if (limit <= CUT_MARK.length) return text.slice(0, Math.max(1, limit));
  return text.slice(0, limit - CUT_MARK.length) + CUT_MARK;
}

/**
 * The user turn rendered in at most `limit` characters: the oldest observations dropped
 * first, then the text of the one left cut, as a last resort the rendered text cut.
 */
export function fitUser(turn: UserTurn, newest: boolean, limit: number): string {
  const full = renderUser(turn, newest);
  if (full.length <= limit) return full;
  const empty = renderUser({ ...turn, observations: [] }, newest).length;
  const sizes = turn.observations.map((o) => JSON.stringify(o)?.length ?? 4);
  // Newest observations first, each with its comma.
  let used = empty;
  let start = turn.observations.length;
  while (
    start > 0 && used + sizes[start - 1] + (start < turn.observations.length ? 1 : 0) <= limit
  ) {
    used += sizes[start - 1] + (start < turn.observations.length ? 1 : 0);
    start--;
  }
  if (start < turn.observations.length) {
    const text = renderUser({ ...turn, observations: turn.observations.slice(start) }, newest);
    if (text.length <= limit) return text;
  }
  // Not even the newest observation fits: cut its text.
  const newestObservation = turn.observations.at(-1);
  if (newestObservation !== undefined) {
    let allowance = limit - empty - 2;
    for (let round = 0; round < 8 && allowance > 0; round++) {
      const cut = cutObservation(newestObservation, allowance);
      const text = renderUser({ ...turn, observations: [cut] }, newest);
      if (text.length <= limit) return text;
      allowance -= text.length - limit + 16;
    }
  }
  return cutText(full, limit);
}

function cutObservation(observation: unknown, allowance: number): unknown {
  if (typeof observation === "string") return cutText(observation, allowance);
  if (observation !== null && typeof observation === "object" && !Array.isArray(observation)) {
    const record = observation as Record<string, unknown>;
    if (typeof record.event === "string") {
      const others = JSON.stringify({ ...record, event: "" }).length;
      return { ...record, event: cutText(record.event, Math.max(1, allowance - others)) };
    }
  }
  return cutText(JSON.stringify(observation) ?? "", allowance);
}

/**
 * The conversation as messages within the limits (see the module comment). `turns` may end
 * with a user turn (a request) or an assistant turn (a sample).
 */
export function trimConversation(
  system: string,
  input: readonly Turn[],
  limits: TrimLimits,
): ChatMessage[] {
  const turns = mergeTurns(input);
  const budget = Math.max(1, limits.maxChars - system.length);
  const kept: ChatMessage[] = [];
  let used = 0;
  let assistantUsed = 0;
  let next = turns.length - 1;
  // The last turn, and the user turn before it, are always kept (cut to fit).
  if (turns[next]?.role === "assistant") {
    const cap = Math.max(1, Math.min(limits.maxAssistantChars, Math.floor(budget / 2)));
    const content = cutText((turns[next] as AssistantTurn).content, cap);
    kept.unshift({ role: "assistant", content });
    used += content.length;
    assistantUsed += content.length;
    next--;
  }
  if (turns[next]?.role === "user") {
    const content = fitUser(turns[next] as UserTurn, true, Math.max(1, budget - used));
    kept.unshift({ role: "user", content });
    used += content.length;
    next--;
  }
  for (; next >= 0; next--) {
    const turn = turns[next];
    const content = turn.role === "user" ? renderUser(turn, false) : turn.content;
    if (used + content.length > budget) break;
    if (turn.role === "assistant" && assistantUsed + content.length > limits.maxAssistantChars) {
      break;
    }
    kept.unshift({ role: turn.role, content });
    used += content.length;
    if (turn.role === "assistant") assistantUsed += content.length;
  }
  while (kept[0]?.role === "assistant" && kept.length > 1) kept.shift();
  return [{ role: "system", content: system }, ...kept];
}
