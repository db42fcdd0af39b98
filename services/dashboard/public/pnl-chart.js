// The performance page's chart.

/** The day's P&L as a polyline, with the zero line. */
export function chart(svg, series) {
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
