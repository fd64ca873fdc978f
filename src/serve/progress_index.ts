/**
 * Progress counts the annotation page shows with every State (`state.ts`): each
 * annotator's traces done and in progress, and the project's labels done out of those
 * needed (every question of every trace, `annotatorsPerTrace` times). `ProgressIndex` keeps
 * them up to date from the trace records as they are stored (`TraceRecords`,
 * `trace_records.ts`, calls `update` with every record it keeps), so a request reads them
 * in constant time however large the catalogue; nothing is read from KV.
 *
 * @module
 */
import type { Member } from "./kv_schema.ts";

/** An annotator's traces: finished, and reserved but unfinished. */
export interface OwnProgress {
  done: number;
  inProgress: number;
}

/** The project's labels: given so far (within the limit), and needed in all. */
export interface ProjectProgress {
  done: number;
  needed: number;
}

/** The counts of the page's progress line, kept from the trace records (see module doc). */
export class ProgressIndex {
  readonly cap: number;
  /** Questions per trace name. */
  readonly #questions: Map<string, number>;
  readonly #needed: number;
  #done = 0;
  readonly #own = new Map<string, OwnProgress>();

  constructor(traces: readonly { name: string; questions: readonly number[] }[], cap: number) {
    this.cap = cap;
    this.#questions = new Map(traces.map((t) => [t.name, t.questions.length]));
    this.#needed = traces.reduce((n, t) => n + t.questions.length, 0) * cap;
  }

  /** A trace's members went from `before` to `after`. */
  update(trace: string, before: readonly Member[], after: readonly Member[]): void {
    const questions = this.#questions.get(trace);
    if (questions === undefined) return; // a record of a trace no longer served
    for (const member of before) this.#count(member, questions, -1);
    for (const member of after) this.#count(member, questions, 1);
  }

  own(annotator: string): OwnProgress {
    const counts = this.#own.get(annotator);
    return counts ? { ...counts } : { done: 0, inProgress: 0 };
  }

  project(): ProjectProgress {
    return { done: Math.min(this.#done, this.#needed), needed: this.#needed };
  }

  #count(member: Member, questions: number, sign: 1 | -1): void {
    this.#done += sign * Math.min(member.answered, questions);
    let own = this.#own.get(member.id);
    if (!own) this.#own.set(member.id, own = { done: 0, inProgress: 0 });
    if (member.answered >= questions) own.done += sign;
    else own.inProgress += sign;
    if (own.done === 0 && own.inProgress === 0) this.#own.delete(member.id);
  }
}
