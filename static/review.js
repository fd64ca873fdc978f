// The review page of `proactive serve` (admins): the questions where the annotators
// disagree, each with the events up to it and every answer, and a form for the final label.
// Every value from the server reaches the DOM through textContent.

import { cell, fillTable, row } from "./admin_table.js";
import { EventList } from "./event_list.js";
import { describeAnswer, describeLabel } from "./question_form.js";

const $ = (id) => document.getElementById(id);
const REJECT_ALL = "Reject all";

const view = {
  units: [], // the queue as the server sent it
  open: null, // the unit shown in the form
  events: new EventList($("unit-events")),
};

/** How split the vote is: 0 when unanimous, nearer 1 the more evenly the labels spread. */
function split(unit) {
  return unit.labels === 0 ? 0 : 1 - unit.majority / unit.labels;
}

function firstAnnotator(unit) {
  return unit.answers.map((a) => a.username).sort()[0] ?? "";
}

const ORDERS = {
  split: (a, b) => split(b) - split(a) || byTrace(a, b),
  trace: (a, b) => byTrace(a, b),
  annotator: (a, b) => firstAnnotator(a).localeCompare(firstAnnotator(b)) || byTrace(a, b),
};

function byTrace(a, b) {
  return a.trace.localeCompare(b.trace) || a.turn - b.turn;
}

/** The queue as the controls ask: filtered by annotator and decision, then sorted. */
function shownUnits() {
  const who = $("annotator-filter").value;
  const undecided = $("undecided-only").checked;
  return view.units
    .filter((u) => who === "" || u.answers.some((a) => a.username === who))
    .filter((u) => !undecided || u.decision === null)
    .sort(ORDERS[$("sort").value] ?? ORDERS.split);
}

function answersCell(unit) {
  const td = document.createElement("td");
  const list = document.createElement("ul");
  list.className = "plain";
  for (const answer of unit.answers) {
    const item = document.createElement("li");
    item.textContent = `${answer.username}: ${describeAnswer(unit, answer)}`;
    list.append(item);
  }
  td.append(list);
  return td;
}

function queueRow(unit) {
  const open = document.createElement("button");
  open.type = "button";
  open.className = "link";
  open.textContent = "Review";
  open.addEventListener("click", () => openUnit(unit));
  const action = document.createElement("td");
  action.append(open);
  const tr = row(
    cell(unit.trace),
    cell(unit.question, true),
    answersCell(unit),
    cell(`${unit.majority} of ${unit.labels} agree`),
    cell(unit.decision ? describeLabel(unit, unit.decision.label) : "—"),
    action,
  );
  tr.dataset.trace = unit.trace;
  tr.dataset.turn = String(unit.turn);
  return tr;
}

function showQueue() {
  const units = shownUnits();
  const empty = view.units.length === 0 ? "No disagreement yet." : "Nothing matches.";
  fillTable($("queue"), units.map(queueRow), empty);
  const decided = view.units.filter((u) => u.decision !== null).length;
  $("queue-count").textContent =
    `${units.length} shown of ${view.units.length} (${decided} decided).`;
}

function fillAnnotatorFilter() {
  const select = $("annotator-filter");
  const chosen = select.value;
  const names = [...new Set(view.units.flatMap((u) => u.answers.map((a) => a.username)))].sort();
  const everyone = document.createElement("option");
  everyone.value = "";
  everyone.textContent = "everyone";
  select.replaceChildren(
    everyone,
    ...names.map((name) => {
      const option = document.createElement("option");
      option.value = name;
      option.textContent = name;
      return option;
    }),
  );
  select.value = names.includes(chosen) ? chosen : "";
}

function choice({ type, value, text, checked }) {
  const item = document.createElement("li");
  item.className = "choice";
  const input = document.createElement("input");
  input.type = type;
  input.name = "final";
  input.value = value;
  input.id = `final-${value.replace(/\W/g, "-")}`;
  input.checked = checked;
  const label = document.createElement("label");
  label.htmlFor = input.id;
  label.textContent = text;
  item.append(input, label);
  return item;
}

/** The choices of the final label, set to the decision (if any). */
function showChoices(unit) {
  const label = unit.decision?.label ?? null;
  const items = unit.mode === "help"
    ? [["need", "Help needed"], ["no need", "No help needed"]].map(([value, text]) =>
      choice({ type: "radio", value, text, checked: label === value })
    )
    : [
      ...unit.tasks.map((task, index) =>
        choice({
          type: "checkbox",
          value: String(index),
          text: task,
          checked: Array.isArray(label) && label.includes(index),
        })
      ),
      choice({
        type: "checkbox",
        value: REJECT_ALL,
        text: REJECT_ALL,
        checked: label === REJECT_ALL,
      }),
    ];
  $("decision-choices").replaceChildren(...items);
}

/** The label the form says, or null when nothing is chosen. */
function chosenLabel(unit) {
  const inputs = [...$("decision-choices").querySelectorAll("input:checked")];
  if (unit.mode === "help") return inputs[0]?.value ?? null;
  if (inputs.some((input) => input.value === REJECT_ALL)) {
    return inputs.length === 1 ? REJECT_ALL : undefined;
  }
  return inputs.length === 0 ? null : inputs.map((input) => Number(input.value));
}

async function openUnit(unit) {
  view.open = unit;
  $("unit").hidden = false;
  $("unit-title").textContent = `${unit.trace}, question ${unit.question}`;
  const answers = unit.answers.map((answer) => {
    const item = document.createElement("li");
    item.textContent = `${answer.username}: ${describeAnswer(unit, answer)}`;
    return item;
  });
  $("unit-answers").replaceChildren(...answers);
  showChoices(unit);
  $("decision-note").value = unit.decision?.note ?? "";
  $("withdraw").hidden = unit.decision === null;
  showError("");
  view.events.reset(unit.trace);
  $("unit").scrollIntoView({ block: "start" });
  const query = new URLSearchParams({ trace: unit.trace, turn: String(unit.turn) });
  try {
    const data = await request("GET", `/api/admin/review/events?${query}`);
    if (view.open === unit) view.events.append(data.events);
  } catch (error) {
    showError(`Cannot load the events: ${error.message}`);
  }
}

function showError(text) {
  $("decision-error").textContent = text;
  $("decision-error").hidden = text === "";
}

async function request(method, path, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const data = await response.json().catch(() => null);
  if (response.status === 401) showLoginNeeded();
  if (!response.ok) throw new Error(data?.error ?? `HTTP ${response.status}`);
  return data;
}

/** Sends the decision (`label` null: withdraw it) and reloads the queue. */
async function send(label) {
  const unit = view.open;
  if (!unit) return;
  const note = $("decision-note").value.trim();
  $("decide").disabled = $("withdraw").disabled = true;
  try {
    await request("POST", "/api/admin/decision", {
      trace: unit.trace,
      turn: unit.turn,
      label,
      ...(note !== "" && label !== null && { note }),
    });
    $("live").textContent = label === null
      ? `Withdrew the decision on ${unit.trace}, question ${unit.question}.`
      : `Final label of ${unit.trace}, question ${unit.question}: ${describeLabel(unit, label)}.`;
    await load();
    const again = view.units.find((u) => u.trace === unit.trace && u.turn === unit.turn);
    if (again) openUnit(again);
    else closeUnit();
  } catch (error) {
    showError(`Cannot save the decision: ${error.message}`);
  } finally {
    $("decide").disabled = $("withdraw").disabled = false;
  }
}

function decideFromForm(event) {
  event.preventDefault();
  const unit = view.open;
  if (!unit) return;
  const label = chosenLabel(unit);
  if (label === null) return showError("Choose the final label first.");
  if (label === undefined) return showError("Reject all cannot go with a task.");
  send(label);
}

function closeUnit() {
  view.open = null;
  $("unit").hidden = true;
}

function showLoginNeeded() {
  $("report").hidden = true;
  $("login-needed").hidden = false;
  $("live").textContent = "Not logged in.";
}

async function load() {
  const live = $("live");
  live.classList.remove("error");
  try {
    const data = await request("GET", "/api/admin/review");
    view.units = data.units;
  } catch (error) {
    if (!$("login-needed").hidden) return;
    live.textContent = `Cannot load the review queue: ${error.message}`;
    live.classList.add("error");
    return;
  }
  fillAnnotatorFilter();
  showQueue();
  $("login-needed").hidden = true;
  $("report").hidden = false;
  if (live.textContent === "Loading…") {
    live.textContent = `Updated ${new Date().toLocaleTimeString()}.`;
  }
}

for (const id of ["sort", "annotator-filter", "undecided-only"]) {
  $(id).addEventListener("change", showQueue);
}
$("decision-form").addEventListener("submit", decideFromForm);
$("decision-choices").addEventListener("change", () => showError(""));
$("withdraw").addEventListener("click", () => send(null));
$("close-unit").addEventListener("click", closeUnit);
$("refresh").addEventListener("click", () => {
  $("live").textContent = "Loading…";
  load();
});
load();
