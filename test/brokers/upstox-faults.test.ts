import type { BrokerOrder } from '../../services/trading/src/broker/broker';
import { BrokerRejectedError } from '../../services/trading/src/broker/broker';
import type { Fill } from '../../services/trading/src/domain';
import { brokerTokenInput, TradingStateMachine } from '../../services/trading/src/trading-state';
import { eventually } from '../trading/harness';
import { contractOrder } from './broker-contract';
import { startUpstoxVenue } from './upstox-venue';

type Venue = Awaited<ReturnType<typeof startUpstoxVenue>>;

describe('Upstox adapter: faults at the simulator', () => {
  let venue: Venue;
  let fills: Fill[];
  let closed: BrokerOrder[];

  beforeEach(async () => {
    venue = await startUpstoxVenue({ pollMs: 60_000 });
    fills = [];
    closed = [];
    venue.broker.onFill((f) => fills.push(f));
    venue.broker.onOrderClosed((o) => closed.push(o));
  });
  afterEach(() => venue.close());

  it('finds a placement that timed out after Upstox accepted it, and never places it twice', async () => {
    venue.simulator.control.armFaults({ hangPlacements: 1 });
    const order = contractOrder('INFY', { type: 'LIMIT', limitPrice: 1250 });

    const attempt = venue.broker.submit(order);

    await expect(attempt).rejects.toThrow(/ECONNABORTED|[Tt]imeout/);
    await expect(attempt).rejects.not.toBeInstanceOf(BrokerRejectedError);
    const found = await venue.broker.getOrder(order.clientOrderId);
    const again = await venue.broker.submit(order);
    expect(found?.status).toBe('OPEN');
    expect(again.brokerOrderId).toBe(found?.brokerOrderId);
    expect(await venue.ordersAtVenue(order.clientOrderId)).toBe(1);
  });

  it('backs off through a 429 storm on reads, and never repeats a throttled placement', async () => {
    const placed = contractOrder('INFY', { type: 'LIMIT', limitPrice: 1250 });
    await venue.broker.submit(placed);
    venue.simulator.control.armFaults({ failNext: { count: 3, status: 429 } });

    const found = await venue.broker.getOrder(placed.clientOrderId);
    venue.simulator.control.armFaults({ failNext: { count: 1, status: 429 } });
    const throttled = contractOrder('INFY', { type: 'LIMIT', limitPrice: 1250 });
    // The instrument lookup is cached: the one 429 meets the placement itself.
    const attempt = venue.broker.submit(throttled);

    expect(found?.status).toBe('OPEN');
    await expect(attempt).rejects.toThrow('UDAPI10005: Too Many Request Sent');
    await expect(attempt).rejects.not.toBeInstanceOf(BrokerRejectedError);
    expect(await venue.ordersAtVenue(throttled.clientOrderId)).toBe(0);
    expect(await venue.broker.getOrder(throttled.clientOrderId)).toBeUndefined();
  });

  it('retries reads through 5xx gateway pages and keeps the status as the words', async () => {
    venue.simulator.control.armFaults({ failNext: { count: 2, status: 503 } });

    await expect(venue.broker.positions()).resolves.toEqual([]);
    venue.simulator.control.armFaults({ failNext: { count: 10, status: 502 } });
    await expect(venue.broker.positions()).rejects.toThrow(/HTTP 502/);
  });

  it('halts trading with "broker token invalid" within 2 s of a 401 mid-day', async () => {
    const states = new TradingStateMachine(
      { enabled: () => true, snapshot: () => ({ reason: 'flag is "true"' }) },
      () => undefined,
      Date.now,
      [brokerTokenInput(venue.broker)],
    );
    expect(states.update()?.to).toBe('ACTIVE');
    venue.simulator.control.expireTokens();
    const refusedAt = Date.now();

    await expect(venue.broker.positions()).rejects.toThrow(/UDAPI100050/);
    const transition = states.update();

    expect(transition?.to).toBe('HALTED');
    expect(transition?.cause).toMatch(
      /^broker token invalid: UDAPI100050: Invalid token used to access API/,
    );
    expect((transition?.at ?? Infinity) - refusedAt).toBeLessThan(2000);
    expect((await venue.broker.tokens())[0]?.expiresAt).toBeLessThanOrEqual(Date.now());
    await expect(venue.broker.submit(contractOrder('INFY'))).rejects.toBeInstanceOf(
      BrokerRejectedError,
    );
  });

  it('logs and ignores an order update for an order it never sent', async () => {
    const orderId = venue.simulator.control.sendUnknownOrderUpdate();

    await eventually(
      () => venue.upstox.broker.counters.unknownOrderUpdates === 1,
      5000,
      'the update',
    );

    expect(venue.log.lines).toContainEqual(
      expect.objectContaining({
        orderId,
        msg: 'Upstox order update for an order this task never sent: ignored',
      }),
    );
    expect(fills).toEqual([]);
    expect(closed).toEqual([]);
  });

  it("reports an RMS rejection with Upstox's status message", async () => {
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

  it('turns portfolio-stream updates into fills with Upstox trade ids, without the poll', async () => {
    const order = contractOrder('INFY', { quantity: 5 });

    await venue.broker.submit(order);
    await eventually(() => fills.length === 1, 5000, 'the fill from the stream');

    const trades = venue.simulator.control.book().trades as Array<{ trade_id: string }>;
    expect(trades.map((t) => t.trade_id)).toContain(fills[0]?.brokerFillId);
  });
  it("refuses a stop-loss order without its trigger price in Upstox's words, placing nothing", async () => {
    const order = contractOrder('INFY', { side: 'SELL', type: 'SL-M' });

    const attempt = venue.broker.submit(order);

    await expect(attempt).rejects.toBeInstanceOf(BrokerRejectedError);
    await expect(attempt).rejects.toThrow(
      /UDAPI100036: trigger_price must be greater than 0 for order_type SL-M/,
    );
    expect(await venue.ordersAtVenue(order.clientOrderId)).toBe(0);
  });
});
