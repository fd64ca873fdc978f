// The annotation page's keyboard shortcuts: digits, R, Enter, N, B and Esc. Keys typed into a
// text field, and keys with Ctrl, Meta or Alt, are left alone.

/** True when `target` takes typed text, so a key press there is not a shortcut. */
export function isTyping(target) {
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !["checkbox", "radio", "button", "submit", "reset"].includes(target.type);
  }
  return target instanceof HTMLElement && target.isContentEditable;
}

/**
 * Routes shortcut keys to `actions` while `appView` is shown: `hasQuestion()`,
 * `toggleChoice(index)`, `toggleReject()`, `submit()`, `next()`, `back()`, `cancelEdit()`.
 */
export function installShortcuts(appView, actions) {
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (appView.hidden || isTyping(event.target)) return;
    const key = event.key;
    if (key.length === 1 && key >= "1" && key <= "9") {
      if (actions.hasQuestion()) actions.toggleChoice(Number(key) - 1);
    } else if (key === "r" || key === "R") {
      if (actions.hasQuestion()) actions.toggleReject();
    } else if (key === "Enter") {
      if (event.target instanceof HTMLButtonElement || event.target instanceof HTMLAnchorElement) {
        return; // the focused control handles its own Enter
      }
      if (!event.repeat) actions.submit();
    } else if (key === "n" || key === "N") {
      if (!event.repeat) actions.next();
    } else if (key === "b" || key === "B") {
      if (!event.repeat) actions.back();
    } else if (key === "Escape") {
      actions.cancelEdit();
    } else {
      return;
    }
    event.preventDefault();
  });
}
