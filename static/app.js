// The annotation page of `proactive serve`: native ES modules, no framework, no build step.
// Rule: every piece of trace text reaches the DOM through textContent, never as HTML.
// Every module here must be listed in src/serve/static_assets.ts to be served.

import { createAnnotation } from "./annotation.js";
import { createGuidelines } from "./guidelines.js";
import { installShortcuts } from "./keyboard.js";
import { findElements, Page } from "./page.js";
import { createSession } from "./session.js";

function main() {
  const ui = findElements();
  const page = new Page(ui);
  const annotation = createAnnotation(page);
  const guidelines = createGuidelines(page);
  const session = createSession(page, annotation, guidelines);
  const form = page.form;

  ui.loginForm.addEventListener("submit", session.login);
  ui.logout.addEventListener("click", session.logout);
  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    annotation.submit();
  });
  ui.form.addEventListener("change", (event) => form.onChoiceChange(event.target));
  ui.cancel.addEventListener("click", annotation.cancelEdit);
  ui.conflictReplace.addEventListener("click", () => annotation.resolveConflict(true));
  ui.conflictKeep.addEventListener("click", () => annotation.resolveConflict(false));
  ui.back.addEventListener("click", annotation.back);
  ui.next.addEventListener("click", annotation.next);
  ui.stay.addEventListener("click", annotation.stay);
  ui.retry.addEventListener("click", annotation.retry);
  ui.skipBox.addEventListener("click", (event) => {
    const reason = event.target.closest?.("[data-skip]")?.dataset.skip;
    if (reason) annotation.skip(reason);
  });
  ui.skipOther.addEventListener("click", () => annotation.skip(ui.skipReason.value));
  ui.skipReason.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault(); // Enter here skips; it does not submit the ticked tasks
    annotation.skip(ui.skipReason.value);
  });
  ui.answersBox.addEventListener("toggle", annotation.toggleAnswers);
  ui.guidelinesButton.addEventListener("click", guidelines.toggle);
  ui.guidelinesClose.addEventListener("click", guidelines.hide);
  ui.guidelinesStart.addEventListener("click", session.startAnnotating);
  installShortcuts(ui.appView, {
    hasQuestion: () => Boolean(form.question),
    toggleChoice: (index) => form.toggleChoice(index),
    toggleReject: () => form.toggleReject(),
    submit: annotation.submit,
    next: annotation.next,
    back: annotation.back,
    cancelEdit: annotation.cancelEdit,
  });

  session.start();
}

main();
