// The annotation page's shell: its elements, the status line, the login and annotation
// views, and `run`, which sends one server action at a time.

import { api, ApiError } from "./api_client.js";
import { EventList } from "./event_list.js";
import { QuestionForm } from "./question_form.js";

const $ = (id) => document.getElementById(id);

/** A server action taking longer than this shows its busy state. */
const BUSY_AFTER_MS = 250;

/** The elements of static/index.html the page script uses. */
export function findElements() {
  return {
    live: $("live"),
    saving: $("saving"),
    who: $("who"),
    whoName: $("who-name"),
    logout: $("logout"),
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
    comment: $("comment"),
    skipBox: $("skip-box"),
    skipReason: $("skip-reason"),
    skipOther: $("skip-other"),
    conflict: $("conflict"),
    conflictText: $("conflict-text"),
    conflictReplace: $("conflict-replace"),
    conflictKeep: $("conflict-keep"),
    cancel: $("cancel-edit"),
    submit: $("submit"),
    formStatus: $("form-status"),
    retry: $("retry"),
    doneBox: $("done-box"),
    doneText: $("done-text"),
    stay: $("stay"),
    back: $("back"),
    next: $("next"),
    keysDigits: $("keys-digits"),
    answersBox: $("answers-box"),
    answers: $("answers"),
    answersEmpty: $("answers-empty"),
    guidelines: $("guidelines"),
    guidelinesBody: $("guidelines-body"),
    guidelinesButton: $("guidelines-button"),
    guidelinesStart: $("guidelines-start"),
    guidelinesClose: $("guidelines-close"),
    keysDigitsKeys: $("keys-digits-keys"),
    keysRejectRow: $("keys-reject"),
  };
}

/** What the page shows; the State changes only through the annotation module's receive(). */
export class Page {
  constructor(ui) {
    this.ui = ui;
    this.state = null; // last State from the server
    this.busy = false; // a server action is running
    this.events = new EventList(ui.events);
    this.form = new QuestionForm(ui, this.events);
  }

  /** Puts `text` on the status line (read out by screen readers). */
  say(text, isError = false) {
    this.ui.live.textContent = text;
    this.ui.live.classList.toggle("error", isError);
  }

  /** The login form instead of the annotation view, with `message` when given. */
  showLogin(message) {
    const ui = this.ui;
    this.state = null;
    this.events.reset(null);
    ui.appView.hidden = true;
    ui.guidelines.hidden = true;
    ui.who.hidden = true;
    ui.loginView.hidden = false;
    ui.loginError.hidden = !message;
    ui.loginError.textContent = message ?? "";
    this.say("");
    ui.loginUser.focus();
  }

  /** The annotation view for `annotator` ({username, id}). */
  showApp(annotator) {
    const ui = this.ui;
    ui.whoName.textContent = annotator.username;
    ui.whoName.title = `annotator ${annotator.id}`; // the id, without taking the header
    ui.who.hidden = false;
    ui.loginView.hidden = true;
    ui.appView.hidden = false;
  }

  /**
   * Runs one server action at a time; a lost session brings back the login form. While it
   * runs longer than a moment, or its request is being retried, `busyText` (e.g.
   * "Saving…") is shown.
   */
  async run(action, busyText = "Loading…") {
    if (this.busy) return;
    this.busy = true;
    this.busyText = busyText;
    this.ui.appView.setAttribute("aria-busy", "true");
    const slow = setTimeout(() => this.showBusy(busyText), BUSY_AFTER_MS);
    try {
      await action();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        this.showLogin("Your session has ended. Please log in again.");
      } else {
        this.say(error instanceof Error ? error.message : String(error), true);
      }
    } finally {
      clearTimeout(slow);
      this.showBusy(null);
      this.busy = false;
      this.ui.appView.removeAttribute("aria-busy");
    }
  }

  /** Shows `text` as the busy state ("Saving…"), or hides it when null. */
  showBusy(text) {
    this.ui.saving.hidden = text === null;
    this.ui.saving.textContent = text ?? "";
  }

  /** A JSON API request (see api_client.js) whose retries show in the busy state. */
  api(method, path, body) {
    return api(method, path, body, {
      onRetry: ({ attempt, of, waitMs, error }) => {
        const why = error.status === 0 ? "The server cannot be reached" : "The server is busy";
        this.showBusy(
          `${this.busyText ?? "Loading…"} ${why}; trying again in ${
            (waitMs / 1000).toFixed(1)
          } s (retry ${attempt} of ${of}).`,
        );
      },
    });
  }
}
