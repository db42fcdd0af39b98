import { GENERIC_ALGO_ID } from '../../contract/algo-id';
import type { SpawnedLocalStack } from '../../scripts/local/spawn-stack';
import { LocalTokenSecretStore } from '../../services/common/tokens/token-secret-store';
import { UpstoxVenue } from '../../services/trading/src/broker/upstox/upstox-venue';
import { buy, spawnQuietLocalStack } from '../support/local-stack';
import { eventually } from '../trading/harness';

interface SimOrder {
  readonly trading_symbol: string;
  readonly tag?: string | null;
}

/**
 * `npm start -- --broker upstox`: the local stack trading LIVE against its Upstox simulator,
 * driven through the trading API and the `tradeops` CLI as on any stage.
 */
describe('the local stack LIVE on the Upstox simulator', () => {
  let stack: SpawnedLocalStack;
  let upstox: NonNullable<SpawnedLocalStack['info']['upstox']>;
  const tradeops = (...args: string[]) => stack.tradeops(...args);

  const api = async (urlPath: string) => {
    const res = await fetch(`${stack.info.tradingUrl}${urlPath}`, {
      headers: { authorization: `Bearer ${stack.info.controlToken}` },
    });
    return (await res.json()) as Record<string, unknown>;
  };
  const sim = async (method: 'GET' | 'POST', urlPath: string, body?: unknown) => {
    const res = await fetch(`${upstox.apiRoot}${urlPath}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await res.json()) as Record<string, unknown>;
  };
  /** The official SDK as the desk would use it, with the token the stack logged in with. */
  const sdk = async () => {
    const store = new LocalTokenSecretStore(upstox.secretDir, 'upstox');
    const token = (await store.readToken('PRIMARY'))?.token.access_token ?? '';
    return { venue: new UpstoxVenue({ accessToken: () => token, apiRoot: upstox.apiRoot }), token };
  };
  const ourPositions = async () =>
    Object.fromEntries(
      ((await api('/positions')).positions as Array<{ symbol: string; quantity: number }>)
        .filter((p) => p.quantity !== 0)
        .map((p) => [p.symbol, p.quantity]),
    );
  const simPositions = async () =>
    Object.fromEntries(
      (await (await sdk()).venue.netPositions())
        .filter((p) => p.quantity !== 0)
        .map((p) => [p.symbol, p.quantity]),
    );
  const state = async () => (await api('/state')) as { state: string; cause: string | null };
  const stopUnder = async (symbol: string) => {
    const { venue, token } = await sdk();
    const key = (await venue.instrument(symbol))?.instrumentKey ?? '';
    const res = await fetch(
      `${upstox.apiRoot}/v2/market-quote/ltp?instrument_key=${encodeURIComponent(key)}`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    const data = ((await res.json()) as { data: Record<string, { last_price: number }> }).data;
    return Math.round((data[`NSE_EQ:${symbol}`]?.last_price ?? 0) * 0.98);
  };

  beforeAll(async () => {
    stack = await spawnQuietLocalStack({}, ['--broker', 'upstox']);
    upstox = stack.info.upstox as typeof upstox;
  }, 120_000);

  afterAll(async () => {
    if (stack) expect(await stack.stop()).toEqual({ code: 0, leftStackInfo: false });
  }, 150_000);

  it('starts LIVE on Upstox, logged in through the OAuth dialog, and resumes through the readiness check', async () => {
    expect(stack.output()).toContain('LIVE mode on Upstox');
    expect(stack.info.broker).toBe('upstox');
    expect(await api('/state')).toMatchObject({ mode: 'LIVE', broker: { name: 'upstox' } });

    const resume = await tradeops('resume', 'local', '--reason', 'upstox drill', '--yes');

    expect(resume.code).toBe(0);
    await eventually(async () => (await state()).state === 'ACTIVE', 15_000);
  }, 120_000);

  it('sends orders to the simulator with our tag; positions match the short-term positions', async () => {
    const placed = await buy(stack, 'INFY', await stopUnder('INFY'));

    expect(placed.status).toBe(201);
    await eventually(async () => (await ourPositions()).INFY === 10, 15_000, 'the INFY fill');
    const book = (await sim('GET', '/__sim/book')).orders as SimOrder[];
    const ours = book.filter((o) => o.trading_symbol === 'INFY');
    expect(ours).toHaveLength(1);
    // A manual order: the stage's manual algo ID (the generic one), then the order digest.
    expect(ours[0]?.tag).toMatch(new RegExp(`^${GENERIC_ALGO_ID}[0-9a-f]{12}$`));
    expect(ours[0]?.tag?.length).toBeLessThanOrEqual(20);
    expect(await simPositions()).toEqual(await ourPositions());
  }, 60_000);

  it('tradeops kill local leaves the simulator flat', async () => {
    const kill = await tradeops('kill', 'local', '--reason', 'upstox drill', '--yes');

    expect(kill.code).toBe(0);
    expect(await simPositions()).toEqual({});
    expect(await ourPositions()).toEqual({});
    expect((await state()).state).toBe('HALTED');
  }, 120_000);

  it('a position opened at the simulator behind our back fails reconciliation and resume refuses', async () => {
    await sim('POST', '/__sim/orders', {
      tradingsymbol: 'SBIN',
      transaction_type: 'BUY',
      quantity: 5,
    });
    await eventually(async () => (await simPositions()).SBIN === 5, 10_000, 'the SBIN fill');

    const resume = await tradeops('resume', 'local', '--reason', 'after the kill', '--yes');

    expect(resume.code).not.toBe(0);
    expect(`${resume.stdout}${resume.stderr}`).toMatch(/reconciliation[\s\S]*SBIN/);
    expect((await state()).state).toBe('HALTED');
    await sim('POST', '/__sim/orders', {
      tradingsymbol: 'SBIN',
      transaction_type: 'SELL',
      quantity: 5,
    });
    await eventually(async () => (await simPositions()).SBIN === undefined, 10_000);
  }, 120_000);

  it('a token revoked mid-day (401) halts trading with cause "broker token invalid"', async () => {
    const resume = await tradeops('resume', 'local', '--reason', 'flat again', '--yes');
    expect(resume.code).toBe(0);
    await eventually(async () => (await state()).state === 'ACTIVE', 15_000);
    const stop = await stopUnder('TCS');

    await sim('POST', '/__sim/session/expire');
    const placed = await buy(stack, 'TCS', stop);

    expect(placed.status).not.toBe(201);
    await eventually(
      async () => (await state()).cause?.startsWith('broker token invalid: UDAPI100050') === true,
      5000,
      'the token halt',
    );
    expect((await state()).state).toBe('HALTED');
  }, 120_000);
});
