// The operations dashboard: polls the page it shows; the buttons post to /api/control/<action>.
// This module wires the page at start; the others are named for what they do.

import { ask, submit } from './controls.js';
import { $, istTime, showError } from './dom.js';
import { show } from './polling.js';
import { api } from './requests.js';

async function start() {
  try {
    const me = await api('/api/whoami');
    $('who').textContent = `signed in as ${me.name}`;
    $('stage').textContent = `stage ${me.stage}`;
  } catch (error) {
    showError(error);
  }
  const tick = () => $('ist-clock').replaceChildren(istTime(Date.now()));
  tick();
  setInterval(tick, 1000);
  $('kill').addEventListener('click', () => ask('kill'));
  for (const b of document.querySelectorAll('[data-action]'))
    b.addEventListener('click', () => ask(b.dataset.action));
  $('confirm-form').addEventListener('submit', submit);
  $('confirm-cancel').addEventListener('click', () => $('confirm').close());
  $('confirm-reason').addEventListener('input', () => $('confirm-reason').setCustomValidity(''));
  window.addEventListener('hashchange', show);
  show();
}

document.addEventListener('DOMContentLoaded', start);
