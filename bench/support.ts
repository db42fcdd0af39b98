/** Summary figures of a sample of durations. */
export interface Summary {
  readonly n: number;
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
  return {
    n: sorted.length,
    min: sorted[0] ?? Number.NaN,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: sorted.reduce((sum, x) => sum + x, 0) / sorted.length,
  };
}

/** How a target line ends: whether the figure met it. */
export const mark = (ok: boolean): string => (ok ? 'MET' : 'MISSED');

/** Prints one line: `label  n=.. p50=.. p99=.. max=.. unit  [target ... : MET/MISSED]`. */
export function report(
  label: string,
  s: Summary,
  unit: string,
  target?: { p99Max?: number; p50Max?: number },
) {
  const f = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(3));
  let line = `${label.padEnd(44)} n=${s.n} min=${f(s.min)} p50=${f(s.p50)} p90=${f(s.p90)} p99=${f(s.p99)} max=${f(s.max)} ${unit}`;
  if (target?.p99Max !== undefined) {
    line += `  [target p99 <= ${target.p99Max} ${unit}: ${mark(s.p99 <= target.p99Max)}]`;
  }
  if (target?.p50Max !== undefined) {
    line += `  [target p50 <= ${target.p50Max} ${unit}: ${mark(s.p50 <= target.p50Max)}]`;
  }
  console.log(line);
}
