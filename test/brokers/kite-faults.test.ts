import { eventually } from '../trading/harness';
import { contractOrder } from './broker-contract';
import { describeBrokerFaults, eachVenue } from './broker-faults';
import { startKiteVenue } from './kite-venue';

describeBrokerFaults({
  name: 'Kite',
  start: () => startKiteVenue({ pollMs: 60_000 }),
  counters: (venue) => venue.kite.counters,
  timedOut: {
    test: 'finds a placement that timed out after Kite accepted it, and never places it twice',
    words: /NetworkException/,
  },
  throttled: {
    test: 'backs off through a 429 storm on reads, and never repeats a throttled placement',
    words: 'NetworkException: Too many requests',
  },
  tokenRefused: {
    test: 'halts trading with "broker token invalid" within 2 s of the first refused call',
    words: /TokenException/,
    cause: /^broker token invalid: TokenException: /,
  },
  rmsRejection: {
    test: "reports Kite's RMS rejection with Kite's own status message",
    reason: /^REJECTED: Your order price is higher than the current upper circuit limit/,
  },
  streamFills: {
    test: 'turns order updates into fills with Kite trade ids, without the order-book poll',
    stream: 'the fill from the order update',
    tradeId: 'trade_id',
  },
});

describe('Kite adapter: order-update checksums', () => {
  const fixture = eachVenue(() => startKiteVenue({ pollMs: 300 }));

  it('drops, logs and counts an update with a wrong checksum; the order stays as Kite holds it', async () => {
    const { venue } = fixture;
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
    expect(fixture.fills).toEqual([]);
    expect(fixture.closed).toEqual([]);
  });

  it('still applies the signed updates (and the poll) after a forged one', async () => {
    const { venue } = fixture;
    const order = contractOrder('INFY', { type: 'LIMIT', limitPrice: 1250 });
    const { brokerOrderId } = await venue.kite.submit(order);
    venue.simulator.control.sendForgedOrderUpdate(brokerOrderId);
    await eventually(() => venue.kite.counters.unsignedOrderUpdates === 1, 5000, 'the drop');

    venue.simulator.control.setPrice('INFY', 1245);

    await eventually(() => fixture.fills.length === 1, 5000, 'the real fill');
    expect(fixture.fills[0]).toMatchObject({ clientOrderId: order.clientOrderId, quantity: 10 });
    expect(venue.kite.counters.unsignedOrderUpdates).toBe(1);
  });
});
