// The status page of `proactive serve`: progress per trace and annotator, and agreement.
// Every value from the server reaches the DOM through textContent.

import { cell, fillTable, row } from "./admin_table.js";

const $ = (id) => document.getElementById(id);

function traceAnnotators(annotators) {
  const td = document.createElement("td");
  if (annotators.length === 0) {
    td.textContent = "—";
    td.className = "muted";
    return td;
  }
  const list = document.createElement("ul");
  list.className = "plain";
  for (const a of annotators) {
    const item = document.createElement("li");
    item.textContent = `${a.username}: ${a.status} (${a.answered} answered)`;
    item.title = a.id;
    list.append(item);
  }
  td.append(list);
  return td;
}

function showStorage(storage) {
  $("storage").hidden = !storage || storage.ok;
  const items = (storage?.reasons ?? []).map((reason) => {
    const item = document.createElement("li");
    item.textContent = reason;
    return item;
  });
  $("storage-reasons").replaceChildren(...items);
}

function showTotals(totals) {
  const { traces, labels, labelsLastHour, hoursLeft } = totals;
  $("totals-traces").textContent =
    `Traces: ${traces.done} done, ${traces.inProgress} in progress, ${traces.untouched} untouched.`;
  $("totals-labels").textContent = `Labels: ${labels.done} of ${labels.needed} done.`;
  $("totals-pace").textContent = hoursLeft === 0
    ? "Every label is in."
    : hoursLeft === null
    ? "No label in the last hour: no pace to tell the time left."
    : `${labelsLastHour} labels in the last hour: about ${hoursLeft} h left at that pace.`;
}

function alphaText(agreement) {
  return agreement.value === null
    ? "—"
    : `${agreement.value.toFixed(3)} (${agreement.pairable} values)`;
}

/** A cell with a link-styled button running `onClick(button)`. */
function buttonCell(text, title, onClick) {
  const td = document.createElement("td");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "link";
  button.textContent = text;
  if (title) button.title = title;
  button.addEventListener("click", () => onClick(button));
  td.append(button);
  return td;
}

/** A button that releases the annotator's unfinished traces now (their labels there go). */
function releaseCell(annotator) {
  if (annotator.inProgress === 0) {
    const td = cell("—");
    td.className = "muted";
    return td;
  }
  return buttonCell(
    `Release (${annotator.inProgress})`,
    `Free the traces ${annotator.username} has not finished; their labels there go`,
    (button) =>
      adminAction(button, {
        path: "/api/admin/release",
        body: { annotator: annotator.id },
        done: (data) => `Released ${data.released.length} trace(s) of ${annotator.username}.`,
        failed: "Cannot release",
      }),
  );
}

/** Block (or unblock) the annotator's user name: their sessions end, their labels stay. */
function accessCell(annotator, blocked) {
  const isBlocked = blocked.includes(annotator.username.toLowerCase());
  return buttonCell(isBlocked ? "Unblock" : "Block", "", (button) =>
    adminAction(button, {
      path: "/api/admin/block",
      body: { username: annotator.username, blocked: !isBlocked },
      done: () => `${isBlocked ? "Unblocked" : "Blocked"} ${annotator.username}.`,
      failed: `Cannot change the access of ${annotator.username}`,
    }));
}

/**
 * POSTs an admin action, reloads the report and says what was done (`done(answer)`); on
 * failure says `failed: why` and enables the button again.
 */
async function adminAction(button, { path, body, done, failed }) {
  button.disabled = true;
  const live = $("live");
  try {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new Error(data?.error ?? `HTTP ${response.status}`);
    await load();
    live.textContent = done(data);
  } catch (error) {
    button.disabled = false;
    live.textContent = `${failed}: ${error.message}`;
    live.classList.add("error");
  }
}

function show(status) {
  showStorage(status.storage);
  showTotals(status.totals);
  const { agreement } = status;
  const value = agreement.value === null
    ? "not enough overlapping labels yet"
    : agreement.value.toFixed(3);
  $("agreement").replaceChildren();
  const measure = document.createElement("span");
  measure.textContent = `${agreement.measure}: `;
  const strong = document.createElement("strong");
  strong.id = "agreement-value";
  strong.textContent = value;
  $("agreement").append(measure, strong);
  $("agreement-detail").textContent =
    `Units: ${agreement.units} · pairable values: ${agreement.pairable}.`;
  $("per-trace").textContent =
    `Each trace is given to at most ${status.annotatorsPerTrace} annotator(s).`;

  fillTable(
    $("traces"),
    status.traces.map((t) =>
      row(
        cell(t.trace),
        cell(t.mode === "help" ? "help" : "tasks"),
        cell(t.questions, true),
        cell(t.done, true),
        cell(t.inProgress, true),
        traceAnnotators(t.annotators),
      )
    ),
    "No traces.",
  );
  fillTable(
    $("annotators"),
    status.annotators.map((a) =>
      row(
        cell(a.username),
        cell(a.id),
        cell(a.done, true),
        cell(a.inProgress, true),
        cell(a.labels, true),
        cell(a.skips ?? 0, true),
        cell(a.comments ?? 0, true),
        cell(a.labelsPerHour ?? "—", true),
        cell(alphaText(a.agreement), true),
        releaseCell(a),
        accessCell(a, status.blocked ?? []),
      )
    ),
    "Nobody has logged in yet.",
  );
  showNotes(status.notes ?? { count: 0, latest: [] });
}

/** The latest skips and comments, newest first. */
function showNotes(notes) {
  $("notes-count").textContent = notes.count > notes.latest.length
    ? `The latest ${notes.latest.length} of ${notes.count}; the label history has them all.`
    : `${notes.count} in all.`;
  fillTable(
    $("notes"),
    notes.latest.map((n) =>
      row(
        cell(n.trace),
        cell(n.question, true),
        cell(n.username),
        cell(n.skip ?? "—"),
        cell(n.comment ?? "—"),
        cell(new Date(n.at).toLocaleString()),
      )
    ),
    "No skip or comment yet.",
  );
}

async function load() {
  const live = $("live");
  live.classList.remove("error");
  live.textContent = "Loading…";
  let response;
  try {
    response = await fetch("/api/status", { headers: { Accept: "application/json" } });
  } catch {
    live.textContent = "Cannot reach the server.";
    live.classList.add("error");
    return;
  }
  if (response.status === 401) {
    $("report").hidden = true;
    $("login-needed").hidden = false;
    live.textContent = "Not logged in.";
    return;
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    // handled below
  }
  if (!response.ok || data === null) {
    live.textContent = data?.error ?? `The server answered HTTP ${response.status}.`;
    live.classList.add("error");
    return;
  }
  show(data);
  $("login-needed").hidden = true;
  $("report").hidden = false;
  live.textContent = `Updated ${new Date().toLocaleTimeString()}.`;
}

/** Shows who is logged in (an admin) and offers to log out. */
async function showAdmin() {
  try {
    const response = await fetch("/api/me", { headers: { Accept: "application/json" } });
    const me = response.ok ? await response.json() : null;
    if (!me?.admin) return;
    $("admin-name").textContent = `Admin: ${me.admin.username}`;
    $("admin-name").hidden = false;
    $("logout").hidden = false;
  } catch {
    // The report says what is wrong with the server.
  }
}

async function logout() {
  await fetch("/api/logout", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: "{}",
  }).catch(() => {});
  location.assign("/");
}

$("refresh").addEventListener("click", load);
// Auto-refresh while the page is visible and the box is ticked.
setInterval(() => {
  if ($("auto-refresh").checked && document.visibilityState === "visible") load();
}, 30_000);
$("logout").addEventListener("click", logout);
showAdmin();
load();
