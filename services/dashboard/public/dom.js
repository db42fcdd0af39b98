// Rendering helpers every page uses: element lookup, times in IST, tables, the error line.

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** A value as cell text: nothing for null or undefined. */
export function text(value) {
  return value === null || value === undefined ? '' : String(value);
}

const IST_OFFSET_MS = 330 * 60_000;
const stamp = (ms) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/**
 * The one way this page shows a time (`at`: epoch ms or ISO text): `2026-11-26 17:01:09 IST`, as
 * the CLI and the reports print it, with UTC on hover. IST has no daylight saving: a fixed offset.
 */
export function istTime(at) {
  const el = document.createElement('time');
  const ms = typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(ms)) {
    el.textContent = 'unknown time';
    return el;
  }
  el.dateTime = new Date(ms).toISOString();
  el.title = `${stamp(ms)} UTC`;
  el.textContent = `${stamp(ms + IST_OFFSET_MS)} IST`;
  return el;
}

/** Fills a table from rows of plain values; the header is the keys of `columns`. */
export function table(el, columns, rows, empty) {
  el.replaceChildren();
  const head = el.createTHead().insertRow();
  for (const label of Object.keys(columns)) {
    const th = document.createElement('th');
    th.textContent = label;
    head.appendChild(th);
  }
  const body = el.createTBody();
  if (rows.length === 0) {
    const cell = body.insertRow().insertCell();
    cell.colSpan = Object.keys(columns).length;
    cell.textContent = empty;
    return;
  }
  for (const row of rows) {
    const tr = body.insertRow();
    for (const [i, read] of Object.values(columns).entries()) {
      const td = tr.insertCell();
      const v = read(row);
      if (v instanceof Node) td.append(v);
      else td.textContent = text(v);
      // Numbers line up on the right, and so do their headings.
      if (typeof v === 'number') {
        td.className = 'num';
        head.cells[i].className = 'num';
      }
    }
  }
}

/** Shows an error above the page, or hides the line (`null`). */
export function showError(error) {
  const el = $('error');
  el.hidden = !error;
  el.textContent = error ? error.message : '';
}
