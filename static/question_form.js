// The question form: the candidate tasks (or Help needed / No help needed) as choices, the
// Reject all box, the hint shown when nothing is chosen, the comment field and the skip box.
// Task text goes in as textContent.

import { taskKey } from "./keyboard.js";

const TASKS_PROMPT =
  "Which of these tasks would you accept the agent doing now? Tick every one you would accept, or Reject all.";

function choiceItem(task, index, help, label, isNew) {
  const item = document.createElement("li");
  item.className = "choice";
  const input = document.createElement("input");
  input.type = help ? "radio" : "checkbox";
  input.name = help ? "help" : "task";
  input.id = `choice-${index}`;
  input.value = String(index);
  input.checked = help
    ? label === (index === 0 ? "need" : "no need")
    : Array.isArray(label) && label.includes(index);
  const text = document.createElement("label");
  text.htmlFor = input.id;
  const keyName = taskKey(index);
  if (keyName !== null) {
    const key = document.createElement("kbd");
    key.textContent = keyName.toUpperCase();
    text.append(key, " ");
  }
  const span = document.createElement("span");
  span.textContent = task;
  text.append(span);
  if (isNew) {
    // Not among the previous question's tasks: what changed since the last answer.
    const badge = document.createElement("em");
    badge.className = "badge";
    badge.textContent = "new";
    text.append(" ", badge);
  }
  item.append(input, text);
  return item;
}

/** A label in words: the chosen tasks' texts, "Reject all", or the help answer. */
export function describeLabel(question, label) {
  if (label === null) return "none";
  if (label === "need") return "Help needed";
  if (label === "no need") return "No help needed";
  if (!Array.isArray(label)) return String(label);
  return label.map((i) => `“${question.tasks[i] ?? `task ${i + 1}`}”`).join(", ");
}

/** An answer ({label, skip, comment}) in words: its label or why it was skipped, and comment. */
export function describeAnswer(question, answer) {
  const what = answer.skip ? `skipped (${answer.skip})` : describeLabel(question, answer.label);
  return answer.comment ? `${what} — comment: ${answer.comment}` : what;
}

/** The form of the question on screen: the current one or, when editing, an earlier one. */
export class QuestionForm {
  /** `ui`: the page's elements; `events`: the EventList whose turn is marked. */
  constructor(ui, events) {
    this.ui = ui;
    this.events = events;
    this.question = null; // question on screen
    this.editing = false; // changing an earlier answer
    this.previous = null; // {trace, number, tasks} of the last question shown to answer
  }

  /**
   * The tasks of the question before `question` in this trace, when it is the next one to
   * answer (not a change, not help mode); null otherwise. Remembers `question`'s.
   */
  #previousTasks(question, editing, help) {
    if (editing || help) return null;
    const trace = this.events.trace;
    const previous = this.previous;
    this.previous = { trace, number: question.number, tasks: question.tasks };
    const follows = previous?.trace === trace && previous.number === question.number - 1;
    return follows ? new Set(previous.tasks) : null;
  }

  /** The shortcut list for this question: its own keys only (help mode has no R). */
  #showKeys(tasks, help) {
    const ui = this.ui;
    ui.keysRejectRow.hidden = help;
    if (help) {
      ui.keysDigitsKeys.textContent = "1 / 2";
      ui.keysDigits.textContent = "Help needed / No help needed";
      return;
    }
    const last = taskKey(Math.min(tasks, 33) - 1) ?? "9";
    ui.keysDigitsKeys.textContent = tasks <= 1 ? "1" : `1–${last.toUpperCase()}`;
    ui.keysDigits.textContent = tasks > 9
      ? "toggle a task (after 9: 0, then the letters shown beside the tasks)"
      : "toggle a task";
  }

  /** Shows `question` with its current label ticked; `editing` when changing an answer. */
  show(question, editing) {
    const ui = this.ui;
    this.question = question;
    this.editing = editing;
    const help = question.kind === "help";
    ui.legend.textContent = editing
      ? `Changing your answer to question ${question.number} of ${question.count}` +
        (question.skip ? ` (you skipped it: ${question.skip})` : "")
      : `Question ${question.number} of ${question.count}`;
    ui.comment.value = question.comment ?? "";
    ui.skipReason.value = question.skip ?? "";
    ui.skipBox.open = false;
    ui.prompt.textContent = help ? "Does the user need help at this point?" : TASKS_PROMPT;
    this.#showKeys(question.tasks.length, help);

    const label = question.label;
    const fragment = document.createDocumentFragment();
    const earlier = this.#previousTasks(question, editing, help);
    question.tasks.forEach((task, index) => {
      fragment.append(choiceItem(task, index, help, label, earlier !== null && !earlier.has(task)));
    });
    ui.choices.replaceChildren(fragment);
    ui.rejectRow.hidden = help;
    ui.reject.checked = !help && label === "Reject all";
    ui.hint.hidden = true;
    ui.conflict.hidden = true;
    ui.cancel.hidden = !editing;
    ui.doneBox.hidden = true;
    ui.form.hidden = false;
    this.events.mark(question.turn, editing);
    // Changing an earlier answer: only the events up to that question (no hindsight).
    this.events.showUpTo(editing ? question.turn : null);
    ui.fieldset.focus({ preventScroll: true }); // Enter, digits and screen readers start here
  }

  /**
   * Says that the answer on screen would replace `current` ({label, version}), saved
   * meanwhile elsewhere (another tab), and asks what to do; `mine` is the label sent.
   */
  showConflict(question, current, mine) {
    const ui = this.ui;
    ui.conflictText.textContent = current.label === null && !current.skip
      ? "This question has no saved answer any more (it changed elsewhere).\n" +
        `Your answer: ${describeAnswer(question, mine)}\nSave your answer?`
      : "This question was answered meanwhile, maybe in another tab.\n" +
        `Saved answer: ${describeAnswer(question, current)}\n` +
        `Your answer: ${describeAnswer(question, mine)}\n` +
        "Replace the saved answer with yours?";
    ui.conflict.hidden = false;
    ui.conflictKeep.focus();
  }

  hideConflict() {
    this.ui.conflict.hidden = true;
  }

  /** Hides the form: no question on screen. */
  hide() {
    this.question = null;
    this.editing = false;
    this.hideConflict();
    this.events.mark(null, false);
    this.events.showUpTo(null);
    this.ui.form.hidden = true;
  }

  choiceInputs() {
    return this.ui.choices.querySelectorAll("input");
  }

  /** The label the choices say for `question`, or null when nothing is chosen. */
  readLabel(question) {
    const inputs = [...this.choiceInputs()];
    const picked = inputs.filter((input) => input.checked).map((input) => Number(input.value));
    if (question.kind === "help") {
      if (picked.length !== 1) return null;
      return picked[0] === 0 ? "need" : "no need";
    }
    if (picked.length > 0) return picked.sort((a, b) => a - b);
    return this.ui.reject.checked ? "Reject all" : null;
  }

  /** The comment typed for the answer, or undefined when there is none. */
  readComment() {
    return this.ui.comment.value.trim() || undefined;
  }

  /** Says what to choose before `question` can be submitted. */
  showHint(question) {
    this.ui.hint.textContent = question.kind === "help"
      ? "Choose Help needed or No help needed first."
      : "Tick at least one task, or Reject all, first.";
    this.ui.hint.hidden = false;
  }

  toggleChoice(index) {
    const input = this.choiceInputs()[index];
    if (!input) return;
    input.checked = !input.checked;
    this.onChoiceChange(input);
  }

  toggleReject() {
    if (this.ui.rejectRow.hidden) return;
    this.ui.reject.checked = !this.ui.reject.checked;
    this.onChoiceChange(this.ui.reject);
  }

  /** A task and Reject all exclude each other. */
  onChoiceChange(input) {
    this.ui.hint.hidden = true;
    if (!input.checked || input.type !== "checkbox") return;
    if (input === this.ui.reject) {
      for (const task of this.choiceInputs()) task.checked = false;
    } else {
      this.ui.reject.checked = false;
    }
  }
}
