// Logging in and out of the annotation page, and the first look at the session on load.

import { ApiError } from "./api_client.js";

/**
 * The session actions of `page` (a Page); `annotation` receives the first State, after the
 * guidelines (`guidelines`) when this browser has not read them yet.
 */
export function createSession(page, annotation, guidelines) {
  const ui = page.ui;
  /** The first State, held while the guidelines are read before the first trace. */
  let pending = null;

  /** The annotation view for `me`: the guidelines first if unread, else the trace. */
  async function enter(me) {
    page.showApp(me.annotator);
    const unread = await guidelines.load();
    const state = await page.api("GET", "/api/state?since=0");
    if (unread) {
      pending = state;
      ui.appView.hidden = true;
      guidelines.show(true);
      ui.guidelinesStart.focus();
      return;
    }
    await annotation.open(state);
  }

  /** "Start annotating" under the guidelines shown before the first trace. */
  function start() {
    guidelines.hide();
    ui.appView.hidden = false;
    const state = pending;
    pending = null;
    return page.run(async () => {
      await annotation.open(state ?? await page.api("GET", "/api/state?since=0"));
    });
  }

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
    return page.run(async () => {
      try {
        const me = await page.api("POST", "/api/login", { username, password });
        ui.loginPassword.value = "";
        ui.loginError.hidden = true;
        if (me.admin) return location.assign("/status"); // admins review, they do not annotate
        await enter(me);
      } catch (error) {
        if (!(error instanceof ApiError) || error.status === 0 || error.status >= 500) throw error;
        let message = error.message;
        if (error.status === 429 && error.retryAfter && !/try again/i.test(message)) {
          message += ` Try again in ${error.retryAfter} seconds.`;
        }
        fail(message);
        ui.loginPassword.select();
      }
    }, "Logging in…");
  }

  function logout() {
    return page.run(async () => {
      await page.api("POST", "/api/logout", {});
      ui.loginUser.value = "";
      page.showLogin(null);
      page.say("Logged out.");
    });
  }

  /** On load: the annotation view when the session cookie is still valid, else the login. */
  function resume() {
    return page.run(async () => {
      let me;
      try {
        me = await page.api("GET", "/api/me");
      } catch (error) {
        return page.showLogin(
          error instanceof ApiError && error.status === 401 ? null : error.message,
        );
      }
      if (me.admin) return location.assign("/status");
      await enter(me);
    });
  }

  return { login, logout, start: resume, startAnnotating: start };
}
