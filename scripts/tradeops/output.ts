import type {
  ProcedureResult,
  ProgressListener,
  StepResult,
} from '../../services/ops/steps/runner';

/** A mistake in how the CLI was called: exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const SYMBOL: Record<StepResult['status'], string> = {
  ok: 'ok     ',
  failed: 'FAILED ',
  skipped: 'skipped',
};

export function stepLine(step: StepResult): string {
  return `  ${SYMBOL[step.status]} ${step.name.padEnd(24)} ${String(step.durationMs).padStart(6)} ms  ${step.detail}`;
}

/** Prints each step as it ends (human mode only). */
export function progressPrinter(
  json: boolean,
  write: (line: string) => void,
): ProgressListener | undefined {
  if (json) return undefined;
  return (event) => {
    if (event.phase === 'end' && event.result) write(stepLine(event.result));
  };
}

/** The final answer of a procedure: the table (unless printed live), the outcome, refusals. */
export function printResult(
  result: ProcedureResult,
  options: { json: boolean; stepsPrinted: boolean; write: (line: string) => void },
) {
  const { write } = options;
  if (options.json) {
    write(JSON.stringify(result, null, 2));
    return;
  }
  if (!options.stepsPrinted) for (const step of result.steps) write(stepLine(step));
  write('');
  write(`${result.procedure} ${result.id} on ${result.stage}: ${result.outcome}`);
  for (const refusal of result.refusals ?? []) write(`  refused: ${refusal}`);
  const failed = result.steps.filter((s) => s.status === 'failed');
  if (failed.length) write(`  failed steps: ${failed.map((s) => s.name).join(', ')}`);
}

export function exitCodeOf(result: ProcedureResult): number {
  return result.outcome === 'OK' ? EXIT.ok : EXIT.failed;
}

/** A plain table: columns padded to their widest cell. */
export function table(rows: ReadonlyArray<Record<string, unknown>>): string {
  const first = rows[0];
  if (!first) return '(none)';
  const keys = Object.keys(first);
  const cell = (v: unknown) =>
    v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => cell(r[k]).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    line(keys),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(keys.map((k) => cell(r[k])))),
  ].join('\n');
}
