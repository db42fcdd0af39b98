// The operations dashboard: polls the page it shows; the buttons post to /api/control/<action>.

const POLL_MS = 2000;
const PAGES = ['status', 'positions', 'performance', 'health', 'audit'];
const CONSEQUENCE = {
  kill: 'Set the kill flag to false, halt every trading task, cancel working orders and FLATTEN EVERY POSITION.',
  halt: 'Set the kill flag to false: no task opens new positions; open ones are still managed.',
  resume:
    'Restore the trading service and set the kill flag to true. Refused unless a readiness check passes.',
  pause: 'Pause new entries on every trading task (exits continue).',
  unpause: 'Allow new entries again.',
};

const $ = (id) => document.getElementById(id);
let timer;

function text(value) {
  return value === null || value === undefined ? '' : String(value);
}

const IST_OFFSET_MS = 330 * 60_000;
const stamp = (ms) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/**
 * The one way this page shows a time (`at`: epoch ms or ISO text): `2026-11-26 17:01:09 IST`, as
 * the CLI and the reports print it, with UTC on hover. IST has no daylight saving: a fixed offset.
 */
function istTime(at) {
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
function table(el, columns, rows, empty) {
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

const SIGN_IN =
  'Not signed in, or the session expired: reload the page to sign in (locally, open the link `npm start` printed).';

async function api(path, init) {
  let res;
  try {
    res = await fetch(path, { credentials: 'same-origin', ...init });
  } catch {
    throw new Error(`Cannot reach the dashboard. ${SIGN_IN}`);
  }
  const body = await res.json().catch(() => ({}));
  if (res.status === 401) throw new Error(SIGN_IN);
  if (!res.ok) throw new Error(body.message || `HTTP ${res.status}`);
  return body;
}

function showError(error) {
  const el = $('error');
  el.hidden = !error;
  el.textContent = error ? error.message : '';
}

/** The header: state, mode and market, on every page. */
function header(s) {
  const el = $('state');
  el.textContent = s.state;
  el.className = `chip state state-${s.state}`;
  $('mode').textContent = `mode ${s.mode}`;
  $('market').textContent = s.market.open ? 'market OPEN' : 'market CLOSED';
}

const render = {
  async status() {
    const s = await api('/api/status');
    header(s);
    $('s-state').textContent = s.state;
    $('s-state').className = `big ${s.state === 'ACTIVE' ? 'good' : 'bad'}`;
    $('s-cause').textContent = s.cause;
    const flag = s.flag.missing ? 'MISSING' : JSON.stringify(s.flag.value);
    $('s-flag').textContent = flag;
    $('s-flag').className = `big ${flag === '"true"' ? 'good' : 'bad'}`;
    if (s.flag.missing) $('s-flag-who').textContent = text(s.flag.error);
    else
      $('s-flag-who').replaceChildren(
        `version ${s.flag.version}, set `,
        istTime(s.flag.lastModified),
        s.flag.lastModifiedUser ? ` by ${s.flag.lastModifiedUser}` : '',
      );
    $('s-market').textContent = s.market.open ? 'OPEN' : 'CLOSED';
    const clock = s.market.sessionClock === 'simulated' ? ', simulated session clock' : '';
    $('s-day').replaceChildren(
      s.market.now ? istTime(s.market.now) : s.market.nowIst,
      ` (${s.tradingDay}${clock})`,
    );
    $('s-risk').textContent = s.riskHalt ? `HARD_HALT: ${s.riskHalt.reason}` : 'no risk halt';
    $('s-paused').textContent = s.paused
      ? `paused by ${s.paused.by}: ${s.paused.reason}`
      : 'not paused';
    $('s-broker').textContent = s.broker
      ? `${s.broker.name} ${s.broker.connected ? 'connected' : 'DISCONNECTED'}`
      : 'unknown';
    table(
      $('s-tasks'),
      {
        task: (t) => t.taskId,
        state: (t) => t.state,
        cause: (t) => t.cause,
        positions: (t) => t.positions,
        'working orders': (t) => t.working,
      },
      s.tasks,
      'no trading task running',
    );
  },
  async positions() {
    const p = await api('/api/positions');
    $('p-unrealized').textContent = `INR ${p.unrealizedInr.toFixed(2)}`;
    table(
      $('p-positions'),
      {
        strategy: (r) => r.strategyId,
        symbol: (r) => r.symbol,
        quantity: (r) => r.quantity,
        'avg price': (r) => r.avgPrice,
        last: (r) => r.lastPrice,
        'unrealized INR': (r) => r.unrealizedPnl,
      },
      p.positions,
      'no open positions',
    );
    table(
      $('p-orders'),
      {
        order: (r) => r.clientOrderId,
        strategy: (r) => r.strategyId,
        symbol: (r) => r.symbol,
        side: (r) => r.side,
        quantity: (r) => r.quantity,
        status: (r) => r.status,
        'reduce only': (r) => (r.reduceOnly ? 'yes' : ''),
      },
      p.orders,
      'no working orders',
    );
  },
  async performance() {
    const f = await api('/api/performance');
    $('f-pnl').textContent = `INR ${f.pnlInr.toFixed(2)} (${f.pnlPct}%)`;
    $('f-pnl').className = `big ${f.pnlInr >= 0 ? 'good' : 'bad'}`;
    $('f-trades').textContent = String(f.trades);
    $('f-winrate').textContent =
      f.winRatePct === null
        ? 'no closed trades'
        : `win rate ${f.winRatePct}% of ${f.closedTrades} closed`;
    $('f-heat').textContent = `${f.heatPct}% of ${text(f.heatCapPct)}%`;
    $('f-heat-meter').max = f.heatCapPct || 2;
    $('f-heat-meter').value = f.heatPct;
    $('f-room').textContent =
      f.lossStopRoomPct === null ? '?' : `${f.lossStopRoomPct}% (stop at -${f.lossStopPct}%)`;
    chart($('f-chart'), f.series);
  },
  async health() {
    const h = await api('/api/health');
    const rows = (v) => (Array.isArray(v) ? v : []);
    const why = (v) => (v?.error ? v.error : 'none');
    table(
      $('h-feeds'),
      {
        feed: (r) => r.source,
        status: (r) => r.status,
        'tick lag s': (r) => r.tick_lag_sec,
        'depth lag s': (r) => r.depth_lag_sec,
      },
      rows(h.feeds),
      why(h.feeds),
    );
    table(
      $('h-breakers'),
      { breaker: (r) => r.name, state: (r) => r.state },
      rows(h.circuitBreakers),
      why(h.circuitBreakers),
    );
    table(
      $('h-limits'),
      { upstream: (r) => r.upstream, 'usage %': (r) => r.usagePct },
      rows(h.rateLimits),
      why(h.rateLimits),
    );
    table(
      $('h-alarms'),
      { alarm: (r) => r.name, since: (r) => istTime(r.updatedAt), reason: (r) => r.reason },
      rows(h.alarms),
      h.alarms?.error ? h.alarms.error : 'none in ALARM',
    );
    const box = $('h-checklists');
    box.replaceChildren();
    for (const c of rows(h.checklists)) {
      const title = document.createElement('h3');
      title.append(`${c.procedure} ${c.tradingDay}: ${c.status}`);
      if (c.finishedAt) title.append(' at ', istTime(c.finishedAt));
      const t = document.createElement('table');
      table(
        t,
        {
          check: (r) => r.name,
          severity: (r) => r.severity,
          status: (r) => r.status,
          detail: (r) => r.detail,
        },
        c.results,
        'no checks',
      );
      box.append(title, t);
    }
    if (!box.childElementCount)
      box.textContent =
        why(h.checklists) === 'none' ? 'no checklist has run yet' : why(h.checklists);
  },
  async audit() {
    const a = await api('/api/audit');
    $('a-chain').textContent = a.chain.ok
      ? `Hash chain intact: ${a.chain.rows} rows.`
      : `HASH CHAIN BROKEN at row ${a.chain.firstBroken.id}: ${a.chain.firstBroken.problem}`;
    $('a-chain').className = a.chain.ok ? 'good' : 'bad';
    table(
      $('a-rows'),
      {
        id: (r) => r.id,
        when: (r) => istTime(r.occurred_at),
        who: (r) => r.actor,
        source: (r) => r.source,
        action: (r) => r.action,
        why: (r) => r.reason,
        outcome: (r) => r.outcome,
      },
      a.rows,
      'no control actions yet',
    );
  },
};

/** The day's P&L as a polyline, with the zero line. */
function chart(svg, series) {
  svg.replaceChildren();
  const ns = 'http://www.w3.org/2000/svg';
  if (series.length < 2) {
    const t = document.createElementNS(ns, 'text');
    t.setAttribute('x', '10');
    t.setAttribute('y', '100');
    t.textContent = 'collecting points (one every 5 s since the dashboard started)';
    svg.appendChild(t);
    return;
  }
  const xs = series.map((p) => p.at);
  const ys = series.map((p) => p.pnlInr);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(0, ...ys), Math.max(0, ...ys)];
  const sx = (x) => 10 + ((x - x0) / (x1 - x0 || 1)) * 580;
  const sy = (y) => 190 - ((y - y0) / (y1 - y0 || 1)) * 180;
  const zero = document.createElementNS(ns, 'line');
  for (const [k, v] of Object.entries({
    x1: 10,
    x2: 590,
    y1: sy(0),
    y2: sy(0),
    stroke: '#999',
    'stroke-dasharray': '4',
  }))
    zero.setAttribute(k, String(v));
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', series.map((p) => `${sx(p.at)},${sy(p.pnlInr)}`).join(' '));
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', ys[ys.length - 1] >= 0 ? '#1a7f37' : '#cf222e');
  line.setAttribute('stroke-width', '2');
  svg.append(zero, line);
}

function currentPage() {
  const page = location.hash.slice(1);
  return PAGES.includes(page) ? page : 'status';
}

// Each refresh belongs to a generation: one started later (a page change, a button) takes over,
// and the older one schedules nothing, so there is only ever one polling loop.
let generation = 0;
let lastUpdated;

async function refresh() {
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

function show() {
  const page = currentPage();
  for (const section of document.querySelectorAll('main > section[data-page]'))
    section.hidden = section.dataset.page !== page;
  for (const link of document.querySelectorAll('nav a')) {
    if (link.dataset.page === page) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  refresh();
}

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

async function ask(action) {
  // A dialog is no use if the session has expired: say so before anyone types a reason.
  try {
    await api('/api/whoami');
  } catch (error) {
    showError(error);
    return;
  }
  const dialog = $('confirm');
  $('confirm-title').textContent =
    action === 'kill' ? 'KILL SWITCH: flatten everything' : `${action.toUpperCase()}`;
  $('confirm-what').textContent = CONSEQUENCE[action];
  $('confirm-reason').value = '';
  $('confirm-scale').checked = false;
  $('confirm-approver').value = '';
  $('confirm-scale-label').hidden = action !== 'kill';
  $('confirm-approver-label').hidden = action !== 'resume';
  $('confirm-go').textContent = action === 'kill' ? 'KILL: flatten all' : `Confirm ${action}`;
  dialog.dataset.action = action;
  dialog.showModal();
  $('confirm-reason').focus();
}

async function submit(event) {
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
  if (action === 'kill' && $('confirm-scale').checked) body.scaleToZero = true;
  if (action === 'resume' && $('confirm-approver').value.trim())
    body.approvedBy = $('confirm-approver').value.trim();
  dialog.close();
  $('result').hidden = false;
  $('result-title').textContent = `${action.toUpperCase()}: running...`;
  try {
    const res = await fetch(`/api/control/${action}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status === 401) {
      showResult(action, { outcome: 'NOT SENT', message: SIGN_IN });
    } else {
      const answer = await res.json().catch(() => undefined);
      showResult(
        action,
        answer && (answer.kind === 'procedure' || res.status === 400)
          ? answer
          : {
              outcome: 'UNKNOWN',
              message: `No answer came back (HTTP ${res.status}): the action may still be running or may have finished. Check Status and Audit before pressing again.`,
            },
      );
    }
  } catch {
    showResult(action, {
      outcome: 'UNKNOWN',
      message:
        'The connection was lost before the answer came back: the action may have run. Check Status and Audit before pressing again.',
    });
  }
  refresh();
}

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
