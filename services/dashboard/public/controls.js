// The emergency controls: a confirmation dialog with an audited reason, then a POST to
// /api/control/<action> and its result (steps and refusals) under the page.

import { $, showError, table } from './dom.js';
import { refresh } from './polling.js';
import { api, SIGN_IN } from './requests.js';

const CONSEQUENCE = {
  kill: 'Set the kill flag to false, halt every trading task, cancel working orders and FLATTEN EVERY POSITION.',
  halt: 'Set the kill flag to false: no task opens new positions; open ones are still managed.',
  resume:
    'Restore the trading service and set the kill flag to true. Refused unless a readiness check passes.',
  pause: 'Pause new entries on every trading task (exits continue).',
  unpause: 'Allow new entries again.',
};

/** The same, for a strategy row's button: one algo ID, the others trade on. */
const ALGO_CONSEQUENCE = {
  halt: 'Halt this algo ID on every task: its strategy opens no new positions; its open ones are still managed. The other algos trade on.',
  flatten: "Close this algo's positions with market orders. The other algos are not touched.",
  resume:
    'Clear the halt of this algo ID: its strategy trades again. Refused unless a readiness check passes (two-person rule as for RESUME).',
};

function showResult(action, body) {
  const box = $('result');
  box.hidden = false;
  const result = body.kind === 'procedure' ? body.result : undefined;
  // A refused request (400) changed nothing; an answer that never came is UNKNOWN, not FAILED.
  const outcome = result
    ? result.outcome
    : (body.outcome ?? (body.error === 'BAD_REQUEST' ? 'REFUSED' : 'FAILED'));
  box.className = `outcome-${outcome}`;
  $('result-title').textContent = `${action.toUpperCase()}: ${outcome}`;
  const refusals = $('result-refusals');
  refusals.replaceChildren();
  for (const r of result?.refusals || (body.message ? [body.message] : [])) {
    const li = document.createElement('li');
    li.textContent = r;
    refusals.appendChild(li);
  }
  table(
    $('result-steps'),
    {
      step: (s) => s.name,
      status: (s) => s.status,
      detail: (s) => s.error || s.detail,
      ms: (s) => s.durationMs,
    },
    result?.steps || [],
    'no steps ran',
  );
  box.scrollIntoView({ block: 'nearest' });
}

/**
 * Opens the confirmation dialog for `action` (after checking the session); with `algo` (a
 * strategy row's `{algoId, strategyId}`) for that algo ID only.
 */
export async function ask(action, algo) {
  // A dialog is no use if the session has expired: say so before anyone types a reason.
  try {
    await api('/api/whoami');
  } catch (error) {
    showError(error);
    return;
  }
  const dialog = $('confirm');
  $('confirm-title').textContent = algo
    ? `${action.toUpperCase()} algo ${algo.algoId}`
    : action === 'kill'
      ? 'KILL SWITCH: flatten everything'
      : `${action.toUpperCase()}`;
  $('confirm-what').textContent = algo ? ALGO_CONSEQUENCE[action] : CONSEQUENCE[action];
  $('confirm-algo').hidden = !algo;
  $('confirm-algo').textContent = algo ? `Strategy ${algo.strategyId}, algo ID ${algo.algoId}` : '';
  $('confirm-reason').value = '';
  $('confirm-scale').checked = false;
  $('confirm-approver').value = '';
  $('confirm-scale-label').hidden = action !== 'kill';
  $('confirm-approver-label').hidden = action !== 'resume';
  $('confirm-go').textContent = algo
    ? `Confirm ${action} of algo ${algo.algoId}`
    : action === 'kill'
      ? 'KILL: flatten all'
      : `Confirm ${action}`;
  dialog.dataset.action = action;
  dialog.dataset.algoId = algo ? algo.algoId : '';
  dialog.showModal();
  $('confirm-reason').focus();
}

/** The dialog's submit: sends the action with its reason and shows the answer. */
export async function submit(event) {
  event.preventDefault();
  const dialog = $('confirm');
  const action = dialog.dataset.action;
  const reason = $('confirm-reason').value.trim();
  if (reason.length < 3) {
    $('confirm-reason').setCustomValidity('Give a reason of at least 3 characters.');
    $('confirm-reason').reportValidity();
    return;
  }
  const body = { reason };
  const algoId = dialog.dataset.algoId;
  if (algoId) body.algoId = algoId;
  if (action === 'kill' && $('confirm-scale').checked) body.scaleToZero = true;
  if (action === 'resume' && $('confirm-approver').value.trim())
    body.approvedBy = $('confirm-approver').value.trim();
  dialog.close();
  $('result').hidden = false;
  const label = algoId ? `${action} algo ${algoId}` : action;
  $('result-title').textContent = `${label.toUpperCase()}: running...`;
  try {
    const res = await fetch(`/api/control/${action}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status === 401) {
      showResult(label, { outcome: 'NOT SENT', message: SIGN_IN });
    } else {
      const answer = await res.json().catch(() => undefined);
      showResult(
        label,
        answer && (answer.kind === 'procedure' || res.status === 400)
          ? answer
          : {
              outcome: 'UNKNOWN',
              message: `No answer came back (HTTP ${res.status}): the action may still be running or may have finished. Check Status and Audit before pressing again.`,
            },
      );
    }
  } catch {
    showResult(label, {
      outcome: 'UNKNOWN',
      message:
        'The connection was lost before the answer came back: the action may have run. Check Status and Audit before pressing again.',
    });
  }
  refresh();
}
