import { messageOf } from '../../common/errors';
import type { OpsContext } from '../../ops/platform/ports';
import { tokenReport } from '../../ops/steps/token-generation';

/** What a token is used for, as the card says it. */
function useOf(row: { name: string }, trades: string, streams: readonly string[]): string {
  const uses = [
    ...(row.name === trades ? ['trades'] : []),
    ...(streams.includes(row.name) ? ['streams'] : []),
  ];
  return uses.length ? uses.join(', ') : '-';
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/**
 * The token card: the report `tradeops token status` prints (tokenReport, the one
 * implementation), each token's use, expiry and proof, the broker's cooldown and its failing
 * token, and the login link of each token's app (the broker's page with the app's public key,
 * never a secret or a token). Times go out as ISO 8601 UTC; the page shows them in IST.
 */
export async function tokensView(ctx: OpsContext) {
  const tokens = ctx.tokens;
  if (!tokens) return { broker: null, rows: [], note: 'paper broker: no broker tokens' };
  const { config, login } = tokens;
  const report = await tokenReport(ctx, tokens);
  const link = async (name: string) => {
    if (login.mode !== 'interactive') return null;
    try {
      return await login.loginLink(name);
    } catch (error) {
      return { error: messageOf(error) };
    }
  };
  const rows = await Promise.all(
    report.rows.map(async (r) => ({
      name: r.name,
      // A token its broker could not be asked about is not known to work.
      state: r.shown === 'VALID' && !r.proven ? 'VALID (unproven)' : r.shown,
      use: useOf(r, config.trades, config.streams),
      required: r.required,
      userId: r.userId ?? null,
      expiresAt: iso(r.expiresAt),
      proof: r.proof,
      loginLink: await link(r.name),
    })),
  );
  const { cooldown, busy } = report.gate;
  return {
    broker: config.broker,
    login: login.mode,
    rows,
    cooldown: cooldown
      ? {
          until: iso(cooldown.until),
          failedToken: cooldown.failedToken,
          failure: cooldown.failure,
          failedBy: cooldown.failedBy,
        }
      : null,
    busy: busy ? { by: busy.by, token: busy.token, until: iso(busy.until) } : null,
    gate: tokens.gate ? 'known' : 'unknown: no database here',
    command: report.command ?? null,
    checkedAt: new Date(ctx.now()).toISOString(),
  };
}
