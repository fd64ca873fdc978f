// The list of events revealed so far, grown incrementally: a new State appends only the
// events not yet listed. Trace text reaches the DOM through textContent, never as HTML.

/** Rows of the newest batch laid out at once: more than a screenful of events. */
const FRESH_ROWS = 40;

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
export function formatTime(raw) {
  const text = String(raw);
  const seconds = text.trim() === "" ? NaN : Number(text);
  const date = new Date(seconds * 1000);
  if (!Number.isFinite(seconds) || Number.isNaN(date.getTime())) return { text, iso: null };
  return { text: TIME_FORMAT.format(date), iso: date.toISOString() };
}

function eventRow(event) {
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
  return item;
}

/** The `<ol>` of one trace's events, listed from turn 0. */
export class EventList {
  constructor(list) {
    this.list = list;
    this.trace = null; // trace whose events are in the list
    this.shown = 0; // events rendered in the list (= `since` for the next request)
    this.marked = null; // <li> of the question's turn
    this.fresh = []; // newest rows, always rendered (the others may skip layout while off-screen)
  }

  /** Empties the list for `trace` (null: no trace). */
  reset(trace) {
    this.list.replaceChildren();
    this.trace = trace;
    this.shown = 0;
    this.marked = null;
    this.fresh = [];
  }

  /** Appends the next `events` of the trace and keeps the latest one in view. */
  append(events) {
    if (events.length === 0) return;
    for (const item of this.fresh) item.classList.remove("fresh");
    this.fresh = [];
    const fragment = document.createDocumentFragment();
    const freshFrom = events.length - FRESH_ROWS;
    for (const [index, event] of events.entries()) {
      const item = eventRow(event);
      if (index >= freshFrom) {
        item.className = "fresh";
        this.fresh.push(item);
      }
      fragment.append(item);
    }
    this.list.append(fragment);
    this.shown += events.length;
    // Keep the latest event in view; in the next frame, so the page is laid out only once.
    requestAnimationFrame(() => {
      this.list.scrollTop = this.list.scrollHeight;
    });
  }

  /** Marks the events from `from` on as newly revealed (the marks of earlier ones go). */
  markNew(from) {
    for (const item of this.list.querySelectorAll("li.new")) item.classList.remove("new");
    for (let i = from; i < this.shown; i++) this.list.children[i]?.classList.add("new");
  }

  /** Highlights the event of the question's turn (null: none); `reveal` scrolls to it. */
  mark(turn, reveal) {
    this.marked?.classList.remove("asked");
    this.marked = typeof turn === "number" ? this.list.children[turn] ?? null : null;
    if (!this.marked) return;
    this.marked.classList.add("asked");
    if (reveal) this.marked.scrollIntoView({ block: "nearest" });
  }
}
