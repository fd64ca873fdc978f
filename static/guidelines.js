// The annotation guidelines (serve --guidelines FILE.md): shown before the first trace of a
// browser that has not seen this version yet, and behind the ? button. The server sends
// them as blocks and spans; they are built here with textContent, never as HTML.

const SEEN_KEY = "proactive.guidelinesSeen";

function inline(spans) {
  const fragment = document.createDocumentFragment();
  for (const span of spans) {
    if (span.t === "text") fragment.append(span.text);
    else if (span.t === "br") fragment.append(document.createElement("br"));
    else if (span.t === "code") {
      const code = document.createElement("code");
      code.textContent = span.text;
      fragment.append(code);
    } else if (span.t === "link") {
      const link = document.createElement(span.href ? "a" : "span");
      if (span.href) {
        link.href = span.href;
        link.rel = "noopener noreferrer";
        link.target = "_blank";
      }
      link.append(inline(span.inline));
      fragment.append(link);
    } else if (["strong", "em", "del"].includes(span.t)) {
      const element = document.createElement(span.t);
      element.append(inline(span.inline));
      fragment.append(element);
    }
  }
  return fragment;
}

function blocks(list) {
  const fragment = document.createDocumentFragment();
  for (const block of list) {
    let element;
    if (block.t === "h") {
      element = document.createElement(`h${Math.min(6, Math.max(3, block.level + 2))}`);
      element.append(inline(block.inline));
    } else if (block.t === "p") {
      element = document.createElement("p");
      element.append(inline(block.inline));
    } else if (block.t === "list") {
      element = document.createElement(block.ordered ? "ol" : "ul");
      for (const item of block.items) {
        const li = document.createElement("li");
        li.append(blocks(item));
        element.append(li);
      }
    } else if (block.t === "pre") {
      element = document.createElement("pre");
      element.textContent = block.text;
    } else if (block.t === "quote") {
      element = document.createElement("blockquote");
      element.append(blocks(block.blocks));
    } else if (block.t === "hr") {
      element = document.createElement("hr");
    } else continue;
    fragment.append(element);
  }
  return fragment;
}

/** The guidelines panel of `page`: `load()` after login, `toggle()` for the ? button. */
export function createGuidelines(page) {
  const ui = page.ui;
  let guidelines = null;

  /** Fetches the guidelines; resolves to true when they are to be read before the first trace. */
  async function load() {
    guidelines = (await page.api("GET", "/api/guidelines")).guidelines;
    ui.guidelinesButton.hidden = guidelines === null;
    if (guidelines === null) return false;
    ui.guidelinesBody.replaceChildren(blocks(guidelines.blocks));
    return localStorage.getItem(SEEN_KEY) !== guidelines.sha256;
  }

  /** Shows the panel; `first`: before the first trace, with Start annotating. */
  function show(first) {
    ui.guidelines.hidden = false;
    ui.guidelinesStart.hidden = !first;
    ui.guidelinesClose.hidden = first;
    ui.guidelines.scrollIntoView({ block: "start" });
  }

  function hide() {
    ui.guidelines.hidden = true;
    if (guidelines) localStorage.setItem(SEEN_KEY, guidelines.sha256);
  }

  function toggle() {
    if (!guidelines) return;
    if (ui.guidelines.hidden) show(false);
    else hide();
  }

  return { load, show, hide, toggle };
}
