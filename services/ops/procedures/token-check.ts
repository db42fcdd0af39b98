import { type Check, fail, pass, skipped } from '../checks/framework';
import { brokerTokens } from '../checks/morning-checks';
import { type ChecklistContext, closeOf } from '../checks/support';
import { namedTokens } from '../checks/token-checks';
import type { OpsContext } from '../platform/ports';
import { regenerateTokens } from '../steps/token-generation';
import { type ChecklistReport, runChecklist, type ScheduledRequest } from './checklist';

/**
 * The token check's renewal of an unattended broker's tokens (Angel One: client code, PIN and a
 * TOTP from the seed in Secrets Manager) that are invalid or expire before today's close, through
 * the registry's login, behind the cooldown gate, audited. An interactive broker's tokens need a
 * person: the check after this one pages with the command.
 */
export const tokenRenewal: Check<ChecklistContext> = {
  name: 'token-renewal',
  severity: 'CRITICAL',
  async run(ctx) {
    const tokens = ctx.tokens;
    if (!tokens) return skipped('paper broker: no tokens');
    if (tokens.login.mode !== 'unattended')
      return skipped(`${tokens.config.broker} logs in through a person: nothing renewed here`);
    const close = closeOf(ctx, ctx.day);
    const statuses = await tokens.login.status(tokens.config.names, ctx.now());
    const due = statuses
      .filter((s) => s.state !== 'VALID' || (s.expiresAt ?? 0) <= close)
      .map((s) => s.name);
    if (due.length === 0) return pass(`no ${tokens.config.broker} token due for renewal`);
    const lines: string[] = [];
    const result = await regenerateTokens(ctx, tokens, {
      requestedBy: 'token-check',
      reason: `renewal before expiry (${due.join(', ')})`,
      names: due,
      say: (line) => lines.push(line),
    });
    const text = lines.filter((l) => !l.startsWith('audit:')).join('; ');
    return result.outcome === 'OK' ? pass(text, result) : fail(text, result);
  },
};

/**
 * The token check (07:30 IST): an unattended broker's tokens renewed, then every named broker
 * token valid past today's close, proven by its broker. A failure pages (P2, the page topic) with
 * the command to run: there is time to log in before the morning checklist and the open.
 */
export function tokenCheck(ctx: OpsContext, request: ScheduledRequest): Promise<ChecklistReport> {
  const checks = ctx.tokens ? [tokenRenewal, namedTokens('all')] : [brokerTokens];
  return runChecklist(ctx, checks, {
    procedure: 'token-check',
    pageOn: ['FAIL'],
    // The renewal first: the check after it sees the renewed tokens.
    sequential: true,
    ...request,
  });
}
