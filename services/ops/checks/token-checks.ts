import { formatIst } from '../../common/time';
import type { TokenAccess } from '../platform/ports';
import { type TokenRow, tokenReport } from '../steps/token-generation';
import { type Check, fail, pass, warn } from './framework';
import { type ChecklistContext, closeOf } from './support';

/** Why a token is not good for today's session, or undefined when it is. */
function problem(row: TokenRow, close: number, closeText: string): string | undefined {
  if (row.shown === 'COOLDOWN') return `${row.name} COOLDOWN: its generation failed (${row.proof})`;
  if (row.state !== 'VALID') return `${row.name} ${row.state}: ${row.proof}`;
  if (!row.proven) return `${row.name} not proven: ${row.proof}`;
  if ((row.expiresAt ?? 0) <= close)
    return `${row.name} expires ${formatIst(row.expiresAt ?? 0)}, before ${closeText} IST`;
  return undefined;
}

/**
 * The stage's named tokens, each proven by its broker, with the broker's cooldown. `scope`
 * `required`: the morning checklist, NOT READY while a token the service trades or streams with is
 * not good (the others warn); `all`: the token check, which fails (and pages) for any of them. A
 * failure names the command that regenerates them.
 */
export function namedTokens(scope: 'required' | 'all'): Check<ChecklistContext> {
  return {
    name: 'broker-tokens',
    severity: 'CRITICAL',
    async run(ctx) {
      const tokens = ctx.tokens as TokenAccess;
      const report = await tokenReport(ctx, tokens);
      const close = closeOf(ctx, ctx.day);
      const closeText = ctx.calendar.day(ctx.day).session?.close ?? '15:30';
      const problems = report.rows.flatMap((r) => {
        const p = problem(r, close, closeText);
        return p ? [{ row: r, text: p }] : [];
      });
      const cooldown = report.gate.cooldown;
      const coolText = cooldown
        ? `; ${tokens.config.broker} cooldown until ${formatIst(cooldown.until)} after ${cooldown.failedToken} failed: retry then`
        : '';
      const command = `; run: ${report.command ?? `tradeops token login ${ctx.stage} --broker ${tokens.config.broker} --all-invalid`}`;
      const blocking = problems.filter((p) => scope === 'all' || p.row.required);
      if (blocking.length)
        return fail(`${problems.map((p) => p.text).join('; ')}${coolText}${command}`, report);
      if (problems.length)
        return warn(
          `${problems.map((p) => p.text).join('; ')} (not traded or streamed with)${coolText}${command}`,
          report,
        );
      return pass(
        `FAST EXIT: all ${report.rows.length} tokens valid past ${closeText} IST, proven by ${tokens.config.broker} (${report.rows.map((r) => r.name).join(', ')})`,
        report,
      );
    },
  };
}
