// The page on screen and its polling loop: every POLL_MS, and at once after a page change or a
// button.

import { $, istTime, showError } from './dom.js';
import { header, render } from './pages.js';
import { api } from './requests.js';

const POLL_MS = 2000;
const PAGES = ['status', 'positions', 'performance', 'health', 'tokens', 'audit'];
let timer;

function currentPage() {
  const page = location.hash.slice(1);
  return PAGES.includes(page) ? page : 'status';
}

// Each refresh belongs to a generation: one started later (a page change, a button) takes over,
// and the older one schedules nothing, so there is only ever one polling loop.
let generation = 0;
let lastUpdated;

/** Renders the current page now, then every POLL_MS; marks the screen stale on failure. */
export async function refresh() {
  clearTimeout(timer);
  const mine = ++generation;
  const page = currentPage();
  try {
    await render[page]();
    if (page !== 'status') header(await api('/api/status'));
    showError(null);
    lastUpdated = Date.now();
    $('updated').replaceChildren('updated ', istTime(lastUpdated));
  } catch (error) {
    showError(error);
    // What is on screen is no longer known to be true: say so rather than show the last state.
    const chip = $('state');
    chip.textContent = 'UNKNOWN';
    chip.className = 'chip state state-UNKNOWN';
    $('updated').replaceChildren(
      ...(lastUpdated ? ['stale, updated ', istTime(lastUpdated)] : ['stale: never updated']),
    );
  }
  if (mine === generation) timer = setTimeout(refresh, POLL_MS);
}

/** Shows the page named in the URL's hash and refreshes it. */
export function show() {
  const page = currentPage();
  for (const section of document.querySelectorAll('main > section[data-page]'))
    section.hidden = section.dataset.page !== page;
  for (const link of document.querySelectorAll('nav a')) {
    if (link.dataset.page === page) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  refresh();
}
