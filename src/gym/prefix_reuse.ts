/**
 * How much of a scene's prompts a server's prefix cache could reuse: for each request, the
 * characters at its start that repeat the start of an earlier request of the same scene
 * (the longest such shared start), per role. A role whose messages only grow (each request
 * the previous one plus new messages) reuses almost everything; one that rewrites its
 * history reuses little. Measured on the messages as sent (role and content of each, in
 * order), so it does not depend on the model's tokenizer.
 *
 * @module
 */
import type { ChatMessage } from "../llm/llm_types.ts";

/** Characters sent and characters that repeat an earlier request's start, for one role. */
export interface PrefixCounts {
  requests: number;
  prompt_chars: number;
  reused_chars: number;
}

/** The messages of a request as one text (each message's role and content, delimited). */
function promptText(messages: readonly ChatMessage[]): string {
  return messages.map((m) => `${m.role}\u0000${m.content}\u0001`).join("");
}

function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** Accumulates `PrefixCounts` per role over one scene's requests. */
export class PrefixReuse {
  readonly #earlier: string[] = [];
  readonly #byRole = new Map<string, PrefixCounts>();

  /** Counts one request of `role`. */
  record(role: string, messages: readonly ChatMessage[]): void {
    const text = promptText(messages);
    let reused = 0;
    for (const earlier of this.#earlier) {
      if (earlier.charCodeAt(0) !== text.charCodeAt(0)) continue;
      reused = Math.max(reused, commonPrefix(earlier, text));
      if (reused === text.length) break;
    }
    this.#earlier.push(text);
    const counts = this.#byRole.get(role) ?? { requests: 0, prompt_chars: 0, reused_chars: 0 };
    counts.requests++;
    counts.prompt_chars += text.length;
    counts.reused_chars += reused;
    this.#byRole.set(role, counts);
  }

  /** The counts so far, by role (sorted by role name). */
  byRole(): Record<string, PrefixCounts> {
    return Object.fromEntries(
      [...this.#byRole.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map((
        [role, counts],
      ) => [role, { ...counts }]),
    );
  }
}

/** Adds `more` into `into`, role by role. */
export function addPrefixCounts(
  into: Record<string, PrefixCounts>,
  more: Readonly<Record<string, PrefixCounts>>,
): void {
  for (const [role, counts] of Object.entries(more)) {
    const total = into[role] ??= { requests: 0, prompt_chars: 0, reused_chars: 0 };
    total.requests += counts.requests;
    total.prompt_chars += counts.prompt_chars;
    total.reused_chars += counts.reused_chars;
  }
}

/** The reused share of `counts` (0 when nothing was sent), rounded to 3 decimals. */
export function reusedShare(counts: PrefixCounts): number {
  return counts.prompt_chars === 0
    ? 0
    : Math.round((counts.reused_chars / counts.prompt_chars) * 1000) / 1000;
}
