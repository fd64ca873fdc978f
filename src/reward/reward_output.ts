/**
 * The output of `proactive reward`: a LLaMA-Factory dataset file, a JSON array of
 * `{"conversations": [system, user, assistant]}`. This module reads an existing output
 * (to resume; a corrupt one is an error, never overwritten), matches its conversations to
 * the items still to do, and serialises the array.
 *
 * Matching is a multiset: balancing repeats items, so a key (system prompt, user message,
 * the judgement in the assistant's reply) may be owed several conversations; each done
 * conversation serves one occurrence, in order.
 */
import { z } from "zod";
import { inputError } from "../cli/errors.ts";
import { jsonPath } from "../formats/trace.ts";
import { readOptionalInputText } from "../store/read_input.ts";

export interface ConversationMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface Conversation {
  conversations: ConversationMessage[];
}

const ROLES = ["system", "user", "assistant"] as const;

const conversationSchema = z.object({
  conversations: z.array(z.object({ role: z.enum(ROLES), content: z.string() }))
    .length(3, "must hold exactly 3 messages: system, user, assistant")
    .refine((messages) => messages.every((m, i) => m.role === ROLES[i]), {
      message: "roles must be system, user, assistant in that order",
    }),
});

const outputSchema = z.array(conversationSchema);

/**
 * The conversations of an existing output file; [] when it does not exist. Anything
 * else that cannot be read as our format is an input error naming the file.
 */
export async function readExistingOutput(path: string): Promise<Conversation[]> {
  const text = await readOptionalInputText(path, { what: "existing output", noFollow: true });
  if (text === undefined) return [];
  const keep = "it is kept as it is: fix it, move it away or choose another --out";
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw inputError(
      `Cannot parse the existing output "${path}" (${(error as Error).message}); ${keep}`,
    );
  }
  const result = outputSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw inputError(
      `Invalid existing output "${path}" at ${jsonPath(issue.path)}: ${issue.message}; ${keep}`,
    );
  }
  return result.data;
}

/** The judgement in an assistant reply `{"thought", "judgement"}`, or "" when unreadable. */
export function replyJudgement(content: string): string {
  try {
    const value = JSON.parse(content);
    return typeof value?.judgement === "string" ? value.judgement : "";
  } catch {
    return "";
  }
}

/** The multiset key of an item or of a done conversation. */
export function conversationKey(system: string, user: string, judgement: string): string {
  return JSON.stringify([system, user, judgement]);
}

/** The key of a done conversation. */
export function keyOfConversation(conversation: Conversation): string {
  const [system, user, assistant] = conversation.conversations;
  return conversationKey(system.content, user.content, replyJudgement(assistant.content));
}

export interface MatchResult {
  /** For each wanted key (by position): the done conversation serving it, if any. */
  assigned: (Conversation | undefined)[];
  /** Done conversations that serve no wanted key. */
  unmatched: Conversation[];
}

/** Serves each wanted key, in order, from the done conversations with that key. */
export function matchDone(wanted: readonly string[], done: readonly Conversation[]): MatchResult {
  const available = new Map<string, Conversation[]>();
  for (const conversation of done) {
    const key = keyOfConversation(conversation);
    const list = available.get(key);
    if (list) list.push(conversation);
    else available.set(key, [conversation]);
  }
  const assigned = wanted.map((key) => {
    const list = available.get(key);
    if (!list || list.length === 0) return undefined;
    return list.shift();
  });
  const unmatched = [...available.values()].flat();
  return { assigned, unmatched };
}

const encoder = new TextEncoder();

/**
 * One array element as it appears in the output file (indented, UTF-8). Encoded once per
 * conversation, so that a checkpoint only copies bytes: joining and encoding the whole
 * array at every checkpoint would stall the requests in flight for tens of milliseconds.
 */
export function encodeConversation(conversation: Conversation): Uint8Array {
  return encoder.encode("  " + JSON.stringify(conversation, null, 2).replaceAll("\n", "\n  "));
}

const OPEN = encoder.encode("[\n");
const SEPARATOR = encoder.encode(",\n");
const CLOSE = encoder.encode("\n]\n");
const EMPTY = encoder.encode("[]\n");

/** The output file's bytes from encoded elements, in chunks of about `chunkSize` bytes. */
export function* outputChunks(
  elements: readonly Uint8Array[],
  chunkSize = 1 << 20,
): Generator<Uint8Array> {
  if (elements.length === 0) {
    yield EMPTY;
    return;
  }
  let parts: Uint8Array[] = [OPEN];
  let size = OPEN.length;
  for (let i = 0; i < elements.length; i++) {
    if (i > 0) {
      parts.push(SEPARATOR);
      size += SEPARATOR.length;
    }
    parts.push(elements[i]);
    size += elements[i].length;
    if (size >= chunkSize) {
      yield concat(parts, size);
      parts = [];
      size = 0;
    }
  }
  parts.push(CLOSE);
  yield concat(parts, size + CLOSE.length);
}

function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
