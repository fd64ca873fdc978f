/**
 * Inter-annotator agreement for the status page: Krippendorff's alpha for nominal data
 * (`krippendorffAlphaNominal`) over the task labels of the current annotators. A unit is one
 * (question turn, candidate task) of a task-mode trace and holds each annotator's accept or
 * reject of that task (`agreementUnits`); help-mode traces give no units, and labels of
 * released reservations and skipped questions are not counted. `buildStatus` (`status.ts`) collects the units of
 * every trace from the store and reports the result as `Status.agreement`.
 *
 * @module
 */
import type { Label } from "../formats/result_file.ts";
import type { Member } from "./kv_schema.ts";
import { currentLabel, type TraceLabels } from "./result_writer.ts";
import type { CatalogTrace } from "./trace_catalog.ts";

export const AGREEMENT_MEASURE = "Krippendorff's alpha (nominal)";

export interface Agreement {
  measure: typeof AGREEMENT_MEASURE;
  /** null when there is nothing to compare or every value is the same (alpha undefined). */
  value: number | null;
  /** Units with at least 2 values. */
  units: number;
  /** Values in those units. */
  pairable: number;
}

/**
 * Krippendorff's alpha for nominal data. Each unit lists the values the annotators gave
 * it; units with fewer than 2 values are not pairable and ignored. With the coincidence
 * matrix o(c,k) = Σ_u (ordered pairs c,k in u) / (m_u − 1), n_c = Σ_k o(c,k), n = Σ n_c:
 * alpha = 1 − (n − 1) · Σ_{c≠k} o(c,k) / Σ_{c≠k} n_c·n_k.
 */
export function krippendorffAlphaNominal<T>(units: readonly (readonly T[])[]): Agreement {
  const coincidences = new Map<T, Map<T, number>>();
  const add = (c: T, k: T, amount: number) => {
    let row = coincidences.get(c);
    if (!row) coincidences.set(c, row = new Map());
    row.set(k, (row.get(k) ?? 0) + amount);
  };
  let pairableUnits = 0;
  let pairable = 0;
  for (const unit of units) {
    const m = unit.length;
    if (m < 2) continue;
    pairableUnits++;
    pairable += m;
    const counts = new Map<T, number>();
    for (const value of unit) counts.set(value, (counts.get(value) ?? 0) + 1);
    for (const [c, nc] of counts) {
      for (const [k, nk] of counts) {
        const pairs = c === k ? nc * (nc - 1) : nc * nk;
        if (pairs > 0) add(c, k, pairs / (m - 1));
      }
    }
  }
  const totals = new Map<T, number>();
  let disagreement = 0;
  for (const [c, row] of coincidences) {
    for (const [k, o] of row) {
      totals.set(c, (totals.get(c) ?? 0) + o);
      if (c !== k) disagreement += o;
    }
  }
  const n = [...totals.values()].reduce((a, b) => a + b, 0);
  let expected = 0;
  for (const [c, nc] of totals) {
    for (const [k, nk] of totals) if (c !== k) expected += nc * nk;
  }
  const value = expected === 0 ? null : 1 - ((n - 1) * disagreement) / expected;
  return { measure: AGREEMENT_MEASURE, value, units: pairableUnits, pairable };
}

/** Whether a task label accepts task `index` ("Reject all" accepts none). */
export function accepts(label: Label, index: number): boolean {
  return Array.isArray(label) && label.includes(index);
}

/**
 * Agreement units of a task-mode trace: one per (question turn, task index) holding each
 * current annotator's accept/reject of that task. Help-mode traces give none. With
 * `sharedWith`, only the units that annotator has a value in (their agreement with the
 * others: every value of those units counts).
 */
export function agreementUnits(
  trace: CatalogTrace,
  members: readonly Member[],
  labels: TraceLabels,
  { sharedWith }: { sharedWith?: string } = {},
): boolean[][] {
  if (trace.mode !== "tasks") return [];
  const units: boolean[][] = [];
  for (const turn of trace.questions) {
    const given: Label[] = [];
    let shared = sharedWith === undefined;
    for (const member of members) {
      const label = currentLabel(labels, member, turn);
      if (label !== undefined) {
        given.push(label);
        if (member.id === sharedWith) shared = true;
      }
    }
    if (!shared) continue;
    const tasks = trace.turns[turn].agent_response.candidate_task.length;
    for (let index = 0; index < tasks; index++) {
      units.push(given.map((label) => accepts(label, index)));
    }
  }
  return units;
}
