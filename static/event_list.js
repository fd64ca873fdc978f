// The list of events revealed so far, grown incrementally: a new State appends only the
// events not yet listed. Trace text reaches the DOM through textContent, never as HTML.

/** Rows of the newest batch laid out at once: more than a screenful of events. */
const FRESH_ROWS = 40;

// Formatters reused for every event (much cheaper than toLocale*String each time).
const TIME_FORMAT = new Intl.DateTimeFormat(undefined, {
  hour: "numeric",
  minute: "numeric",
  second: "numeric",
});
const DATE_FORMAT = new Intl.DateTimeFormat(undefined, {
  weekday: "short",
  year: "numeric",
  month: "short",
  day: "numeric",
});

/**
 * Unix seconds as text → the local time of day, the local date and the seconds; anything
 * else is shown as it is (no date, no gap).
 */
export function formatTime(raw) {
  const text = String(raw);
  const seconds = text.trim() === "" ? NaN : Number(text);
  const date = new Date(seconds * 1000);
  if (!Number.isFinite(seconds) || Number.isNaN(date.getTime())) {
    return { text, iso: null, day: null, seconds: null };
  }
  return {
    text: TIME_FORMAT.format(date),
    iso: date.toISOString(),
    day: DATE_FORMAT.format(date),
    seconds,
  };
}

/** The time between two events: "+42 s", "+3 min 5 s", "+2 h 5 min", "+1 d 3 h". */
export function formatGap(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `+${s} s`;
  if (s < 3600) return `+${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
  if (s < 86400) {
    const minutes = Math.floor((s % 3600) / 60);
    return `+${Math.floor(s / 3600)} h${minutes ? ` ${minutes} min` : ""}`;
  }
  const hours = Math.floor((s % 86400) / 3600);
  return `+${Math.floor(s / 86400)} d${hours ? ` ${hours} h` : ""}`;
}

/** A row naming the day the events below it happened on. */
function dayRow(day) {
  const item = document.createElement("li");
  item.className = "day";
  item.setAttribute("role", "separator");
  item.textContent = day;
  return item;
}

function eventRow(event, time, previous) {
  const item = document.createElement("li");
  const head = document.createElement("div");
  head.className = "event-head";
  const number = document.createElement("span");
  number.className = "turn";
  number.textContent = `#${event.turn + 1}`;
  const clock = document.createElement("time");
  clock.textContent = time.text;
  if (time.iso) clock.dateTime = time.iso;
  clock.title = time.day ? `${time.day}, ${time.text} (${event.time})` : String(event.time);
  const body = document.createElement("span");
  body.className = "event-text";
  body.textContent = event.event;
  head.append(number, clock);
  if (time.seconds !== null && previous?.seconds != null) {
    const gap = document.createElement("span");
    gap.className = "gap";
    gap.textContent = formatGap(time.seconds - previous.seconds);
    head.append(gap);
  }
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
    this.rows = []; // the <li> of each turn (day rows are between them)
    this.last = null; // formatTime() of the last event listed
    this.upTo = Infinity; // the last turn shown (showUpTo)
  }

  /** Empties the list for `trace` (null: no trace). */
  reset(trace) {
    this.list.replaceChildren();
    this.trace = trace;
    this.shown = 0;
    this.marked = null;
    this.fresh = [];
    this.rows = [];
    this.last = null;
    this.upTo = Infinity;
  }

  /** Appends the next `events` of the trace and keeps the latest one in view. */
  append(events) {
    if (events.length === 0) return;
    for (const item of this.fresh) item.classList.remove("fresh");
    this.fresh = [];
    const fragment = document.createDocumentFragment();
    const freshFrom = events.length - FRESH_ROWS;
    for (const [index, event] of events.entries()) {
      const time = formatTime(event.time);
      if (time.day !== null && time.day !== this.last?.day) fragment.append(dayRow(time.day));
      const item = eventRow(event, time, this.last);
      this.last = time;
      if (index >= freshFrom) {
        item.className = "fresh";
        this.fresh.push(item);
      }
      this.rows.push(item);
      fragment.append(item);
    }
    this.list.append(fragment);
    this.shown += events.length;
    // Keep the latest event in view; in the next frame, so the page is laid out only once.
    requestAnimationFrame(() => {
      this.list.scrollTop = this.list.scrollHeight;
    });
  }

  /** Shows only the events up to turn `turn` (null: all of them). */
  showUpTo(turn) {
    const last = turn ?? Infinity;
    if (this.upTo === last) return;
    this.upTo = last;
    let index = 0; // of the next event row; a day row goes with the event below it
    for (const item of this.list.children) {
      item.hidden = index > last;
      if (!item.classList.contains("day")) index++;
    }
    this.list.classList.toggle("up-to", turn !== null);
  }

  /** Marks the events from `from` on as newly revealed (the marks of earlier ones go). */
  markNew(from) {
    for (const item of this.list.querySelectorAll("li.new")) item.classList.remove("new");
    for (let i = from; i < this.shown; i++) this.rows[i]?.classList.add("new");
  }

  /** Highlights the event of the question's turn (null: none); `reveal` scrolls to it. */
  mark(turn, reveal) {
    this.marked?.classList.remove("asked");
    this.marked = typeof turn === "number" ? this.rows[turn] ?? null : null;
    if (!this.marked) return;
    this.marked.classList.add("asked");
    if (reveal) this.marked.scrollIntoView({ block: "nearest" });
  }
}
