/**
 * The index behind "Next trace": which traces have room, ordered by how many annotators they
 * have (least first), then by name. Kept in step with every stored trace record (see
 * `TraceRecords`), so picking a trace costs O(log traces), plus one step per trace the
 * annotator already has, instead of a scan and sort of the whole catalogue.
 *
 * In memory only: `TraceRecords.assignmentIndex` (`trace_records.ts`) builds it from the
 * mirror on first use and updates it with every record stored; `nextAssignment`
 * (`assignment.ts`) calls `pick`, and `hold`s a trace while its reservation is being
 * committed, so racing requests pick other traces.
 *
 * @module
 */

/**
 * A set of the positions 0..n-1 (a Fenwick tree of 0/1 counts): add, delete and "the k-th
 * smallest" in O(log n).
 */
export class PositionSet {
  readonly #tree: Int32Array; // 1-based
  readonly #top: number; // the highest power of two ≤ n
  #size = 0;
  /** Tree steps taken so far (shared counter, for tests of the cost). */
  readonly #counter: { steps: number };

  constructor(n: number, counter: { steps: number } = { steps: 0 }) {
    this.#tree = new Int32Array(n + 1);
    this.#top = n === 0 ? 0 : 2 ** Math.floor(Math.log2(n));
    this.#counter = counter;
  }

  get size(): number {
    return this.#size;
  }

  /** Adds `position` (must not be in the set). */
  add(position: number): void {
    this.#change(position, 1);
  }

  /** Deletes `position` (must be in the set). */
  delete(position: number): void {
    this.#change(position, -1);
  }

  #change(position: number, delta: number): void {
    this.#size += delta;
    for (let i = position + 1; i < this.#tree.length; i += i & -i) {
      this.#tree[i] += delta;
      this.#counter.steps++;
    }
  }

  /** The `k`-th smallest position (0-based), or undefined when the set has ≤ k positions. */
  kth(k: number): number | undefined {
    if (k < 0 || k >= this.#size) return undefined;
    let position = 0; // 1-based prefix end whose count is ≤ k
    let remaining = k + 1;
    for (let step = this.#top; step > 0; step >>= 1) {
      this.#counter.steps++;
      const next = position + step;
      if (next < this.#tree.length && this.#tree[next] < remaining) {
        position = next;
        remaining -= this.#tree[next];
      }
    }
    return position; // 0-based position = (1-based index) - 1 = (position + 1) - 1
  }
}

/** A reservation in progress on one trace (see `AssignmentIndex.hold`). */
export interface Hold {
  trace: string;
  /** Ends the hold: the trace's count drops back to its annotators. Safe to call twice. */
  release(): void;
}

export class AssignmentIndex {
  /** Trace names in catalogue (name) order. */
  readonly names: readonly string[];
  readonly cap: number;
  /** Tree and rank steps taken so far (a measure of the work, for tests). */
  readonly cost = { steps: 0 };
  readonly #position: Map<string, number>;
  /** Annotators of each trace (done + in progress), from the stored records. */
  readonly #members: Uint16Array;
  /** Reservations of each trace being committed right now. */
  readonly #held: Uint16Array;
  /** buckets[c]: traces whose annotators + holds = c (< cap). */
  readonly #buckets: PositionSet[];
  /** Annotator id → positions of the traces they are an annotator of. */
  readonly #had = new Map<string, Set<number>>();
  #holds = 0;
  /** Positions with at least one hold. */
  readonly #heldAt = new Set<number>();
  #waiters: (() => void)[] = [];

  constructor(names: readonly string[], cap: number) {
    this.names = names;
    this.cap = cap;
    this.#position = new Map(names.map((name, i) => [name, i]));
    this.#members = new Uint16Array(names.length);
    this.#held = new Uint16Array(names.length);
    this.#buckets = Array.from({ length: cap }, () => new PositionSet(names.length, this.cost));
    if (cap > 0) {
      for (let i = 0; i < names.length; i++) this.#buckets[0].add(i);
    }
  }

  /** Annotators (done + in progress) of `trace` plus reservations being committed. */
  count(trace: string): number {
    const i = this.#position.get(trace);
    return i === undefined ? 0 : this.#members[i] + this.#held[i];
  }

  /** Reservations being committed right now (over all traces). */
  get holds(): number {
    return this.#holds;
  }

  /**
   * Records that the annotators of `trace` changed from `before` to `after` (ids). Traces
   * outside the catalogue are ignored.
   */
  update(trace: string, before: readonly string[], after: readonly string[]): void {
    const i = this.#position.get(trace);
    if (i === undefined) return;
    for (const id of before) {
      if (after.includes(id)) continue;
      const had = this.#had.get(id);
      had?.delete(i);
      if (had?.size === 0) this.#had.delete(id);
    }
    for (const id of after) {
      if (before.includes(id)) continue;
      let had = this.#had.get(id);
      if (!had) this.#had.set(id, had = new Set());
      had.add(i);
    }
    this.#recount(i, () => this.#members[i] = Math.min(after.length, 0xffff));
  }

  /**
   * Counts a reservation of `trace` that is about to be committed, so requests racing this
   * one pick other traces; `release` it once the commit resolved (after the record was
   * stored on success).
   */
  hold(trace: string): Hold {
    const i = this.#position.get(trace);
    if (i === undefined) return { trace, release: () => {} };
    this.#recount(i, () => this.#held[i]++);
    this.#holds++;
    this.#heldAt.add(i);
    let released = false;
    return {
      trace,
      release: () => {
        if (released) return;
        released = true;
        this.#recount(i, () => this.#held[i]--);
        this.#holds--;
        if (this.#held[i] === 0) this.#heldAt.delete(i);
        const waiters = this.#waiters;
        this.#waiters = [];
        for (const wake of waiters) wake();
      },
    };
  }

  /**
   * True when a trace `annotator` could take is held right now (its annotators alone leave
   * room): should that reservation fail, `pick` would find it.
   */
  heldForAnnotator(annotator: string): boolean {
    const had = this.#had.get(annotator);
    for (const i of this.#heldAt) {
      if (this.#members[i] < this.cap && !had?.has(i)) return true;
    }
    return false;
  }

  /** Resolves when some hold is released. */
  holdReleased(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * The trace `annotator` should get: among the traces with the fewest annotators (and room
   * for one more) that they are not an annotator of, the first by name, or with `spread`
   * > 1 a random one of the first `spread` such traces. Undefined when none is left.
   * Costs O(log traces) per step, one step per trace skipped (the annotator's own).
   */
  pick(annotator: string, spread = 1, random: () => number = Math.random): string | undefined {
    const had = this.#had.get(annotator);
    for (const bucket of this.#buckets) {
      const found: number[] = [];
      for (let rank = 0; found.length < spread; rank++) {
        this.cost.steps++;
        const i = bucket.kth(rank);
        if (i === undefined) break;
        if (!had?.has(i)) found.push(i);
      }
      if (found.length > 0) return this.names[found[Math.floor(random() * found.length)]];
    }
    return undefined;
  }

  /** Moves trace `i` to the bucket of its count after `change`. */
  #recount(i: number, change: () => void): void {
    const before = this.#members[i] + this.#held[i];
    change();
    const after = this.#members[i] + this.#held[i];
    if (before === after) return;
    if (before < this.cap) this.#buckets[before].delete(i);
    if (after < this.cap) this.#buckets[after].add(i);
  }
}
