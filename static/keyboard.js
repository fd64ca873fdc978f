// The annotation page's keyboard shortcuts: task keys (digits, 0, letters), R, Enter, N, B
// and Esc. Keys typed into a
// text field, and keys with Ctrl, Meta or Alt, are left alone.

/** Keys of the tasks past the ninth: 0, then letters other than the shortcuts b, n and r. */
const MORE_TASK_KEYS = "0acdefghijklmopqstuvwxyz";

/** The key that toggles task `index` (0-based): "1"–"9", "0", then letters; null past them. */
export function taskKey(index) {
  if (index < 9) return String(index + 1);
  return MORE_TASK_KEYS[index - 9] ?? null;
}

/** The task index a key toggles (any case), or -1. */
export function taskIndexOfKey(key) {
  if (key.length !== 1) return -1;
  if (key >= "1" && key <= "9") return Number(key) - 1;
  const at = MORE_TASK_KEYS.indexOf(key.toLowerCase());
  return at < 0 ? -1 : 9 + at;
}

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
    const task = taskIndexOfKey(key);
    if (task >= 0) {
      if (actions.hasQuestion()) actions.toggleChoice(task);
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
