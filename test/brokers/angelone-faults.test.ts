import { createSmartApi } from '../../services/common/angelone/smartapi';
import type { BrokerOrder } from '../../services/trading/src/broker/broker';
import { BrokerRejectedError } from '../../services/trading/src/broker/broker';
import type { Fill } from '../../services/trading/src/domain';
import { brokerTokenInput, TradingStateMachine } from '../../services/trading/src/trading-state';
import { eventually } from '../trading/harness';
import {
  ANGEL_SIM_ACCOUNT,
  angelSession,
  startAngelOneVenue,
  TEST_NETWORK,
} from './angelone-venue';
import { contractOrder } from './broker-contract';

type Venue = Awaited<ReturnType<typeof startAngelOneVenue>>;

describe('Angel One adapter: faults at the simulator', () => {
  let venue: Venue;
  let fills: Fill[];
  let closed: BrokerOrder[];

  beforeEach(async () => {
    venue = await startAngelOneVenue({ pollMs: 60_000 });
    fills = [];
    closed = [];
    venue.broker.onFill((f) => fills.push(f));
    venue.broker.onOrderClosed((o) => closed.push(o));
  });
  afterEach(() => venue.close());

  it('finds a placement that timed out after Angel accepted it (the SDK answers {}), and never places it twice', async () => {
    venue.simulator.control.armFaults({ hangPlacements: 1 });
    const order = contractOrder('INFY', { type: 'LIMIT', limitPrice: 1250 });

    const attempt = venue.broker.submit(order);

    await expect(attempt).rejects.toThrow(/^NO_ANSWER: no answer from Angel One/);
    await expect(attempt).rejects.not.toBeInstanceOf(BrokerRejectedError);
    const found = await venue.broker.getOrder(order.clientOrderId);
    const again = await venue.broker.submit(order);
    expect(found?.status).toBe('OPEN');
    expect(again.brokerOrderId).toBe(found?.brokerOrderId);
    expect(await venue.ordersAtVenue(order.clientOrderId)).toBe(1);
  });

  it('backs off through throttling on reads, and never repeats a throttled placement', async () => {
    const placed = contractOrder('INFY', { type: 'LIMIT', limitPrice: 1250 });
    await venue.broker.submit(placed);
    venue.simulator.control.armFaults({ failNext: { count: 3, status: 429 } });

    const found = await venue.broker.getOrder(placed.clientOrderId);
    venue.simulator.control.armFaults({ failNext: { count: 1, status: 429 } });
    const throttled = contractOrder('INFY', { type: 'LIMIT', limitPrice: 1250 });
    // The scrip lookup is cached: the one 429 meets the placement itself.
    const attempt = venue.broker.submit(throttled);

    expect(found?.status).toBe('OPEN');
    await expect(attempt).rejects.toThrow(
      /^HTTP 429: Too Many Requests: Access denied because of exceeding access rate/,
    );
    await expect(attempt).rejects.not.toBeInstanceOf(BrokerRejectedError);
    expect(await venue.ordersAtVenue(throttled.clientOrderId)).toBe(0);
    expect(await venue.broker.getOrder(throttled.clientOrderId)).toBeUndefined();
  });

  it("retries reads through 5xx answers and keeps Angel's words", async () => {
    venue.simulator.control.armFaults({ failNext: { count: 2, status: 500 } });
    await expect(venue.broker.positions()).resolves.toEqual([]);

    venue.simulator.control.armFaults({ failNext: { count: 10, status: 500 } });
    await expect(venue.broker.positions()).rejects.toThrow(
      'AB2001: Internal Error, Please try after sometime',
    );
    venue.simulator.control.armFaults({ failNext: { count: 10, status: 502 } });
    await expect(venue.broker.positions()).rejects.toThrow(/^HTTP 502: Bad Gateway: <html>/);
  });

  it('halts trading with "broker token invalid" within 2 s of AG8001 mid-day', async () => {
    const states = new TradingStateMachine(
      { enabled: () => true, snapshot: () => ({ reason: 'flag is "true"' }) },
      () => undefined,
      Date.now,
      [brokerTokenInput(venue.broker)],
    );
    expect(states.update()?.to).toBe('ACTIVE');
    venue.simulator.control.expireTokens();
    const refusedAt = Date.now();

    await expect(venue.broker.positions()).rejects.toThrow(/AG8001/);
    const transition = states.update();

    expect(transition?.to).toBe('HALTED');
    expect(transition?.cause).toMatch(/^broker token invalid: AG8001: Invalid Token/);
    expect((transition?.at ?? Infinity) - refusedAt).toBeLessThan(2000);
    expect((await venue.broker.tokens())[0]?.expiresAt).toBeLessThanOrEqual(Date.now());
    await expect(venue.broker.submit(contractOrder('INFY'))).rejects.toBeInstanceOf(
      BrokerRejectedError,
    );
  });

  it('logs and ignores an order update for an order it never sent', async () => {
    const orderId = venue.simulator.control.sendUnknownOrderUpdate();

    await eventually(
      () => venue.angel.broker.counters.unknownOrderUpdates === 1,
      5000,
      'the update',
    );

    expect(venue.log.lines).toContainEqual(
      expect.objectContaining({
        orderId,
        msg: 'Angel One order update for an order this task never sent: ignored',
      }),
    );
    expect(fills).toEqual([]);
    expect(closed).toEqual([]);
  });

  it("reports an RMS rejection with Angel's text", async () => {
    const order = contractOrder('INFY', { type: 'LIMIT', limitPrice: 2500 });

    await venue.broker.submit(order);
    const rejected = await eventually(
      () => closed.find((o) => o.clientOrderId === order.clientOrderId),
      5000,
      'the rejection',
    );

    expect(rejected.status).toBe('REJECTED');
    expect(rejected.reason).toMatch(
      /^rejected: Your order price is higher than the current upper circuit limit/,
    );
  });

  it('turns order-status socket messages into fills with Angel fill ids, without the poll', async () => {
    const order = contractOrder('INFY', { quantity: 5 });

    await venue.broker.submit(order);
    await eventually(() => fills.length === 1, 5000, 'the fill from the socket');

    const trades = venue.simulator.control.book().trades as Array<{ fillid: string }>;
    expect(trades.map((t) => t.fillid)).toContain(fills[0]?.brokerFillId);
  });

  it('refuses an order tag over 20 characters at the simulator, as Angel does', async () => {
    // The adapter never builds one (orderTag caps it): send one past it through the SDK.
    // A second login: the TOTP of the next step (the first one's code is spent).
    const session = await angelSession(venue.simulator, Date.now() + 30_000);
    const smart = createSmartApi({
      apiKey: ANGEL_SIM_ACCOUNT.apiKey,
      root: venue.simulator.apiRoot,
      accessToken: session.jwt,
      network: TEST_NETWORK,
    });
    const answer = await smart.placeOrder({
      variety: 'NORMAL',
      tradingsymbol: 'INFY-EQ',
      symboltoken: '1594',
      transactiontype: 'BUY',
      exchange: 'NSE',
      ordertype: 'MARKET',
      producttype: 'INTRADAY',
      duration: 'DAY',
      quantity: '1',
      ordertag: 'X'.repeat(21),
    });

    expect(answer).toMatchObject({ status: false, errorcode: 'AB4008' });
    expect(answer).toMatchObject({ message: 'ordertag length should be less than 20 characters' });
    expect(venue.simulator.control.book().orders).toEqual([]);
  });
  it("refuses a stop-loss order without its trigger price in Angel One's words, placing nothing", async () => {
    const order = contractOrder('INFY', { side: 'SELL', type: 'SL-M' });

    const attempt = venue.broker.submit(order);

    await expect(attempt).rejects.toBeInstanceOf(BrokerRejectedError);
    await expect(attempt).rejects.toThrow(/AB4008: Invalid triggerprice/);
    expect(await venue.ordersAtVenue(order.clientOrderId)).toBe(0);
  });
});
