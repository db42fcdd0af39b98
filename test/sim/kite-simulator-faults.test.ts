import type { KiteSimulator } from '../../scripts/sim/kite/simulator';
import { loggedInClient, rejectionOf, startTestSimulator } from './kite-sim-support';

const farLimit = (tag: string) => ({
  exchange: 'NSE' as const,
  tradingsymbol: 'SBIN',
  transaction_type: 'BUY' as const,
  quantity: 1,
  product: 'MIS' as const,
  order_type: 'LIMIT' as const,
  price: 700,
  tag,
});

describe('Kite simulator: faults and limits through the official SDK', () => {
  let simulator: KiteSimulator;
  let clock = Date.parse('2025-03-10T04:00:00Z');

  beforeEach(async () => {
    simulator = await startTestSimulator({ now: () => clock });
  });
  afterEach(() => simulator.stop());

  it('answers a 429 storm with Kite NetworkException "Too many requests", then serves again', async () => {
    const { kite } = await loggedInClient(simulator);
    simulator.control.armFaults({ failNext: { count: 3, status: 429 } });

    const storm = await Promise.all([1, 2, 3].map(() => rejectionOf(kite.getOrders())));
    const after = await kite.getOrders();

    expect(storm).toEqual(
      Array(3).fill({
        status: 'error',
        error_type: 'NetworkException',
        message: 'Too many requests',
        data: null,
      }),
    );
    expect(after).toEqual([]);
  });

  it('answers a gateway 502 that the SDK reports as a NetworkException', async () => {
    const { kite } = await loggedInClient(simulator);
    simulator.control.armFaults({ failNext: { count: 1, status: 502 } });

    const rejection = await rejectionOf(kite.getPositions());

    expect(rejection).toMatchObject({ error_type: 'NetworkException', message: 'Bad Gateway' });
  });

  it('limits order requests to 10 a second', async () => {
    const { kite } = await loggedInClient(simulator);

    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => kite.placeOrder('regular', farLimit(`burst-${i}`))),
    );
    clock += 1000;
    const nextSecond = await kite.placeOrder('regular', farLimit('next-second'));

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    expect(results.filter((r) => r.status === 'rejected').map((r) => r.reason)).toEqual(
      Array(2).fill(
        expect.objectContaining({ error_type: 'NetworkException', message: 'Too many requests' }),
      ),
    );
    expect(nextSecond.order_id).toMatch(/^\d{15}$/);
  });

  it('limits placements to 200 a minute', async () => {
    const { kite } = await loggedInClient(simulator);
    for (let i = 0; i < 200; i += 1) {
      if (i % 10 === 0) clock += 1000;
      await kite.placeOrder('regular', farLimit(`m-${i}`));
    }
    clock += 1000;

    const rejection = await rejectionOf(kite.placeOrder('regular', farLimit('m-200')));
    clock += 60_000;
    const nextMinute = await kite.placeOrder('regular', farLimit('m-201'));

    expect(rejection).toMatchObject({
      error_type: 'NetworkException',
      message: 'Too many requests',
    });
    expect(nextMinute.order_id).toMatch(/^\d{15}$/);
  });

  it('books a placement whose response never comes, so only a lookup by tag finds it', async () => {
    const { kite } = await loggedInClient(simulator, 300);
    simulator.control.armFaults({ hangPlacements: 1 });

    const rejection = await rejectionOf(kite.placeOrder('regular', farLimit('cid-7f3a')));
    const found = (await kite.getOrders()).filter((o) => o.tag === 'cid-7f3a');

    expect(rejection).toMatchObject({
      error_type: 'NetworkException',
      message: expect.stringContaining('ECONNABORTED'),
    });
    expect(found).toEqual([expect.objectContaining({ status: 'OPEN', quantity: 1 })]);
  });

  it('expires every token on request: the next call is a TokenException and fires the expiry hook', async () => {
    const { kite } = await loggedInClient(simulator);
    const hook = jest.fn();
    kite.setSessionExpiryHook(hook);

    const expired = simulator.control.expireTokens();
    const rejection = await rejectionOf(kite.getPositions());

    expect(expired).toBe(1);
    expect(rejection).toMatchObject({
      error_type: 'TokenException',
      message: 'Incorrect `api_key` or `access_token`.',
    });
    expect(hook).toHaveBeenCalledTimes(1);
  });

  it('adds latency to every API answer', async () => {
    const { kite } = await loggedInClient(simulator);
    simulator.control.armFaults({ latencyMs: 200 });

    const started = performance.now();
    await kite.getProfile();
    const elapsed = performance.now() - started;

    expect(elapsed).toBeGreaterThanOrEqual(195);
  });

  it('opens a position behind the API client back that the SDK then sees', async () => {
    const { kite } = await loggedInClient(simulator);

    const external = simulator.control.placeExternalOrder({
      tradingsymbol: 'INFY',
      transaction_type: 'SELL',
      quantity: 3,
    });
    const positions = await kite.getPositions();

    expect(external).toMatchObject({ status: 'COMPLETE', tag: null });
    expect(positions.net).toEqual([
      expect.objectContaining({ tradingsymbol: 'INFY', quantity: -3 }),
    ]);
    expect(simulator.control.book().positions).toEqual(JSON.parse(JSON.stringify(positions)));
  });

  it('serves the control API over HTTP for the local stack', async () => {
    const armed = await fetch(`${simulator.apiRoot}/__sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ failNext: { count: 2, status: 503 } }),
    });
    const refused = await fetch(`${simulator.apiRoot}/__sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ failNext: { count: 2, status: 418 } }),
    });
    const book = await fetch(`${simulator.apiRoot}/__sim/book`);

    expect(await armed.json()).toMatchObject({ failNext: { count: 2, status: 503 } });
    expect(refused.status).toBe(400);
    expect(await book.json()).toEqual({ orders: [], trades: [], positions: { net: [], day: [] } });
  });
});
