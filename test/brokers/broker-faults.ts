import type { FaultRequest } from '../../scripts/sim/shared/faults';
import {
  type Broker,
  type BrokerOrder,
  BrokerRejectedError,
} from '../../services/trading/src/broker/broker';
import type { Fill } from '../../services/trading/src/domain';
import { brokerTokenInput, TradingStateMachine } from '../../services/trading/src/trading-state';
import { eventually } from '../trading/harness';
import { type BrokerVenue, contractOrder } from './broker-contract';
import type { CapturedLog } from './sim-venue';

/** A test venue on a simulator with the fault levers the fault suite pulls. */
export interface FaultVenue extends BrokerVenue {
  readonly simulator: {
    readonly control: {
      armFaults(request: FaultRequest): unknown;
      expireTokens(): unknown;
      sendUnknownOrderUpdate(): string;
      book(): { trades: ReadonlyArray<unknown> };
    };
  };
  readonly log: CapturedLog;
}

/** A state machine whose only inputs are a flag of "true" and `broker`'s token. */
export function tokenWatchingStates(broker: Broker): TradingStateMachine {
  return new TradingStateMachine(
    { enabled: () => true, snapshot: () => ({ reason: 'flag is "true"' }) },
    () => undefined,
    Date.now,
    [brokerTokenInput(broker)],
  );
}

/** A fresh venue per test, with the fills and closed orders its adapter reported. */
export interface VenueFixture<V> {
  readonly venue: V;
  readonly fills: Fill[];
  readonly closed: BrokerOrder[];
}

/** Starts a venue before each test of the enclosing `describe` and closes it after. */
export function eachVenue<V extends BrokerVenue>(start: () => Promise<V>): VenueFixture<V> {
  const fixture = { fills: [] as Fill[], closed: [] as BrokerOrder[] } as {
    venue: V;
    fills: Fill[];
    closed: BrokerOrder[];
  };
  beforeEach(async () => {
    fixture.venue = await start();
    fixture.fills = [];
    fixture.closed = [];
    fixture.venue.broker.onFill((f) => fixture.fills.push(f));
    fixture.venue.broker.onOrderClosed((o) => fixture.closed.push(o));
  });
  afterEach(() => fixture.venue.close());
  return fixture;
}

/** How one broker's adapter meets the shared faults, in the broker's own words. */
export interface BrokerFaults<V extends FaultVenue> {
  /** As the adapter's log lines name it. */
  readonly name: string;
  /** A venue whose order-book poll stays out of the way (the tests watch the events). */
  start(): Promise<V>;
  counters(venue: V): { readonly unknownOrderUpdates: number };
  /** A placement whose answer never came: the test's name and the error's words. */
  readonly timedOut: { readonly test: string; readonly words: RegExp };
  /** A throttled placement: the test's name and the error's words. */
  readonly throttled: { readonly test: string; readonly words: string | RegExp };
  /** A refused token mid-day: the test's name, the refusal's words and the halt cause. */
  readonly tokenRefused: { readonly test: string; readonly words: RegExp; readonly cause: RegExp };
  /** An RMS rejection: the test's name and the closed order's reason. */
  readonly rmsRejection: { readonly test: string; readonly reason: RegExp };
  /** Fills from the event stream: the test's name, the stream and the book's trade id field. */
  readonly streamFills: {
    readonly test: string;
    readonly stream: string;
    readonly tradeId: string;
  };
  /** A stop-loss order without its trigger, refused in these words (absent: not tested here). */
  readonly stopWithoutTrigger?: { readonly test: string; readonly words: RegExp };
}

/**
 * The faults every live adapter meets at its simulator: a placement that timed out after the
 * venue took it, throttling, a token refused mid-day, an update for an unknown order, an RMS
 * rejection, fills from the event stream. `extras` declares the broker's own fault tests.
 */
export function describeBrokerFaults<V extends FaultVenue>(
  broker: BrokerFaults<V>,
  extras?: (fixture: VenueFixture<V>) => void,
): void {
  describe(`${broker.name} adapter: faults at the simulator`, () => {
    const fixture = eachVenue(() => broker.start());

    it(broker.timedOut.test, async () => {
      const { venue } = fixture;
      venue.simulator.control.armFaults({ hangPlacements: 1 });
      const order = contractOrder('INFY', { type: 'LIMIT', limitPrice: 1250 });

      const attempt = venue.broker.submit(order);

      await expect(attempt).rejects.toThrow(broker.timedOut.words);
      await expect(attempt).rejects.not.toBeInstanceOf(BrokerRejectedError);
      const found = await venue.broker.getOrder(order.clientOrderId);
      const again = await venue.broker.submit(order);
      expect(found?.status).toBe('OPEN');
      expect(again.brokerOrderId).toBe(found?.brokerOrderId);
      expect(await venue.ordersAtVenue(order.clientOrderId)).toBe(1);
    });

    it(broker.throttled.test, async () => {
      const { venue } = fixture;
      const placed = contractOrder('INFY', { type: 'LIMIT', limitPrice: 1250 });
      await venue.broker.submit(placed);
      venue.simulator.control.armFaults({ failNext: { count: 3, status: 429 } });

      const found = await venue.broker.getOrder(placed.clientOrderId);
      venue.simulator.control.armFaults({ failNext: { count: 1, status: 429 } });
      const throttled = contractOrder('INFY', { type: 'LIMIT', limitPrice: 1250 });
      // Any instrument lookup is cached: the one 429 meets the placement itself.
      const attempt = venue.broker.submit(throttled);

      expect(found?.status).toBe('OPEN');
      await expect(attempt).rejects.toThrow(broker.throttled.words);
      await expect(attempt).rejects.not.toBeInstanceOf(BrokerRejectedError);
      expect(await venue.ordersAtVenue(throttled.clientOrderId)).toBe(0);
      expect(await venue.broker.getOrder(throttled.clientOrderId)).toBeUndefined();
    });

    it(broker.tokenRefused.test, async () => {
      const { venue } = fixture;
      const states = tokenWatchingStates(venue.broker);
      expect(states.update()?.to).toBe('ACTIVE');
      venue.simulator.control.expireTokens();
      const refusedAt = Date.now();

      await expect(venue.broker.positions()).rejects.toThrow(broker.tokenRefused.words);
      const transition = states.update();

      expect(transition?.to).toBe('HALTED');
      expect(transition?.cause).toMatch(broker.tokenRefused.cause);
      expect((transition?.at ?? Infinity) - refusedAt).toBeLessThan(2000);
      expect((await venue.broker.tokens())[0]?.expiresAt).toBeLessThanOrEqual(Date.now());
      await expect(venue.broker.submit(contractOrder('INFY'))).rejects.toBeInstanceOf(
        BrokerRejectedError,
      );
    });

    it('logs and ignores an order update for an order it never sent', async () => {
      const { venue } = fixture;
      const orderId = venue.simulator.control.sendUnknownOrderUpdate();

      await eventually(() => broker.counters(venue).unknownOrderUpdates === 1, 5000, 'the update');

      expect(venue.log.lines).toContainEqual(
        expect.objectContaining({
          orderId,
          msg: `${broker.name} order update for an order this task never sent: ignored`,
        }),
      );
      expect(fixture.fills).toEqual([]);
      expect(fixture.closed).toEqual([]);
    });

    it(broker.rmsRejection.test, async () => {
      const order = contractOrder('INFY', { type: 'LIMIT', limitPrice: 2500 });

      await fixture.venue.broker.submit(order);
      const rejected = await eventually(
        () => fixture.closed.find((o) => o.clientOrderId === order.clientOrderId),
        5000,
        'the rejection',
      );

      expect(rejected.status).toBe('REJECTED');
      expect(rejected.reason).toMatch(broker.rmsRejection.reason);
    });

    it(broker.streamFills.test, async () => {
      const { venue } = fixture;
      const order = contractOrder('INFY', { quantity: 5 });

      await venue.broker.submit(order);
      await eventually(() => fixture.fills.length === 1, 5000, broker.streamFills.stream);

      const trades = venue.simulator.control.book().trades as Array<Record<string, unknown>>;
      expect(trades.map((t) => t[broker.streamFills.tradeId])).toContain(
        fixture.fills[0]?.brokerFillId,
      );
    });

    const stop = broker.stopWithoutTrigger;
    if (stop) {
      it(stop.test, async () => {
        const order = contractOrder('INFY', { side: 'SELL', type: 'SL-M' });

        const attempt = fixture.venue.broker.submit(order);

        await expect(attempt).rejects.toBeInstanceOf(BrokerRejectedError);
        await expect(attempt).rejects.toThrow(stop.words);
        expect(await fixture.venue.ordersAtVenue(order.clientOrderId)).toBe(0);
      });
    }

    extras?.(fixture);
  });
}
