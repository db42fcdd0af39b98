import type { BrokerOrder } from '../../services/trading/src/broker/broker';
import { BrokerRejectedError } from '../../services/trading/src/broker/broker';
import type { Fill } from '../../services/trading/src/domain';
import { brokerTokenInput, TradingStateMachine } from '../../services/trading/src/trading-state';
import { eventually } from '../trading/harness';
import { contractOrder } from './broker-contract';
import { startKiteVenue } from './kite-venue';

type Venue = Awaited<ReturnType<typeof startKiteVenue>>;

describe('Kite adapter: faults at the simulator', () => {
  let venue: Venue;
  let fills: Fill[];
  let closed: BrokerOrder[];

  beforeEach(async () => {
    venue = await startKiteVenue({ pollMs: 60_000 });
    fills = [];
    closed = [];
    venue.kite.onFill((f) => fills.push(f));
    venue.kite.onOrderClosed((o) => closed.push(o));
  });
  afterEach(() => venue.close());

  it('finds a placement that timed out after Kite accepted it, and never places it twice', async () => {
    venue.simulator.control.armFaults({ hangPlacements: 1 });
    const order = contractOrder('INFY', { type: 'LIMIT', limitPrice: 1250 });

    const attempt = venue.kite.submit(order);

    await expect(attempt).rejects.toThrow(/NetworkException/);
    await expect(attempt).rejects.not.toBeInstanceOf(BrokerRejectedError);
    const found = await venue.kite.getOrder(order.clientOrderId);
    const again = await venue.kite.submit(order);
    expect(found?.status).toBe('OPEN');
    expect(again.brokerOrderId).toBe(found?.brokerOrderId);
    expect(await venue.ordersAtVenue(order.clientOrderId)).toBe(1);
  });

  it('backs off through a 429 storm on reads, and never repeats a throttled placement', async () => {
    const placed = contractOrder('INFY', { type: 'LIMIT', limitPrice: 1250 });
    await venue.kite.submit(placed);
    venue.simulator.control.armFaults({ failNext: { count: 3, status: 429 } });

    const found = await venue.kite.getOrder(placed.clientOrderId);
    venue.simulator.control.armFaults({ failNext: { count: 1, status: 429 } });
    const throttled = contractOrder('INFY', { type: 'LIMIT', limitPrice: 1250 });
    const attempt = venue.kite.submit(throttled);

    expect(found?.status).toBe('OPEN');
    await expect(attempt).rejects.toThrow('NetworkException: Too many requests');
    expect(await venue.ordersAtVenue(throttled.clientOrderId)).toBe(0);
    expect(await venue.kite.getOrder(throttled.clientOrderId)).toBeUndefined();
  });

  it('halts trading with "broker token invalid" within 2 s of the first refused call', async () => {
    const states = new TradingStateMachine(
      { enabled: () => true, snapshot: () => ({ reason: 'flag is "true"' }) },
      () => undefined,
      Date.now,
      [brokerTokenInput(venue.kite)],
    );
    expect(states.update()?.to).toBe('ACTIVE');
    venue.simulator.control.expireTokens();
    const refusedAt = Date.now();

    await expect(venue.kite.positions()).rejects.toThrow(/TokenException/);
    const transition = states.update();

    expect(transition?.to).toBe('HALTED');
    expect(transition?.cause).toMatch(/^broker token invalid: TokenException: /);
    expect((transition?.at ?? Infinity) - refusedAt).toBeLessThan(2000);
    expect((await venue.kite.tokens())[0]?.expiresAt).toBeLessThanOrEqual(Date.now());
    await expect(venue.kite.submit(contractOrder('INFY'))).rejects.toBeInstanceOf(
      BrokerRejectedError,
    );
  });

  it('logs and ignores an order update for an order it never sent', async () => {
    const orderId = venue.simulator.control.sendUnknownOrderUpdate();

    await eventually(() => venue.kite.counters.unknownOrderUpdates === 1, 5000, 'the update');

    expect(venue.log.lines).toContainEqual(
      expect.objectContaining({
        orderId,
        msg: 'Kite order update for an order this task never sent: ignored',
      }),
    );
    expect(fills).toEqual([]);
    expect(closed).toEqual([]);
  });

  it("reports Kite's RMS rejection with Kite's own status message", async () => {
    const order = contractOrder('INFY', { type: 'LIMIT', limitPrice: 2500 });

    await venue.kite.submit(order);
    const rejected = await eventually(
      () => closed.find((o) => o.clientOrderId === order.clientOrderId),
      5000,
      'the rejection',
    );

    expect(rejected.status).toBe('REJECTED');
    expect(rejected.reason).toMatch(
      /^REJECTED: Your order price is higher than the current upper circuit limit/,
    );
  });

  it('turns order updates into fills with Kite trade ids, without the order-book poll', async () => {
    const order = contractOrder('INFY', { quantity: 5 });

    await venue.kite.submit(order);
    await eventually(() => fills.length === 1, 5000, 'the fill from the order update');

    const trades = venue.simulator.control.book().trades as Array<{ trade_id: string }>;
    expect(trades.map((t) => t.trade_id)).toContain(fills[0]?.brokerFillId);
  });
});

describe('Kite adapter: order-update checksums', () => {
  let venue: Venue;
  let fills: Fill[];
  let closed: BrokerOrder[];

  beforeEach(async () => {
    venue = await startKiteVenue({ pollMs: 300 });
    fills = [];
    closed = [];
    venue.kite.onFill((f) => fills.push(f));
    venue.kite.onOrderClosed((o) => closed.push(o));
  });
  afterEach(() => venue.close());

  it('drops, logs and counts an update with a wrong checksum; the order stays as Kite holds it', async () => {
    const order = contractOrder('INFY', { type: 'LIMIT', limitPrice: 1250 });
    const { brokerOrderId } = await venue.kite.submit(order);

    venue.simulator.control.sendForgedOrderUpdate(brokerOrderId);

    await eventually(() => venue.kite.counters.unsignedOrderUpdates === 1, 5000, 'the drop');
    expect(venue.log.lines).toContainEqual(
      expect.objectContaining({
        orderId: brokerOrderId,
        status: 'COMPLETE',
        msg: "Kite order update with a wrong checksum dropped; the order book poll reads the order's state",
      }),
    );
    expect((await venue.kite.getOrder(order.clientOrderId))?.status).toBe('OPEN');
    expect(fills).toEqual([]);
    expect(closed).toEqual([]);
  });

  it('still applies the signed updates (and the poll) after a forged one', async () => {
    const order = contractOrder('INFY', { type: 'LIMIT', limitPrice: 1250 });
    const { brokerOrderId } = await venue.kite.submit(order);
    venue.simulator.control.sendForgedOrderUpdate(brokerOrderId);
    await eventually(() => venue.kite.counters.unsignedOrderUpdates === 1, 5000, 'the drop');

    venue.simulator.control.setPrice('INFY', 1245);

    await eventually(() => fills.length === 1, 5000, 'the real fill');
    expect(fills[0]).toMatchObject({ clientOrderId: order.clientOrderId, quantity: 10 });
    expect(venue.kite.counters.unsignedOrderUpdates).toBe(1);
  });
});
