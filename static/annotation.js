// Annotating a trace: showing the State from the server, submitting answers, changing the
// previous answer and moving to the next trace. Every answer says which saved answer it
// replaces (`replaces`); when another tab saved a different one meanwhile, the page shows it
// and asks before replacing it.

import { ApiError } from "./api_client.js";

/** The annotation actions of `page` (a Page). */
export function createAnnotation(page) {
  const { ui, events, form } = page;
  /** The answer refused with 409 while the page asks what to do: {question, label, current}. */
  let conflict = null;

  /** Takes a State from the server and shows it, appending only events not yet listed. */
  async function receive(state, attempt = 0) {
    if (state.trace !== events.trace) events.reset(state.trace);
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

  function showCurrent() {
    const state = page.state;
    ui.traceName.textContent = state.trace ?? "—";
    ui.eventCount.textContent = state.trace ? `(${events.shown} of ${state.totalTurns})` : "";
    ui.back.disabled = state.previousTurn === null || state.previousTurn === undefined;
    if (state.question) {
      form.show(state.question, false);
      page.say(`Question ${state.question.number} of ${state.question.count}.`);
      return;
    }
    form.hide();
    ui.doneBox.hidden = false;
    let text;
    if (state.allDone) text = state.message ?? "All traces are done. Thank you!";
    else if (state.finished) text = "Trace done — press Next trace (N).";
    else text = "Press Next trace (N) to get a trace to annotate.";
    ui.doneText.textContent = text;
    ui.progress.textContent = state.finished ? "All questions of this trace answered." : "";
    page.say(text);
  }

  function submit() {
    const question = form.question;
    if (!question || page.busy) return;
    const label = form.readLabel(question);
    if (label === null) {
      form.showHint(question);
      return;
    }
    // The answer this one replaces: the version shown with the question, or none yet.
    const replaces = question.version ?? "new";
    return page.run(() => send(question, label, replaces, form.editing), "Saving…");
  }

  /** Sends `label` for `question`, replacing the saved answer of version `replaces`. */
  async function send(question, label, replaces, changed) {
    conflict = null;
    form.hideConflict();
    let state;
    try {
      state = await page.api("POST", "/api/label", {
        trace: question.trace ?? events.trace,
        turn: question.turn,
        label,
        since: events.shown,
        replaces,
      });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 409 && error.data?.current) {
        // Answered meanwhile (another tab): show the saved answer and ask.
        conflict = { question, label, current: error.data.current, changed };
        form.showConflict(question, error.data.current, label);
        page.say("Not saved yet: this question was answered meanwhile.", true);
        return;
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
      return;
    }
    await receive(state);
    if (changed) page.say(`Answer changed. ${ui.live.textContent}`);
  }

  /** After a 409: `replace` sends the answer again over the saved one; else keeps that one. */
  function resolveConflict(replace) {
    const pending = conflict;
    if (!pending || page.busy) return;
    conflict = null;
    form.hideConflict();
    const { question, label, current, changed } = pending;
    page.say("");
    if (replace) {
      return page.run(() => send(question, label, current.version, changed), "Saving…");
    }
    if (form.editing && current.label !== null) {
      // Keep changing this answer, starting from the saved one.
      form.show({ ...question, label: current.label, version: current.version }, true);
      page.say("Kept the saved answer.");
      return;
    }
    return page.run(async () => {
      await receive(await page.api("GET", `/api/state?since=${events.shown}`));
      page.say(`Kept the saved answer. ${ui.live.textContent}`);
    });
  }

  function back() {
    const state = page.state;
    if (!state?.trace || page.busy) return;
    if (form.editing) {
      page.say("You are already changing an answer: submit it, or press Esc to cancel.");
      return;
    }
    const turn = state.previousTurn;
    if (turn === null || turn === undefined) {
      page.say("There is no earlier answer in this trace to change.");
      return;
    }
    return page.run(async () => {
      const params = new URLSearchParams({ trace: state.trace, turn: String(turn) });
      const question = await page.api("GET", `/api/question?${params}`);
      form.show(question, true);
      page.say(`Changing your answer to question ${question.number} of ${question.count}.`);
    });
  }

  function cancelEdit() {
    if (!form.editing || !page.state) return;
    showCurrent();
  }

  function next() {
    const state = page.state;
    if (!state || page.busy) return;
    if (state.question && !state.finished) {
      const left = state.question.count - state.question.number + 1;
      page.say(`Finish this trace first: ${left} question${left === 1 ? "" : "s"} left.`);
      return;
    }
    return page.run(async () => {
      await receive(await page.api("POST", "/api/next", { since: 0 }));
    }, "Getting a trace…");
  }

  return { receive, submit, resolveConflict, back, cancelEdit, next };
}
