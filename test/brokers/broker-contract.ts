import {
  type Broker,
  type BrokerOrder,
  BrokerRejectedError,
  type SendThrough,
} from '../../services/trading/src/broker/broker';
import type { Fill, Order } from '../../services/trading/src/domain';
import { eventually } from '../trading/harness';

/**
 * A broker adapter wired to a real venue (the paper venue on PostgreSQL, a wire-compatible
 * simulator), with the levers the contract needs to move the venue.
 */
export interface BrokerVenue {
  readonly broker: Broker;
  /** A symbol the venue has a market in. */
  readonly symbol: string;
  /** A symbol the venue does not trade: an order in it is refused. */
  readonly unknownSymbol: string;
  /** A limit price at which a BUY in `symbol` rests without filling. */
  restingBuyLimit(): Promise<number>;
  /** Moves the venue's last price (and touch) of `symbol` to `price`; the venue matches on it. */
  setPrice(price: number): Promise<void>;
  /** How many orders the venue holds for this client order id (a duplicate shows as 2). */
  ordersAtVenue(clientOrderId: string): Promise<number>;
  /** Drops the connection that carries the venue's events and lets it come back. */
  dropConnection(): Promise<void>;
  /** Makes the venue refuse the adapter's access token from now on (absent: no tokens to expire). */
  expireToken?(): Promise<void>;
  /** The venue's words for a refused token. @default /TokenException/ (Kite's) */
  readonly tokenRefusal?: RegExp;
  close(): Promise<void>;
}

let sequence = 0;

/** The contract strategies' exchange algo IDs: every order's tag starts with its strategy's. */
export const CONTRACT_ALGO_IDS: Readonly<Record<string, string>> = {
  'orb-15': '10001',
  'ma-cross': '10002',
};

/** Algo ID -> strategy, as the service hands it to a live adapter. */
export const contractAlgoStrategies = (): ReadonlyMap<string, string> =>
  new Map(Object.entries(CONTRACT_ALGO_IDS).map(([strategy, algo]) => [algo, strategy]));

/** An order of ours as the order manager hands it to the broker. */
export function contractOrder(symbol: string, overrides: Partial<Order> = {}): Order {
  sequence += 1;
  const clientOrderId = `ct-${process.pid}-${Date.now()}-${sequence}`;
  const strategyId = overrides.strategyId ?? 'orb-15';
  return {
    id: `id-${clientOrderId}`,
    clientOrderId,
    strategyId,
    algoId: CONTRACT_ALGO_IDS[strategyId],
    symbol,
    side: 'BUY',
    type: 'MARKET',
    quantity: 10,
    reduceOnly: false,
    status: 'NEW',
    filledQuantity: 0,
    tradingDay: '2026-11-23',
    createdAt: Date.now(),
    ...overrides,
  };
}

/** A send wrapper whose call reaches the venue but whose answer is lost, as a timeout does. */
const answerLost: SendThrough = async (send) => {
  await send();
  throw new Error('broker call timed out after 5000 ms');
};

interface Recorded {
  readonly fills: Fill[];
  readonly closed: BrokerOrder[];
}

function record(broker: Broker): Recorded {
  const recorded: Recorded = { fills: [], closed: [] };
  broker.onFill((fill) => recorded.fills.push(fill));
  broker.onOrderClosed((order) => recorded.closed.push(order));
  return recorded;
}

const filledOf = (fills: readonly Fill[], clientOrderId: string) =>
  fills.filter((f) => f.clientOrderId === clientOrderId).reduce((n, f) => n + f.quantity, 0);

/**
 * The behaviours the trading service relies on from every broker adapter (product.md, issue
 * 12 item 7): submit, idempotent lookup by client order id, cancel, fills as events and
 * positions, reconnect, token failure. `makeVenue` builds a fresh adapter and venue per test.
 */
export function describeBrokerContract(name: string, makeVenue: () => Promise<BrokerVenue>): void {
  describe(`Broker contract: ${name}`, () => {
    let venue: BrokerVenue;
    let events: Recorded;

    beforeEach(async () => {
      venue = await makeVenue();
      events = record(venue.broker);
    });
    afterEach(async () => {
      await venue.close();
    });

    it('acknowledges an order with the venue id and finds it by client order id', async () => {
      const order = contractOrder(venue.symbol, {
        type: 'LIMIT',
        limitPrice: await venue.restingBuyLimit(),
      });

      const ack = await venue.broker.submit(order);
      const found = await venue.broker.getOrder(order.clientOrderId);

      expect(ack.brokerOrderId).not.toBe('');
      expect(found).toMatchObject({
        brokerOrderId: ack.brokerOrderId,
        clientOrderId: order.clientOrderId,
        strategyId: order.strategyId,
        symbol: order.symbol,
        side: 'BUY',
        quantity: order.quantity,
        status: 'OPEN',
        filledQuantity: 0,
      });
      expect(venue.broker.connected()).toBe(true);
    });

    it("modifies a resting order's quantity: the lookup shows it, the venue holds one order", async () => {
      const order = contractOrder(venue.symbol, {
        type: 'LIMIT',
        limitPrice: await venue.restingBuyLimit(),
      });
      const ack = await venue.broker.submit(order);

      await venue.broker.modify(order.clientOrderId, { quantity: order.quantity * 2 });

      expect(await venue.broker.getOrder(order.clientOrderId)).toMatchObject({
        brokerOrderId: ack.brokerOrderId,
        status: 'OPEN',
        quantity: order.quantity * 2,
      });
      expect(await venue.ordersAtVenue(order.clientOrderId)).toBe(1);
    });

    it('fills a resting limit once a modify moves it through the market', async () => {
      await venue.setPrice(1500);
      const order = contractOrder(venue.symbol, { type: 'LIMIT', limitPrice: 1490 });
      await venue.broker.submit(order);

      await venue.broker.modify(order.clientOrderId, { limitPrice: 1510 });

      await eventually(() => filledOf(events.fills, order.clientOrderId) === 10, 10_000, 'fill');
      const fills = events.fills.filter((f) => f.clientOrderId === order.clientOrderId);
      expect(fills.every((f) => f.price <= 1510)).toBe(true);
      expect((await venue.broker.getOrder(order.clientOrderId))?.status).toBe('FILLED');
    });

    it('refuses to modify a filled order in the venue words, changing nothing', async () => {
      const order = contractOrder(venue.symbol, { quantity: 3 });
      await venue.broker.submit(order);
      await eventually(() => filledOf(events.fills, order.clientOrderId) === 3, 10_000, 'the fill');

      const attempt = venue.broker.modify(order.clientOrderId, { quantity: 6 });

      await expect(attempt).rejects.toBeInstanceOf(BrokerRejectedError);
      await expect(attempt).rejects.toThrow(/cannot be modified/i);
      expect(await venue.broker.getOrder(order.clientOrderId)).toMatchObject({
        status: 'FILLED',
        quantity: 3,
      });
    });

    it('holds an SL-M sell until the last price reaches its trigger, then fills it', async () => {
      await venue.setPrice(1500);
      const order = contractOrder(venue.symbol, {
        side: 'SELL',
        type: 'SL-M',
        triggerPrice: 1490,
      });

      await venue.broker.submit(order);
      await venue.setPrice(1495);
      const waiting = await venue.broker.getOrder(order.clientOrderId);
      await venue.setPrice(1485);

      expect(waiting).toMatchObject({ status: 'OPEN', filledQuantity: 0 });
      await eventually(() => filledOf(events.fills, order.clientOrderId) === 10, 10_000, 'fill');
      const fills = events.fills.filter((f) => f.clientOrderId === order.clientOrderId);
      expect(fills.every((f) => f.price <= 1490)).toBe(true);
    });

    it('releases an SL buy as a limit at its trigger: filled no worse than the limit', async () => {
      await venue.setPrice(1500);
      const order = contractOrder(venue.symbol, {
        type: 'SL',
        triggerPrice: 1510,
        limitPrice: 1512,
      });

      await venue.broker.submit(order);
      await venue.setPrice(1505);
      const waiting = await venue.broker.getOrder(order.clientOrderId);
      await venue.setPrice(1511);

      expect(waiting).toMatchObject({ status: 'OPEN', filledQuantity: 0 });
      await eventually(() => filledOf(events.fills, order.clientOrderId) === 10, 10_000, 'fill');
      const fills = events.fills.filter((f) => f.clientOrderId === order.clientOrderId);
      expect(fills.every((f) => f.price >= 1510 && f.price <= 1512)).toBe(true);
    });

    it('answers undefined for a client order id it never received', async () => {
      expect(await venue.broker.getOrder('ct-never-sent')).toBeUndefined();
    });

    it('refuses an order in an unknown symbol with BrokerRejectedError in the venue words', async () => {
      const order = contractOrder(venue.unknownSymbol);

      const attempt = venue.broker.submit(order);

      await expect(attempt).rejects.toBeInstanceOf(BrokerRejectedError);
      await expect(attempt).rejects.toThrow(/\S{3,}/);
      expect(await venue.ordersAtVenue(order.clientOrderId)).toBe(0);
    });

    it('finds a placement whose answer was lost and never holds it twice', async () => {
      const order = contractOrder(venue.symbol, {
        type: 'LIMIT',
        limitPrice: await venue.restingBuyLimit(),
      });

      await expect(venue.broker.submit(order, answerLost)).rejects.toThrow(/timed out/);
      const found = await venue.broker.getOrder(order.clientOrderId);
      const again = await venue.broker.submit(order);

      expect(found?.status).toBe('OPEN');
      expect(again.brokerOrderId).toBe(found?.brokerOrderId);
      expect(await venue.ordersAtVenue(order.clientOrderId)).toBe(1);
    });

    it('cancels a resting order: a closed-order event and CANCELLED at lookup', async () => {
      const order = contractOrder(venue.symbol, {
        type: 'LIMIT',
        limitPrice: await venue.restingBuyLimit(),
      });
      await venue.broker.submit(order);

      await venue.broker.cancel(order.clientOrderId);

      const closed = await eventually(
        () => events.closed.find((o) => o.clientOrderId === order.clientOrderId),
        10_000,
        'the closed-order event',
      );
      expect(closed.status).toBe('CANCELLED');
      expect((await venue.broker.getOrder(order.clientOrderId))?.status).toBe('CANCELLED');
    });

    it('fills a market order: fill events sum to the quantity, the lookup lists the same fills', async () => {
      const order = contractOrder(venue.symbol, { quantity: 7 });

      const ack = await venue.broker.submit(order);
      await eventually(
        () => filledOf(events.fills, order.clientOrderId) === 7,
        10_000,
        'fills for the whole quantity',
      );
      const found = await venue.broker.getOrder(order.clientOrderId);

      const ours = events.fills.filter((f) => f.clientOrderId === order.clientOrderId);
      expect(ours.every((f) => f.brokerOrderId === ack.brokerOrderId && f.price > 0)).toBe(true);
      expect(found?.status).toBe('FILLED');
      expect(found?.filledQuantity).toBe(7);
      expect(found?.fills.map((f) => f.brokerFillId).sort()).toEqual(
        ours.map((f) => f.brokerFillId).sort(),
      );
    });

    it('reports positions per strategy and symbol from the fills', async () => {
      const buy = contractOrder(venue.symbol, { strategyId: 'ma-cross', quantity: 12 });
      const sell = contractOrder(venue.symbol, {
        strategyId: 'ma-cross',
        side: 'SELL',
        quantity: 5,
      });

      await venue.broker.submit(buy);
      await eventually(() => filledOf(events.fills, buy.clientOrderId) === 12, 10_000, 'the buy');
      await venue.broker.submit(sell);
      await eventually(() => filledOf(events.fills, sell.clientOrderId) === 5, 10_000, 'the sell');
      const positions = await venue.broker.positions();

      expect(positions).toContainEqual({
        strategyId: 'ma-cross',
        symbol: venue.symbol,
        quantity: 7,
      });
    });

    it('leaves a filled order FILLED when it is cancelled afterwards', async () => {
      const order = contractOrder(venue.symbol, { quantity: 3 });
      await venue.broker.submit(order);
      await eventually(() => filledOf(events.fills, order.clientOrderId) === 3, 10_000, 'the fill');

      await venue.broker.cancel(order.clientOrderId);

      expect((await venue.broker.getOrder(order.clientOrderId))?.status).toBe('FILLED');
      expect(events.closed.filter((o) => o.clientOrderId === order.clientOrderId)).toEqual([]);
    });

    it('keeps delivering events after the connection drops and returns', async () => {
      await venue.dropConnection();
      await eventually(() => venue.broker.connected(), 10_000, 'the connection back');
      const order = contractOrder(venue.symbol, { quantity: 4 });

      await venue.broker.submit(order);

      await eventually(
        () => filledOf(events.fills, order.clientOrderId) === 4,
        10_000,
        'fills after the reconnect',
      );
      expect((await venue.broker.getOrder(order.clientOrderId))?.status).toBe('FILLED');
    });

    it('reports a refused access token (the service halts on it), or has none to refuse', async () => {
      if (!venue.expireToken) {
        // The paper venue's tokens are its own: valid until tomorrow, never refused.
        const tokens = await venue.broker.tokens();
        expect(tokens.every((t) => t.expiresAt > Date.now())).toBe(true);
        expect(venue.broker.tokenProblem?.()).toBeUndefined();
        return;
      }
      expect(venue.broker.tokenProblem?.()).toBeUndefined();
      await venue.expireToken();
      const started = Date.now();

      const refusal = venue.tokenRefusal ?? /TokenException/;

      await expect(venue.broker.positions()).rejects.toThrow(refusal);

      expect(venue.broker.tokenProblem?.()).toMatch(refusal);
      expect(Date.now() - started).toBeLessThan(2000);
      const order = contractOrder(venue.symbol);
      await expect(venue.broker.submit(order)).rejects.toThrow(refusal);
    });
  });
}
