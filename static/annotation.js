// Annotating a trace: showing the State from the server, submitting answers, changing the
// previous answer and moving to the next trace. Every answer says which saved answer it
// replaces (`replaces`); when another tab saved a different one meanwhile, the page shows it
// and asks before replacing it.

import { ApiError } from "./api_client.js";

/** An answer in a few words, without the tasks' texts: "tasks 1, 3", "Reject all", … */
function shortAnswer({ label, skip, comment }) {
  const what = skip ? `skipped (${skip})` : shortLabel(label);
  return comment ? `${what} · “${comment}”` : what;
}

function shortLabel(label) {
  if (label === "need") return "Help needed";
  if (label === "no need") return "No help needed";
  if (Array.isArray(label)) {
    return `task${label.length === 1 ? "" : "s"} ${label.map((i) => i + 1).join(", ")}`;
  }
  return String(label);
}

/** Seconds between finishing a trace and the next one opening by itself. */
export const NEXT_TRACE_DELAY_S = 3;

/** The annotation actions of `page` (a Page). */
export function createAnnotation(page) {
  const { ui, events, form } = page;
  /** The answer refused with 409 while the page asks what to do: {question, label, current}. */
  let conflict = null;
  /** The countdown to the next trace after finishing one: {left, timer}, or null. */
  let countdown = null;
  /** Clears "Saved ✓" a moment after a save. */
  let savedTimer = 0;
  /** The last answer sent ({question, answer}): what Retry sends again. */
  let lastSave = null;

  /** Shows `state`, and opens the next trace at once when the annotator has none (login). */
  async function open(state) {
    await receive(state);
    if (state.trace === null && !state.allDone) {
      await receive(await page.api("POST", "/api/next", { since: 0 }));
    }
  }

  /** After the last answer of a trace: the next opens in a few seconds unless cancelled. */
  function startCountdown() {
    cancelCountdown();
    countdown = { left: NEXT_TRACE_DELAY_S, timer: 0 };
    const tick = () => {
      if (!countdown) return;
      if (countdown.left === 0) {
        if (page.busy) {
          countdown.timer = setTimeout(tick, 300);
          return;
        }
        countdown = null;
        ui.stay.hidden = true;
        next();
        return;
      }
      ui.doneText.textContent = `Trace done. The next trace opens in ${countdown.left} s — ` +
        "N opens it now, Esc stays on this trace.";
      countdown.left--;
      countdown.timer = setTimeout(tick, 1000);
    };
    ui.stay.hidden = false;
    tick();
  }

  /** Stops the countdown; true when one was running. */
  function cancelCountdown() {
    if (!countdown) return false;
    clearTimeout(countdown.timer);
    countdown = null;
    ui.stay.hidden = true;
    return true;
  }

  function stay() {
    if (!cancelCountdown()) return;
    ui.doneText.textContent = "Trace done — press Next trace (N) for another one.";
    page.say("Staying on this trace.");
  }

  /** Takes a State from the server and shows it, appending only events not yet listed. */
  async function receive(state, attempt = 0) {
    if (state.trace !== events.trace) {
      events.reset(state.trace);
      ui.answersBox.open = false; // another trace: its list is fetched when opened
      ui.answers.replaceChildren();
    }
    if (state.trace !== null && (state.since > events.shown || state.revealed < events.shown)) {
      // The answer does not continue the list (e.g. another tab moved on): fetch what is missing.
      if (attempt >= 2) {
        throw new Error("The events from the server do not line up; reload the page.");
      }
      if (attempt === 1 || state.revealed < events.shown) events.reset(state.trace);
      return receive(await page.api("GET", `/api/state?since=${events.shown}`), attempt + 1);
    }
    events.append(state.events.slice(events.shown - state.since));
    page.state = state;
    showCurrent();
  }

  /** "task mode · your traces: 1 done, 1 in progress · project: 12 of 36 labels". */
  function progressText(state) {
    const parts = [];
    if (state.mode) parts.push(state.mode === "help" ? "help mode" : "task mode");
    const progress = state.progress;
    if (progress) {
      const { done, inProgress } = progress.traces;
      parts.push(`your traces: ${done} done, ${inProgress} in progress`);
      parts.push(`project: ${progress.labels.done} of ${progress.labels.needed} labels`);
    }
    return parts.join(" · ");
  }

  function showCurrent() {
    cancelCountdown();
    const state = page.state;
    ui.progress.textContent = progressText(state);
    ui.traceName.textContent = state.trace ?? "—";
    ui.eventCount.textContent = state.trace ? `(${events.shown} of ${state.totalTurns})` : "";
    ui.back.disabled = state.previousTurn === null || state.previousTurn === undefined;
    if (state.question) {
      form.show(state.question, false);
      page.say(""); // the legend says "Question k of m" (read out with the focused fieldset)
      return;
    }
    form.hide();
    ui.doneBox.hidden = false;
    let text;
    if (state.allDone) text = state.message ?? "All traces are done. Thank you!";
    else if (state.finished) text = "Trace done — press Next trace (N).";
    else text = "Press Next trace (N) to get a trace to annotate.";
    ui.doneText.textContent = text;
    page.say(text);
  }

  /** Enter or Submit: the ticked label, with the comment. */
  function submit() {
    const question = form.question;
    if (!question || page.busy) return;
    const label = form.readLabel(question);
    if (label === null) {
      form.showHint(question);
      return;
    }
    return save(question, { label, comment: form.readComment() });
  }

  /** Skips the question on screen for `reason` (the skip box's buttons), with the comment. */
  function skip(reason) {
    const question = form.question;
    const why = reason?.trim();
    if (!question || page.busy) return;
    if (!why) {
      page.say("Say why you skip it: Not sure, Trace unclear, or your own words.", true);
      ui.skipReason.focus();
      return;
    }
    ui.skipBox.open = false;
    return save(question, { label: null, skip: why, comment: form.readComment() });
  }

  /** Retry (after an error): the answer that failed, sent again. */
  function retry() {
    return lastSave ? save(lastSave.question, lastSave.answer) : submit();
  }

  /** Saves `answer` ({label, skip, comment}) for `question`, with the form's feedback. */
  function save(question, answer) {
    lastSave = { question, answer };
    // The answer this one replaces: the version shown with the question, or none yet.
    const replaces = question.version ?? "new";
    const editing = form.editing;
    return page.run(async () => {
      ui.submit.disabled = true;
      showFormStatus("Saving…");
      const shownBefore = events.shown;
      try {
        if (!(await send(question, answer, replaces, editing))) return showFormStatus("");
        events.markNew(shownBefore);
        if (ui.answersBox.open && page.state.trace) await loadAnswers(); // keep it current
        showFormStatus("Saved ✓");
        savedTimer = setTimeout(() => showFormStatus(""), 2000);
        // On a phone the next question may be below the events: bring it into view.
        if (!ui.form.hidden) ui.form.scrollIntoView({ block: "nearest" });
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) throw error;
        showFormStatus(error instanceof Error ? error.message : String(error), true);
        throw error; // also on the status line, as before
      } finally {
        ui.submit.disabled = false;
      }
    }, "Saving…");
  }

  /** The text beside the Submit button: "Saving…", "Saved ✓", or an error with Retry. */
  function showFormStatus(text, isError = false) {
    clearTimeout(savedTimer);
    ui.formStatus.textContent = text;
    ui.formStatus.classList.toggle("error", isError);
    ui.retry.hidden = !isError;
    // After the busy banner above goes (page.run), which moves everything up.
    if (isError) setTimeout(() => ui.formStatus.scrollIntoView({ block: "center" }), 0);
  }

  /**
   * Sends `answer` for `question`, replacing the saved answer of version `replaces`;
   * resolves to true when it was saved.
   */
  async function send(question, answer, replaces, changed) {
    conflict = null;
    form.hideConflict();
    let state;
    try {
      state = await page.api("POST", "/api/label", {
        trace: question.trace ?? events.trace,
        turn: question.turn,
        ...answer,
        since: events.shown,
        replaces,
      });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 409 && error.data?.current) {
        // Answered meanwhile (another tab): show the saved answer and ask.
        conflict = { question, answer, current: error.data.current, changed };
        form.showConflict(question, error.data.current, answer);
        page.say("Not saved yet: this question was answered meanwhile.", true);
        return false;
      }
      if (error.status === 0 || error.status >= 500) {
        throw new Error(
          `Not saved: ${error.message} Your answer is still selected: press Enter to send it again.`,
        );
      }
      // The page was out of date (trace released, not yours): show where we are.
      if (![403, 404, 409].includes(error.status)) throw error;
      await receive(await page.api("GET", `/api/state?since=${events.shown}`));
      page.say(`Not saved: ${error.message}`, true);
      return false;
    }
    await receive(state);
    if (changed) page.say(`Answer changed. ${ui.live.textContent}`);
    else if (state.finished) startCountdown();
    return true;
  }

  /** After a 409: `replace` sends the answer again over the saved one; else keeps that one. */
  function resolveConflict(replace) {
    const pending = conflict;
    if (!pending || page.busy) return;
    conflict = null;
    form.hideConflict();
    const { question, answer, current, changed } = pending;
    page.say("");
    if (replace) {
      return page.run(() => send(question, answer, current.version, changed), "Saving…");
    }
    if (form.editing && (current.label !== null || current.skip)) {
      // Keep changing this answer, starting from the saved one.
      form.show({ ...question, comment: undefined, skip: undefined, ...current }, true);
      page.say("Kept the saved answer.");
      return;
    }
    return page.run(async () => {
      await receive(await page.api("GET", `/api/state?since=${events.shown}`));
      page.say(`Kept the saved answer. ${ui.live.textContent}`);
    });
  }

  /** Opens the annotator's answer to question `turn` of the trace for changing it. */
  async function edit(turn) {
    const params = new URLSearchParams({ trace: page.state.trace, turn: String(turn) });
    const question = await page.api("GET", `/api/question?${params}`);
    form.show(question, true);
    page.say(`Changing your answer to question ${question.number} of ${question.count}.`);
  }

  /** The annotator's answers of the trace, listed in "Your answers" (each opens to change). */
  async function loadAnswers() {
    const params = new URLSearchParams({ trace: page.state.trace });
    const { answers } = await page.api("GET", `/api/answers?${params}`);
    ui.answers.replaceChildren(...answers.map((answer) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.textContent = `Question ${answer.number}: ${shortAnswer(answer)}`;
      button.addEventListener("click", () => {
        if (!page.busy) page.run(() => edit(answer.turn));
      });
      item.append(button);
      return item;
    }));
    ui.answersEmpty.hidden = answers.length > 0;
    return answers;
  }

  /** B: the previous answer; while changing one, the one before it. */
  function back() {
    const state = page.state;
    if (!state?.trace || page.busy) return;
    cancelCountdown();
    showFormStatus("");
    if (form.editing) {
      const number = form.question.number;
      if (number <= 1) {
        page.say("This is the first question of the trace: there is no earlier answer.");
        return;
      }
      return page.run(async () => {
        const answers = await loadAnswers();
        const earlier = answers.find((answer) => answer.number === number - 1);
        if (earlier) await edit(earlier.turn);
      });
    }
    const turn = state.previousTurn;
    if (turn === null || turn === undefined) {
      page.say("There is no earlier answer in this trace to change.");
      return;
    }
    return page.run(() => edit(turn));
  }

  /** Opening "Your answers" lists them. */
  function toggleAnswers() {
    if (!ui.answersBox.open || !page.state?.trace || page.busy) return;
    return page.run(loadAnswers);
  }

  function cancelEdit() {
    if (countdown) return stay();
    if (!form.editing || !page.state) return;
    showCurrent();
  }

  function next() {
    const state = page.state;
    if (!state || page.busy) return;
    cancelCountdown();
    showFormStatus("");
    if (state.question && !state.finished) {
      const left = state.question.count - state.question.number + 1;
      page.say(`Finish this trace first: ${left} question${left === 1 ? "" : "s"} left.`);
      return;
    }
    return page.run(async () => {
      await receive(await page.api("POST", "/api/next", { since: 0 }));
    }, "Getting a trace…");
  }

  return {
    open,
    receive,
    submit,
    skip,
    retry,
    resolveConflict,
    back,
    cancelEdit,
    next,
    stay,
    toggleAnswers,
  };
}
