/**
 * The rules LLaMA-Factory's sharegpt converter applies to one conversation (with the tags
 * of our `dataset_info.json` entry: role/content, system/user/assistant), checked here
 * before a sample is written — LLaMA-Factory silently skips a conversation that breaks
 * them:
 * - a first message with the system tag is taken as the system prompt, the rest are turns;
 * - turns at even positions (0, 2, …) must be user, at odd positions assistant;
 * - the number of turns must be even (so the last one is the assistant's answer), and at
 *   least one pair;
 * - every content is a non-empty string (an empty prompt or answer gives an empty
 *   training example).
 */

export interface ShareGptMessage {
  role: string;
  content: string;
}

/** Why `conversation` would be dropped by LLaMA-Factory, or null when it is accepted. */
export function shareGptProblem(conversation: unknown): string | null {
  if (!Array.isArray(conversation)) return "conversations is not a list";
  if (conversation.length === 0) return "conversations is empty";
  for (const [index, message] of conversation.entries()) {
    if (message === null || typeof message !== "object" || Array.isArray(message)) {
      return `message ${index} is not an object`;
    }
    const { role, content } = message as Record<string, unknown>;
    if (typeof role !== "string") return `message ${index} has no role`;
    if (typeof content !== "string") return `message ${index} (${role}) has no text content`;
    if (content.trim() === "") return `message ${index} (${role}) is empty`;
  }
  const messages = conversation as ShareGptMessage[];
  if (messages[0].role !== "system") return "the first message is not the system prompt";
  const turns = messages.slice(1);
  for (const [index, message] of turns.entries()) {
    const expected = index % 2 === 0 ? "user" : "assistant";
    if (message.role !== expected) {
      return `message ${index + 1} is ${message.role}, expected ${expected} (roles must alternate)`;
    }
  }
  if (turns.length === 0) return "there is no user/assistant turn";
  if (turns.length % 2 !== 0) return "the last message is not the assistant's";
  return null;
}
