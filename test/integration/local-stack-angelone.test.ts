import { GENERIC_ALGO_ID } from '../../contract/algo-id';
import type { SpawnedLocalStack } from '../../scripts/local/spawn-stack';
import { LocalTokenSecretStore } from '../../services/common/tokens/token-secret-store';
import { AngelOneVenue } from '../../services/trading/src/broker/angelone/angelone-venue';
import { buy, spawnQuietLocalStack } from '../support/local-stack';
import { eventually } from '../trading/harness';

interface SimOrder {
  readonly tradingsymbol: string;
  readonly ordertag: string;
}

/**
 * `npm start -- --broker angelone`: the local stack trading LIVE against its Angel One simulator,
 * logged in unattended from the TOTP seed, driven through the trading API and the `tradeops` CLI
 * as on any stage.
 */
describe('the local stack LIVE on the Angel One simulator', () => {
  let stack: SpawnedLocalStack;
  let angelone: NonNullable<SpawnedLocalStack['info']['angelone']>;
  const tradeops = (...args: string[]) => stack.tradeops(...args);

  const api = async (urlPath: string) => {
    const res = await fetch(`${stack.info.tradingUrl}${urlPath}`, {
      headers: { authorization: `Bearer ${stack.info.controlToken}` },
    });
    return (await res.json()) as Record<string, unknown>;
  };
  const sim = async (method: 'GET' | 'POST', urlPath: string, body?: unknown) => {
    const res = await fetch(`${angelone.apiRoot}${urlPath}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await res.json()) as Record<string, unknown>;
  };
  /** The official SDK as the desk would use it, with the session the stack logged in with. */
  const sdk = async () => {
    const store = new LocalTokenSecretStore(angelone.secretDir, 'angelone');
    const [app, stored] = await Promise.all([store.readApp('PRIMARY'), store.readToken('PRIMARY')]);
    return new AngelOneVenue({
      apiKey: app.api_key,
      accessToken: () => stored?.token.access_token ?? '',
      root: angelone.apiRoot,
      network: { publicIp: '127.0.0.1' },
    });
  };
  const ourPositions = async () =>
    Object.fromEntries(
      ((await api('/positions')).positions as Array<{ symbol: string; quantity: number }>)
        .filter((p) => p.quantity !== 0)
        .map((p) => [p.symbol, p.quantity]),
    );
  const simPositions = async () =>
    Object.fromEntries(
      (await (await sdk()).netPositions())
        .filter((p) => p.quantity !== 0)
        .map((p) => [p.symbol, p.quantity]),
    );
  const state = async () => (await api('/state')) as { state: string; cause: string | null };
  const stopUnder = async (symbol: string) => {
    const { ltp } = (await sim('GET', `/__sim/ltp/${symbol}`)) as { ltp: number };
    return Math.round(ltp * 0.98);
  };

  beforeAll(async () => {
    stack = await spawnQuietLocalStack({}, ['--broker', 'angelone']);
    angelone = stack.info.angelone as typeof angelone;
  }, 120_000);

  afterAll(async () => {
    if (stack) expect(await stack.stop()).toEqual({ code: 0, leftStackInfo: false });
  }, 150_000);

  it('starts LIVE on Angel One, logged in from the TOTP seed, and resumes through the readiness check', async () => {
    expect(stack.output()).toContain('LIVE mode on Angel One');
    expect(stack.info.broker).toBe('angelone');
    expect(await api('/state')).toMatchObject({ mode: 'LIVE', broker: { name: 'angelone' } });

    const resume = await tradeops('resume', 'local', '--reason', 'angelone drill', '--yes');

    expect(resume.code).toBe(0);
    await eventually(async () => (await state()).state === 'ACTIVE', 15_000);
  }, 120_000);

  it('sends orders to the simulator with our ordertag; positions match getPosition', async () => {
    const placed = await buy(stack, 'INFY', await stopUnder('INFY'));

    expect(placed.status).toBe(201);
    await eventually(async () => (await ourPositions()).INFY === 10, 15_000, 'the INFY fill');
    const book = (await sim('GET', '/__sim/book')).orders as SimOrder[];
    const ours = book.filter((o) => o.tradingsymbol === 'INFY-EQ');
    expect(ours).toHaveLength(1);
    // A manual order: the stage's manual algo ID (the generic one), then the order digest.
    expect(ours[0]?.ordertag).toMatch(new RegExp(`^${GENERIC_ALGO_ID}[0-9a-f]{12}$`));
    expect(ours[0]?.ordertag.length).toBeLessThanOrEqual(20);
    expect(await simPositions()).toEqual(await ourPositions());
  }, 60_000);

  it('tradeops kill local leaves the simulator flat', async () => {
    const kill = await tradeops('kill', 'local', '--reason', 'angelone drill', '--yes');

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

  it('a session revoked mid-day (AG8001) halts trading with cause "broker token invalid"', async () => {
    const resume = await tradeops('resume', 'local', '--reason', 'flat again', '--yes');
    expect(resume.code).toBe(0);
    await eventually(async () => (await state()).state === 'ACTIVE', 15_000);
    const stop = await stopUnder('TCS');

    await sim('POST', '/__sim/session/expire');
    const placed = await buy(stack, 'TCS', stop);

    expect(placed.status).not.toBe(201);
    await eventually(
      async () => (await state()).cause?.startsWith('broker token invalid: AG8001') === true,
      5000,
      'the token halt',
    );
    expect((await state()).state).toBe('HALTED');
  }, 120_000);
});
