// The annotation page of `proactive serve`: plain ES module, no framework, no build step.
// Rule: every piece of trace text reaches the DOM through textContent, never as HTML.

const $ = (id) => document.getElementById(id);

/** Rows of the newest batch laid out at once: more than a screenful of events. */
const FRESH_ROWS = 40;

/** An HTTP error from the JSON API: `status` 0 means the server could not be reached. */
class ApiError extends Error {
  constructor(status, message, retryAfter) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

async function api(method, path, body) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, "Cannot reach the server. Check the connection and try again.");
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    // Not JSON: fall through to the generic message below.
  }
  if (!response.ok) {
    const message = data && typeof data.error === "string"
      ? data.error
      : `The server answered HTTP ${response.status}.`;
    throw new ApiError(response.status, message, response.headers.get("Retry-After"));
  }
  return data;
}

// One formatter reused for every event: same output as Date#toLocaleString(), much cheaper.
const TIME_FORMAT = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "numeric",
  day: "numeric",
  hour: "numeric",
  minute: "numeric",
  second: "numeric",
});

/** Unix seconds as text → readable local time; anything else is shown as it is. */
function formatTime(raw) {
  const text = String(raw);
  const seconds = text.trim() === "" ? NaN : Number(text);
  const date = new Date(seconds * 1000);
  if (!Number.isFinite(seconds) || Number.isNaN(date.getTime())) return { text, iso: null };
  return { text: TIME_FORMAT.format(date), iso: date.toISOString() };
}

function isTyping(target) {
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !["checkbox", "radio", "button", "submit", "reset"].includes(target.type);
  }
  return target instanceof HTMLElement && target.isContentEditable;
}

function main() {
  const ui = {
    live: $("live"),
    who: $("who"),
    whoName: $("who-name"),
    whoId: $("who-id"),
    loginView: $("login-view"),
    loginForm: $("login-form"),
    loginUser: $("login-user"),
    loginPassword: $("login-password"),
    loginError: $("login-error"),
    appView: $("app-view"),
    traceName: $("trace-name"),
    progress: $("progress"),
    events: $("events"),
    eventCount: $("event-count"),
    form: $("question-form"),
    fieldset: $("question-fieldset"),
    legend: $("question-legend"),
    prompt: $("question-prompt"),
    choices: $("choices"),
    rejectRow: $("reject-row"),
    reject: $("reject-all"),
    hint: $("hint"),
    cancel: $("cancel-edit"),
    doneBox: $("done-box"),
    doneText: $("done-text"),
    back: $("back"),
    next: $("next"),
    keysDigits: $("keys-digits"),
  };

  // What the page shows; replaced only through receive() / showQuestion().
  const view = {
    state: null, // last State from the server
    trace: null, // trace whose events are in the list
    shown: 0, // events rendered in the list (= `since` for the next request)
    question: null, // question on screen: the current one or, when editing, an earlier one
    editing: false,
    marked: null, // <li> of the question's turn
    fresh: [], // newest rows, always rendered (the others may skip layout while off-screen)
    busy: false,
  };

  function say(text, isError = false) {
    ui.live.textContent = text;
    ui.live.classList.toggle("error", isError);
  }

  function showLogin(message) {
    view.state = null;
    resetEvents(null);
    ui.appView.hidden = true;
    ui.who.hidden = true;
    ui.loginView.hidden = false;
    ui.loginError.hidden = !message;
    ui.loginError.textContent = message ?? "";
    say("");
    ui.loginUser.focus();
  }

  function showApp(annotator) {
    ui.whoName.textContent = annotator.username;
    ui.whoId.textContent = annotator.id;
    ui.who.hidden = false;
    ui.loginView.hidden = true;
    ui.appView.hidden = false;
  }

  /** Runs one server action at a time; a lost session brings back the login form. */
  async function run(action) {
    if (view.busy) return;
    view.busy = true;
    ui.appView.setAttribute("aria-busy", "true");
    try {
      await action();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        showLogin("Your session has ended. Please log in again.");
      } else {
        say(error instanceof Error ? error.message : String(error), true);
      }
    } finally {
      view.busy = false;
      ui.appView.removeAttribute("aria-busy");
    }
  }

  // ---- events list -------------------------------------------------------------------

  function resetEvents(trace) {
    ui.events.replaceChildren();
    view.trace = trace;
    view.shown = 0;
    view.marked = null;
    view.fresh = [];
  }

  function appendEvents(events) {
    if (events.length === 0) return;
    for (const item of view.fresh) item.classList.remove("fresh");
    view.fresh = [];
    const fragment = document.createDocumentFragment();
    const freshFrom = events.length - FRESH_ROWS;
    for (const [index, event] of events.entries()) {
      const item = document.createElement("li");
      const head = document.createElement("div");
      head.className = "event-head";
      const number = document.createElement("span");
      number.className = "turn";
      number.textContent = `#${event.turn + 1}`;
      const time = document.createElement("time");
      const { text, iso } = formatTime(event.time);
      time.textContent = text;
      if (iso) time.dateTime = iso;
      time.title = String(event.time);
      const body = document.createElement("span");
      body.className = "event-text";
      body.textContent = event.event;
      head.append(number, time);
      item.append(head, body);
      if (index >= freshFrom) {
        item.className = "fresh";
        view.fresh.push(item);
      }
      fragment.append(item);
    }
    ui.events.append(fragment);
    view.shown += events.length;
    // Keep the latest event in view; in the next frame, so the page is laid out only once.
    requestAnimationFrame(() => {
      ui.events.scrollTop = ui.events.scrollHeight;
    });
  }

  /** Highlights the event of the question's turn (events are listed from turn 0). */
  function markTurn(turn, reveal) {
    view.marked?.classList.remove("asked");
    view.marked = typeof turn === "number" ? ui.events.children[turn] ?? null : null;
    if (!view.marked) return;
    view.marked.classList.add("asked");
    if (reveal) view.marked.scrollIntoView({ block: "nearest" });
  }

  // ---- state --------------------------------------------------------------------------

  /** Takes a State from the server and shows it, appending only events not yet listed. */
  async function receive(state, attempt = 0) {
    if (state.trace !== view.trace) resetEvents(state.trace);
    if (state.trace !== null && (state.since > view.shown || state.revealed < view.shown)) {
      // The answer does not continue the list (e.g. another tab moved on): fetch what is missing.
      if (attempt >= 2) {
        throw new Error("The events from the server do not line up; reload the page.");
      }
      if (attempt === 1 || state.revealed < view.shown) resetEvents(state.trace);
      return receive(await api("GET", `/api/state?since=${view.shown}`), attempt + 1);
    }
    appendEvents(state.events.slice(view.shown - state.since));
    view.state = state;
    showCurrent();
  }

  function showCurrent() {
    const state = view.state;
    ui.traceName.textContent = state.trace ?? "—";
    ui.eventCount.textContent = state.trace ? `(${view.shown} of ${state.totalTurns})` : "";
    ui.back.disabled = state.previousTurn === null || state.previousTurn === undefined;
    if (state.question) {
      showQuestion(state.question, false);
      say(`Question ${state.question.number} of ${state.question.count}.`);
      return;
    }
    view.question = null;
    view.editing = false;
    markTurn(null, false);
    ui.form.hidden = true;
    ui.doneBox.hidden = false;
    let text;
    if (state.allDone) text = state.message ?? "All traces are done. Thank you!";
    else if (state.finished) text = "Trace done — press Next trace (N).";
    else text = "Press Next trace (N) to get a trace to annotate.";
    ui.doneText.textContent = text;
    ui.progress.textContent = state.finished ? "All questions of this trace answered." : "";
    say(text);
  }

  // ---- question -----------------------------------------------------------------------

  function showQuestion(question, editing) {
    view.question = question;
    view.editing = editing;
    const help = question.kind === "help";
    ui.legend.textContent = editing
      ? `Changing your answer to question ${question.number} of ${question.count}`
      : `Question ${question.number} of ${question.count}`;
    ui.prompt.textContent = help
      ? "Does the user need help at this point?"
      : "Which of these tasks would you accept the agent doing now? Tick every one you would accept, or Reject all.";
    ui.progress.textContent = `Question ${question.number} of ${question.count} · ${
      help ? "help mode" : "task mode"
    }`;
    ui.keysDigits.textContent = help ? "1 = Help needed, 2 = No help needed" : "toggle task 1–9";

    const label = question.label;
    const fragment = document.createDocumentFragment();
    question.tasks.forEach((task, index) => {
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
      if (index < 9) {
        const key = document.createElement("kbd");
        key.textContent = String(index + 1);
        text.append(key, " ");
      }
      const span = document.createElement("span");
      span.textContent = task;
      text.append(span);
      item.append(input, text);
      fragment.append(item);
    });
    ui.choices.replaceChildren(fragment);
    ui.rejectRow.hidden = help;
    ui.reject.checked = !help && label === "Reject all";
    ui.hint.hidden = true;
    ui.cancel.hidden = !editing;
    ui.doneBox.hidden = true;
    ui.form.hidden = false;
    markTurn(question.turn, editing);
    ui.fieldset.focus({ preventScroll: true }); // Enter, digits and screen readers start here
  }

  function choiceInputs() {
    return ui.choices.querySelectorAll("input");
  }

  function readLabel(question) {
    const inputs = [...choiceInputs()];
    const picked = inputs.filter((input) => input.checked).map((input) => Number(input.value));
    if (question.kind === "help") {
      if (picked.length !== 1) return null;
      return picked[0] === 0 ? "need" : "no need";
    }
    if (picked.length > 0) return picked.sort((a, b) => a - b);
    return ui.reject.checked ? "Reject all" : null;
  }

  function toggleChoice(index) {
    const input = choiceInputs()[index];
    if (!input) return;
    input.checked = !input.checked;
    onChoiceChange(input);
  }

  function toggleReject() {
    if (ui.rejectRow.hidden) return;
    ui.reject.checked = !ui.reject.checked;
    onChoiceChange(ui.reject);
  }

  /** A task and Reject all exclude each other. */
  function onChoiceChange(input) {
    ui.hint.hidden = true;
    if (!input.checked || input.type !== "checkbox") return;
    if (input === ui.reject) {
      for (const task of choiceInputs()) task.checked = false;
    } else {
      ui.reject.checked = false;
    }
  }

  function submit() {
    const question = view.question;
    if (!question || view.busy) return;
    const label = readLabel(question);
    if (label === null) {
      ui.hint.textContent = question.kind === "help"
        ? "Choose Help needed or No help needed first."
        : "Tick at least one task, or Reject all, first.";
      ui.hint.hidden = false;
      return;
    }
    const changed = view.editing;
    return run(async () => {
      let state;
      try {
        state = await api("POST", "/api/label", {
          trace: question.trace ?? view.trace,
          turn: question.turn,
          label,
          since: view.shown,
        });
      } catch (error) {
        // The page was out of date (trace released, answered elsewhere): show where we are.
        if (!(error instanceof ApiError) || ![403, 404, 409].includes(error.status)) throw error;
        await receive(await api("GET", `/api/state?since=${view.shown}`));
        say(`Not saved: ${error.message}`, true);
        return;
      }
      await receive(state);
      if (changed) say(`Answer changed. ${ui.live.textContent}`);
    });
  }

  function back() {
    const state = view.state;
    if (!state?.trace || view.busy) return;
    if (view.editing) {
      say("You are already changing an answer: submit it, or press Esc to cancel.");
      return;
    }
    const turn = state.previousTurn;
    if (turn === null || turn === undefined) {
      say("There is no earlier answer in this trace to change.");
      return;
    }
    return run(async () => {
      const params = new URLSearchParams({ trace: state.trace, turn: String(turn) });
      const question = await api("GET", `/api/question?${params}`);
      showQuestion(question, true);
      say(`Changing your answer to question ${question.number} of ${question.count}.`);
    });
  }

  function cancelEdit() {
    if (!view.editing || !view.state) return;
    showCurrent();
  }

  function next() {
    const state = view.state;
    if (!state || view.busy) return;
    if (state.question && !state.finished) {
      const left = state.question.count - state.question.number + 1;
      say(`Finish this trace first: ${left} question${left === 1 ? "" : "s"} left.`);
      return;
    }
    return run(async () => {
      await receive(await api("POST", "/api/next", { since: 0 }));
    });
  }

  // ---- login / logout -----------------------------------------------------------------

  function login(event) {
    event.preventDefault();
    const username = ui.loginUser.value.trim();
    const password = ui.loginPassword.value;
    const fail = (message) => {
      ui.loginError.textContent = message;
      ui.loginError.hidden = false;
    };
    if (!username) return fail("Enter a username.");
    if (!password) return fail("Enter the password.");
    return run(async () => {
      try {
        const me = await api("POST", "/api/login", { username, password });
        ui.loginPassword.value = "";
        ui.loginError.hidden = true;
        showApp(me.annotator);
        await receive(await api("GET", "/api/state?since=0"));
      } catch (error) {
        if (!(error instanceof ApiError) || error.status === 0 || error.status >= 500) throw error;
        let message = error.message;
        if (error.status === 429 && error.retryAfter && !/try again/i.test(message)) {
          message += ` Try again in ${error.retryAfter} seconds.`;
        }
        fail(message);
        ui.loginPassword.select();
      }
    });
  }

  function logout() {
    return run(async () => {
      await api("POST", "/api/logout", {});
      ui.loginUser.value = "";
      showLogin(null);
      say("Logged out.");
    });
  }

  // ---- wiring -------------------------------------------------------------------------

  ui.loginForm.addEventListener("submit", login);
  $("logout").addEventListener("click", logout);
  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  ui.form.addEventListener("change", (event) => onChoiceChange(event.target));
  ui.cancel.addEventListener("click", cancelEdit);
  ui.back.addEventListener("click", back);
  ui.next.addEventListener("click", next);

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (ui.appView.hidden || isTyping(event.target)) return;
    const key = event.key;
    if (key.length === 1 && key >= "1" && key <= "9") {
      if (view.question) toggleChoice(Number(key) - 1);
    } else if (key === "r" || key === "R") {
      if (view.question) toggleReject();
    } else if (key === "Enter") {
      if (event.target instanceof HTMLButtonElement || event.target instanceof HTMLAnchorElement) {
        return; // the focused control handles its own Enter
      }
      if (!event.repeat) submit();
    } else if (key === "n" || key === "N") {
      if (!event.repeat) next();
    } else if (key === "b" || key === "B") {
      if (!event.repeat) back();
    } else if (key === "Escape") {
      cancelEdit();
    } else {
      return;
    }
    event.preventDefault();
  });

  run(async () => {
    let me;
    try {
      me = await api("GET", "/api/me");
    } catch (error) {
      return showLogin(error instanceof ApiError && error.status === 401 ? null : error.message);
    }
    showApp(me.annotator);
    await receive(await api("GET", "/api/state?since=0"));
  });
}

main();
