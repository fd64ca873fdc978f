// Logging in and out of the annotation page, and the first look at the session on load.

import { ApiError } from "./api_client.js";

/** The session actions of `page` (a Page); `annotation` receives the first State. */
export function createSession(page, annotation) {
  const ui = page.ui;

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
        page.showApp(me.annotator);
        await annotation.open(await page.api("GET", "/api/state?since=0"));
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
  function start() {
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
      page.showApp(me.annotator);
      await annotation.open(await page.api("GET", "/api/state?since=0"));
    });
  }

  return { login, logout, start };
}
