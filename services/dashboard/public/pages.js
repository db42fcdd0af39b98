// What each page shows: one function per page, reading its /api route into the page.

import { ask } from './controls.js';
import { $, istTime, table, text } from './dom.js';
import { chart } from './pnl-chart.js';
import { api } from './requests.js';

/** The header: state, mode and market, on every page. */
export function header(s) {
  const el = $('state');
  el.textContent = s.state;
  el.className = `chip state state-${s.state}`;
  $('mode').textContent = `mode ${s.mode}`;
  $('market').textContent = s.market.open ? 'market OPEN' : 'market CLOSED';
}

/** A strategy row's controls: halt, flatten and resume of its algo ID alone. */
function algoButtons(a) {
  const box = document.createElement('span');
  box.className = 'row-controls';
  for (const action of ['halt', 'flatten', 'resume']) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = action.toUpperCase();
    b.dataset.algoAction = action;
    b.dataset.algoId = a.algoId;
    b.setAttribute('aria-label', `${action} algo ${a.algoId} (${a.strategyId})`);
    b.addEventListener('click', () => ask(action, a));
    box.append(b);
  }
  return box;
}

/** Renders one page (by name) from its API route. */
export const render = {
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
      $('s-algos'),
      {
        strategy: (a) => a.strategyId,
        'algo ID': (a) => a.algoId,
        state: (a) => (a.halted ? 'HALTED' : 'trading'),
        why: (a) => (a.halted ? `${a.halted.by}: ${a.halted.reason}` : ''),
        controls: (a) => algoButtons(a),
      },
      s.algos,
      'no strategy has an algo ID',
    );
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
        'algo ID': (r) => r.algoId,
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
  async tokens() {
    const t = await api('/api/tokens');
    $('t-broker').textContent = t.broker ?? 'none';
    $('t-checked').replaceChildren(
      ...(t.broker ? [`${t.login} login; proven by the broker at `, istTime(t.checkedAt)] : []),
      t.note ?? '',
    );
    const cooling = $('t-cooldown');
    if (t.cooldown) {
      cooling.replaceChildren('COOLDOWN until ', istTime(t.cooldown.until));
      $('t-failure').textContent = `${t.cooldown.failedToken} failed: ${t.cooldown.failure}`;
    } else {
      cooling.textContent = t.gate === 'known' || !t.broker ? 'none' : `${t.gate}`;
      $('t-failure').textContent = t.busy ? `${t.busy.by} is generating ${t.busy.token}` : '';
    }
    cooling.className = `big ${t.cooldown ? 'bad' : 'good'}`;
    $('t-command').textContent = t.command ?? 'nothing: every token is valid';
    const link = (r) => {
      if (!r.loginLink) return '';
      if (r.loginLink.error) return r.loginLink.error;
      const a = document.createElement('a');
      a.href = r.loginLink;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      a.textContent = `log in ${r.name}`;
      return a;
    };
    const state = (r) => {
      const el = document.createElement('span');
      el.textContent = r.state;
      el.className = r.state === 'VALID' ? 'good' : 'bad';
      return el;
    };
    table(
      $('t-rows'),
      {
        token: (r) => r.name,
        state,
        use: (r) => r.use,
        user: (r) => r.userId,
        expires: (r) => (r.expiresAt ? istTime(r.expiresAt) : ''),
        proof: (r) => r.proof,
        login: link,
      },
      t.rows,
      t.note ?? 'no tokens',
    );
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
