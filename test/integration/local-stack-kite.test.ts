import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { KiteConnect } from 'kiteconnect';
import { GENERIC_ALGO_ID } from '../../contract/algo-id';
import type { SpawnedLocalStack } from '../../scripts/local/spawn-stack';
import { LocalTokenSecretStore } from '../../services/common/tokens/token-secret-store';
import { buy, spawnQuietLocalStack } from '../support/local-stack';
import { eventually } from '../trading/harness';

interface SimOrder {
  readonly tradingsymbol: string;
  readonly tag?: string | null;
  readonly status: string;
}

/**
 * `npm start -- --broker kite`: the local stack trading LIVE against its Kite simulator, driven
 * through the trading API and the `tradeops` CLI as on any stage.
 */
describe('the local stack LIVE on the Kite simulator', () => {
  let stack: SpawnedLocalStack;
  let kite: NonNullable<SpawnedLocalStack['info']['kite']>;
  const tradeops = (...args: string[]) => stack.tradeops(...args);

  const api = async (urlPath: string) => {
    const res = await fetch(`${stack.info.tradingUrl}${urlPath}`, {
      headers: { authorization: `Bearer ${stack.info.controlToken}` },
    });
    return (await res.json()) as Record<string, unknown>;
  };
  const sim = async (method: 'GET' | 'POST', urlPath: string, body?: unknown) => {
    const res = await fetch(`${kite.apiRoot}${urlPath}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await res.json()) as Record<string, unknown>;
  };
  /** The SDK as the desk would use it, with the token the stack logged in with. */
  const sdk = async () => {
    const store = new LocalTokenSecretStore(kite.secretDir, 'kite');
    const app = await store.readApp('PRIMARY');
    const stored = await store.readToken('PRIMARY');
    return new KiteConnect({
      api_key: app.api_key,
      access_token: stored?.token.access_token,
      root: kite.apiRoot,
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
      (await (await sdk()).getPositions()).net
        .filter((p) => p.quantity !== 0)
        .map((p) => [p.tradingsymbol, p.quantity]),
    );
  const state = async () => (await api('/state')) as { state: string; cause: string | null };
  const stopUnder = async (symbol: string) => {
    const ltp = await (await sdk()).getLTP([`NSE:${symbol}`]);
    const price = ltp[`NSE:${symbol}`]?.last_price ?? 0;
    return Math.round(price * 0.98);
  };

  beforeAll(async () => {
    stack = await spawnQuietLocalStack({}, ['--broker', 'kite']);
    kite = stack.info.kite as typeof kite;
  }, 120_000);

  afterAll(async () => {
    if (stack) expect(await stack.stop()).toEqual({ code: 0, leftStackInfo: false });
  }, 150_000);

  it('starts LIVE on Kite, logged in, and resumes through the readiness check', async () => {
    expect(stack.output()).toContain('LIVE mode on Kite');
    expect(stack.info.broker).toBe('kite');
    expect(await api('/state')).toMatchObject({ mode: 'LIVE', broker: { name: 'kite' } });

    const resume = await tradeops('resume', 'local', '--reason', 'kite drill', '--yes');

    expect(resume.code).toBe(0);
    await eventually(async () => (await state()).state === 'ACTIVE', 15_000);
  }, 120_000);

  it('sends orders to the simulator with our tag; positions match /portfolio/positions', async () => {
    const placed = await buy(stack, 'INFY', await stopUnder('INFY'));

    expect(placed.status).toBe(201);
    await eventually(async () => (await ourPositions()).INFY === 10, 15_000, 'the INFY fill');
    const book = (await sim('GET', '/__sim/book')).orders as SimOrder[];
    const ours = book.filter((o) => o.tradingsymbol === 'INFY');
    expect(ours).toHaveLength(1);
    // A manual order: the stage's manual algo ID (the generic one), then the order digest.
    expect(ours[0]?.tag).toMatch(new RegExp(`^${GENERIC_ALGO_ID}[0-9a-f]{12}$`));
    expect(ours[0]?.tag?.length).toBeLessThanOrEqual(20);
    expect(await simPositions()).toEqual(await ourPositions());
  }, 60_000);

  it('tradeops kill local leaves the simulator flat', async () => {
    const kill = await tradeops('kill', 'local', '--reason', 'kite drill', '--yes');

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
    // The desk closes it by hand at the broker; then resume passes.
    await sim('POST', '/__sim/orders', {
      tradingsymbol: 'SBIN',
      transaction_type: 'SELL',
      quantity: 5,
    });
    await eventually(async () => (await simPositions()).SBIN === undefined, 10_000);
  }, 120_000);

  it('an expired token halts trading with cause "broker token invalid" and pages P1 once within 2 s', async () => {
    const resume = await tradeops('resume', 'local', '--reason', 'flat again', '--yes');
    expect(resume.code).toBe(0);
    await eventually(async () => (await state()).state === 'ACTIVE', 15_000);
    const stop = await stopUnder('TCS');
    const tokenPages = async () =>
      (
        await readFile(
          path.join(path.dirname(stack.info.logDir), 'notifications.jsonl'),
          'utf8',
        ).catch(() => '')
      )
        .split('\n')
        .filter(Boolean)
        .map(
          (l) => JSON.parse(l) as { at: string; topic: string; subject: string; message: string },
        )
        .filter((n) => n.topic === 'page' && n.subject.includes('broker token invalid'));

    await sim('POST', '/__sim/session/expire');
    // No call reaches Kite between the expiry and this order: its refusal is the first one.
    const sentAt = Date.now();
    const placed = await buy(stack, 'TCS', stop);

    expect(placed.status).not.toBe(201);
    await eventually(
      async () => (await state()).cause?.startsWith('broker token invalid') === true,
      5000,
      'the token halt',
    );
    expect((await state()).state).toBe('HALTED');
    const [page] = await eventually(
      async () => ((await tokenPages()).length > 0 ? tokenPages() : undefined),
      10_000,
      'the P1 page',
    );
    expect(Date.parse(page?.at ?? '') - sentAt).toBeLessThan(2000);
    expect(page?.message).toMatch(/Broker's words: TokenException: /);
    expect(page?.message).toContain('Run: tradeops token login local --broker kite --name PRIMARY');
    // The incident lasts until a call is accepted: a later refused order does not page again.
    expect((await buy(stack, 'TCS', stop)).status).not.toBe(201);
    await eventually(async () => (await state()).state === 'HALTED', 1000);
    expect(await tokenPages()).toHaveLength(1);
  }, 120_000);

  it("token status says EXPIRED in Kite's words; token login renews it and trading recovers without a restart", async () => {
    const before = await tradeops('token', 'status', 'local');
    expect(before.code).not.toBe(0);
    expect(before.stdout).toMatch(/PRIMARY\s+EXPIRED[\s\S]*TokenException/);

    const { request_token } = (await sim('POST', '/__sim/request-token')) as {
      request_token: string;
    };
    const login = await tradeops(
      'token',
      'login',
      'local',
      '--broker',
      'kite',
      '--request-token',
      `http://127.0.0.1/redirect?request_token=${request_token}&status=success`,
    );

    expect(login.code).toBe(0);
    expect(login.stdout).toMatch(/token PRIMARY stored for SIM001/);
    expect(`${login.stdout}${login.stderr}`).not.toMatch(/access_token|api_secret/);
    await eventually(
      async () => (await state()).cause?.startsWith('broker token invalid') !== true,
      10_000,
      'the renewed token',
    );
    expect((await tradeops('token', 'status', 'local')).stdout).toMatch(/PRIMARY\s+VALID/);
    const reused = await tradeops(
      'token',
      'login',
      'local',
      '--broker',
      'kite',
      '--request-token',
      request_token,
    );
    expect(reused.code).not.toBe(0);
    expect(reused.stderr).toMatch(/Kite refused the request_token: TokenException/);
  }, 120_000);
});
