// Table cells and rows of the admin pages (status.js, review.js). Every value reaches the
// DOM through textContent.

/** A cell holding `text` (right-aligned when `numeric`). */
export function cell(text, numeric = false) {
  const td = document.createElement("td");
  td.textContent = String(text);
  if (numeric) td.className = "num";
  return td;
}

/** A row of `cells`. */
export function row(...cells) {
  const tr = document.createElement("tr");
  tr.append(...cells);
  return tr;
}

/** Replaces the body of `table` with `rows`, or one muted row saying `emptyText`. */
export function fillTable(table, rows, emptyText) {
  const body = table.tBodies[0];
  if (rows.length === 0) {
    const td = cell(emptyText);
    td.colSpan = table.tHead.rows[0].cells.length;
    td.className = "muted";
    body.replaceChildren(row(td));
    return;
  }
  const fragment = document.createDocumentFragment();
  fragment.append(...rows);
  body.replaceChildren(fragment);
}
