/**
 * The vote rules: how one labelled turn (the labels of its annotators, in the result file's
 * key order) becomes reward-model items (`voteTurn`, called by `fileItems` in
 * `file_items.ts` for each labelled turn), and the category of an item (`categoryOf`,
 * rule 5). `--rules` picks one of two rule sets.
 *
 * `reference` reproduces the reference ProactiveAgent script exactly:
 * - each label becomes a row of booleans over the candidate tasks (index list → those
 *   indices; indices past the end are ignored; "Reject all" → all false);
 * - `help_needed` = some task accepted by *every* annotator; `no_select[i]` = annotator i
 *   accepted nothing;
 * - with ≥ 2 annotators: help_needed and ≥ 2 annotators accepted something → a null item
 *   `{valid: false, help_needed: true}` (a "help turn"); otherwise, if anyone accepted
 *   something → a null item `{valid: true, help_needed}`; annotation = no_select.
 *   A turn where everybody rejected everything gives *no* null item (quirk);
 * - every task accepted by ≥ 2 annotators → `{valid: true}`; then every task rejected by
 *   ≥ 2 → `{valid: false}` (with 4+ annotators one task can give both: quirk);
 * - a turn with no annotator gives nothing (the reference crashes there).
 *
 * `majority` fixes those quirks: with ≥ 2 annotators, `help_needed` = a strict majority
 * accepted something; the null item is `{valid: !help_needed, annotation: no_select}`, so
 * a unanimous rejection of all tasks yields a Correct-Rejection item; a task is valid or
 * invalid by strict majority; ties give no item.
 *
 * Help-mode labels ("need" / "no need", which crash the reference) give, under both rules,
 * with ≥ 2 annotators and a strict majority, one null item
 * `{valid: !help_needed, help_needed, annotation: [label == "no need"]}`; ties give none.
 *
 * Besides its items, a turn gives the summary's figures (`TurnVotes`): whether it counts as
 * a help turn, and the annotator votes on its task items that agree with the item's `valid`.
 *
 * @module
 */
import { HELP_NEED, HELP_NO_NEED, type Label, REJECT_ALL } from "../formats/result_label.ts";
import type { Category } from "../formats/reward_category.ts";

/** The rule set of `--rules` (see the module doc). */
export type Rules = "reference" | "majority";
export const RULES: readonly Rules[] = ["reference", "majority"];

/** One reward-model item of a turn, without its observations. */
export interface Vote {
  predTask: string | null;
  valid: boolean;
  helpNeeded: boolean;
  annotation: boolean[];
  category: Category;
}

export interface TurnVotes {
  items: Vote[];
  /** The turn counts as "help was needed" (reference: the first null-item branch). */
  helpTurn: boolean;
  /** Annotator votes on task items that agree with the item's `valid`, and all such votes. */
  agreeVotes: number;
  taskVotes: number;
}

/** Rule 5: the category of an item. */
export function categoryOf(predTask: string | null, valid: boolean, helpNeeded: boolean): Category {
  if (predTask === null) return helpNeeded ? "Missed-Need (MN)" : "Correct-Rejection (CR)";
  return valid ? "Correct-Detection (CD)" : "False-Alarm (FA)";
}

/** "task" labels (index lists, "Reject all"), "help" labels ("need", "no need"), or both. */
export function labelKind(labels: readonly Label[]): "task" | "help" | "mixed" | "none" {
  let task = false;
  let help = false;
  for (const label of labels) {
    if (label === HELP_NEED || label === HELP_NO_NEED) help = true;
    else task = true;
  }
  if (task && help) return "mixed";
  return task ? "task" : help ? "help" : "none";
}

/** Rule 1: a task label as one boolean per candidate task. */
export function labelRow(label: Label, taskCount: number): boolean[] {
  const row = new Array<boolean>(taskCount).fill(false);
  if (label === REJECT_ALL) return row;
  if (!Array.isArray(label)) throw new TypeError(`Not a task label: ${JSON.stringify(label)}`);
  for (const index of label) if (index < taskCount) row[index] = true;
  return row;
}

/** Applies the rules to one turn; `labels` must not mix help and task labels. */
export function voteTurn(
  labels: readonly Label[],
  tasks: readonly string[],
  rules: Rules,
): TurnVotes {
  const kind = labelKind(labels);
  if (kind === "mixed") throw new TypeError("A turn mixes help-mode and task labels");
  if (kind === "help") return voteHelpTurn(labels);
  if (kind === "none") return { items: [], helpTurn: false, agreeVotes: 0, taskVotes: 0 };
  return rules === "reference" ? voteReference(labels, tasks) : voteMajority(labels, tasks);
}

function voteReference(labels: readonly Label[], tasks: readonly string[]): TurnVotes {
  const { n, columns, accepted, noSelect, selecting } = tally(labels, tasks.length);
  const helpNeeded = accepted.includes(n);
  const items: Vote[] = [];
  let helpTurn = false;
  if (n >= 2) {
    if (helpNeeded && selecting >= 2) {
      helpTurn = true;
      items.push(nullVote(false, helpNeeded, noSelect));
    } else if (selecting > 0) {
      items.push(nullVote(true, helpNeeded, noSelect));
    }
  }
  const { agreeVotes, taskVotes } = pushTaskVotes(
    items,
    { n, columns, accepted, tasks, helpNeeded },
    (agreeing) => agreeing >= 2,
  );
  return { items, helpTurn, agreeVotes, taskVotes };
}

function voteMajority(labels: readonly Label[], tasks: readonly string[]): TurnVotes {
  const { n, columns, accepted, noSelect, selecting } = tally(labels, tasks.length);
  const none: TurnVotes = { items: [], helpTurn: false, agreeVotes: 0, taskVotes: 0 };
  if (n < 2) return none;
  const helpNeeded = selecting * 2 > n;
  const items: Vote[] = [];
  const tie = selecting * 2 === n;
  if (!tie) items.push(nullVote(!helpNeeded, helpNeeded, noSelect));
  const { agreeVotes, taskVotes } = pushTaskVotes(
    items,
    { n, columns, accepted, tasks, helpNeeded },
    (agreeing) => agreeing * 2 > n,
  );
  return { items, helpTurn: helpNeeded && !tie, agreeVotes, taskVotes };
}

/**
 * Appends the task items of a turn: first every task enough annotators accepted (valid),
 * then, in a second pass, every task enough annotators rejected (invalid). `enough` gets
 * the number of annotators agreeing with that verdict. Returns the human-agreement counts.
 */
function pushTaskVotes(
  items: Vote[],
  turn: {
    n: number;
    columns: readonly boolean[][];
    accepted: readonly number[];
    tasks: readonly string[];
    helpNeeded: boolean;
  },
  enough: (agreeing: number) => boolean,
): { agreeVotes: number; taskVotes: number } {
  const { n, columns, accepted, tasks, helpNeeded } = turn;
  let agreeVotes = 0;
  let taskVotes = 0;
  for (const valid of [true, false]) {
    for (let task = 0; task < tasks.length; task++) {
      const agreeing = valid ? accepted[task] : n - accepted[task];
      if (!enough(agreeing)) continue;
      agreeVotes += agreeing;
      taskVotes += n;
      items.push(taskVote(tasks[task], valid, helpNeeded, columns[task].slice()));
    }
  }
  return { agreeVotes, taskVotes };
}

function voteHelpTurn(labels: readonly Label[]): TurnVotes {
  const n = labels.length;
  const need = labels.filter((label) => label === HELP_NEED).length;
  if (n < 2 || need * 2 === n) return { items: [], helpTurn: false, agreeVotes: 0, taskVotes: 0 };
  const helpNeeded = need * 2 > n;
  const annotation = labels.map((label) => label === HELP_NO_NEED);
  return {
    items: [nullVote(!helpNeeded, helpNeeded, annotation)],
    helpTurn: helpNeeded,
    agreeVotes: 0,
    taskVotes: 0,
  };
}

/**
 * The labels of a turn by task: `columns[task][i]` = annotator i accepted the task (its
 * `labelRow` entry), `accepted[task]` = how many did, `noSelect[i]` = annotator i
 * accepted nothing, `selecting` = how many accepted something.
 */
function tally(labels: readonly Label[], taskCount: number) {
  const n = labels.length;
  const columns: boolean[][] = [];
  for (let task = 0; task < taskCount; task++) columns.push(new Array<boolean>(n).fill(false));
  const accepted = new Array<number>(taskCount).fill(0);
  const noSelect: boolean[] = [];
  let selecting = 0;
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    let none = true;
    if (label !== REJECT_ALL) {
      if (!Array.isArray(label)) throw new TypeError(`Not a task label: ${JSON.stringify(label)}`);
      for (const task of label) {
        if (task < taskCount && !columns[task][i]) {
          columns[task][i] = true;
          accepted[task]++;
          none = false;
        }
      }
    }
    noSelect.push(none);
    if (!none) selecting++;
  }
  return { n, columns, accepted, noSelect, selecting };
}

function nullVote(valid: boolean, helpNeeded: boolean, annotation: boolean[]): Vote {
  return {
    predTask: null,
    valid,
    helpNeeded,
    annotation,
    category: categoryOf(null, valid, helpNeeded),
  };
}

function taskVote(task: string, valid: boolean, helpNeeded: boolean, annotation: boolean[]): Vote {
  return {
    predTask: task,
    valid,
    helpNeeded,
    annotation,
    category: categoryOf(task, valid, helpNeeded),
  };
}
