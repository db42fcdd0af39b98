import { formatIst } from '../../common/time';
import type { ProcedureResult, StepResult } from '../steps/runner';

/** The step table as plain text: what a page, a report or the CLI shows. */
export function formatSteps(steps: readonly StepResult[]): string {
  const width = Math.max(4, ...steps.map((s) => s.name.length));
  return steps
    .map(
      (s) =>
        `${s.status.toUpperCase().padEnd(7)} ${s.name.padEnd(width)} ${String(s.durationMs).padStart(6)} ms  ${s.detail}`,
    )
    .join('\n');
}

/** A procedure's result as plain text: who, why, the outcome, refusals and the step table. */
export function describeResult(result: ProcedureResult): string {
  return [
    `${result.procedure} ${result.id} on ${result.stage}: ${result.outcome}`,
    `requested by ${result.requestedBy} at ${formatIst(Date.parse(result.startedAt))}: ${result.reason}`,
    ...(result.refusals?.length ? ['', 'Refused:', ...result.refusals.map((r) => `  - ${r}`)] : []),
    '',
    formatSteps(result.steps),
  ].join('\n');
}
