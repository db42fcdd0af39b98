import type { Connect, KiteTicker } from 'kiteconnect';
import type { KiteSimulator } from '../../scripts/sim/kite/simulator';
import { DEFAULT_INSTRUMENTS } from '../../scripts/sim/shared/instruments';
import {
  EventLog,
  loggedInClient,
  rejectionOf,
  sdkTicker,
  startTestSimulator,
} from './kite-sim-support';

type OrderUpdate = { order_id: string; status: string; tag: string | null; average_price: number };

const LOT_FIVE = {
  ...(DEFAULT_INSTRUMENTS[0] as (typeof DEFAULT_INSTRUMENTS)[number]),
  instrumentToken: 99_999 * 256 + 1,
  tradingsymbol: 'LOTFIVE',
  lotSize: 5,
};

describe('Kite simulator: orders through the official SDK', () => {
  let simulator: KiteSimulator;
  let kite: Connect;
  let ticker: InstanceType<typeof KiteTicker>;
  const updates = new EventLog<OrderUpdate>();
  // Kite allows 10 order requests a second: each test gets a second of its own.
  let clock = Date.parse('2025-03-10T04:00:00Z');
  beforeEach(() => {
    clock += 1000;
  });

  const market = (
    tradingsymbol: string,
    side: 'BUY' | 'SELL',
    quantity: number,
    tag = 'algo-mom-01',
  ) =>
    kite.placeOrder('regular', {
      exchange: 'NSE',
      tradingsymbol,
      transaction_type: side,
      quantity,
      product: 'MIS',
      order_type: 'MARKET',
      tag,
    });

  beforeAll(async () => {
    simulator = await startTestSimulator({
      instruments: [...DEFAULT_INSTRUMENTS, LOT_FIVE],
      cashRupees: 200_000,
      now: () => clock,
    });
    const login = await loggedInClient(simulator);
    kite = login.kite;
    ticker = sdkTicker(simulator, login.session.access_token, false);
    const connected = new Promise<void>((resolve) => ticker.on('connect', () => resolve()));
    ticker.on('order_update', (order: OrderUpdate) => updates.push(order));
    ticker.connect();
    await connected;
  });
  afterAll(async () => {
    ticker.disconnect();
    await simulator.stop();
  });

  it('fills a market order at the last price and shows it in orders, trades, positions and an order update', async () => {
    // Arrange
    const ltp = (await kite.getLTP(['NSE:INFY']))['NSE:INFY']?.last_price;

    // Act
    const { order_id } = await market('INFY', 'BUY', 10);
    const complete = await updates.next((u) => u.order_id === order_id && u.status === 'COMPLETE');

    // Assert
    const order = (await kite.getOrders()).find((o) => o.order_id === order_id);
    const trades = (await kite.getTrades()).filter((t) => t.order_id === order_id);
    const positions = await kite.getPositions();
    expect(order).toMatchObject({
      status: 'COMPLETE',
      filled_quantity: 10,
      average_price: ltp,
      tag: 'algo-mom-01',
    });
    expect(order?.order_timestamp).toBeInstanceOf(Date);
    expect(trades).toEqual([expect.objectContaining({ quantity: 10, average_price: ltp })]);
    expect(positions.net).toEqual([
      expect.objectContaining({
        tradingsymbol: 'INFY',
        product: 'MIS',
        quantity: 10,
        average_price: ltp,
      }),
    ]);
    expect(positions.day).toEqual(positions.net);
    expect(complete).toMatchObject({ tag: 'algo-mom-01', average_price: ltp });
    expect(updates.events.filter((u) => u.order_id === order_id).map((u) => u.status)).toEqual([
      'OPEN',
      'COMPLETE',
    ]);
  });

  it('rests a limit order, modifies it, and fills it at its price when the market crosses', async () => {
    const { order_id } = await kite.placeOrder('regular', {
      exchange: 'NSE',
      tradingsymbol: 'TCS',
      transaction_type: 'BUY',
      quantity: 2,
      product: 'MIS',
      order_type: 'LIMIT',
      price: 3850,
      tag: 'algo-mr-02',
    });
    await kite.modifyOrder('regular', order_id, { price: 3840.5, quantity: 3 });

    simulator.control.setPrice('TCS', 3835);
    await updates.next((u) => u.order_id === order_id && u.status === 'COMPLETE');

    const history = await kite.getOrderHistory(order_id);
    expect(history.map((h) => h.status)).toEqual([
      'PUT ORDER REQ RECEIVED',
      'VALIDATION PENDING',
      'OPEN PENDING',
      'OPEN',
      'MODIFIED',
      'OPEN',
      'COMPLETE',
    ]);
    expect(history.at(-1)).toMatchObject({
      quantity: 3,
      price: 3840.5,
      average_price: 3840.5,
      filled_quantity: 3,
    });
  });

  it('cancels an open order and refuses to cancel it twice with an OrderException', async () => {
    const { order_id } = await kite.placeOrder('regular', {
      exchange: 'NSE',
      tradingsymbol: 'SBIN',
      transaction_type: 'SELL',
      quantity: 5,
      product: 'MIS',
      order_type: 'LIMIT',
      price: 850,
    });

    await kite.cancelOrder('regular', order_id);
    const again = await rejectionOf(kite.cancelOrder('regular', order_id));

    await updates.next((u) => u.order_id === order_id && u.status === 'CANCELLED');
    expect(again).toMatchObject({
      error_type: 'OrderException',
      message: 'Order cannot be cancelled as it is in CANCELLED state.',
    });
  });

  it('triggers an SL-M sell when the price falls to the trigger', async () => {
    await market('HDFCBANK', 'BUY', 4);
    const { order_id } = await kite.placeOrder('regular', {
      exchange: 'NSE',
      tradingsymbol: 'HDFCBANK',
      transaction_type: 'SELL',
      quantity: 4,
      product: 'MIS',
      order_type: 'SL-M',
      trigger_price: 1640,
    });
    await updates.next((u) => u.order_id === order_id && u.status === 'TRIGGER PENDING');

    simulator.control.setPrice('HDFCBANK', 1639.95);
    const filled = await updates.next((u) => u.order_id === order_id && u.status === 'COMPLETE');

    expect(filled.average_price).toBe(1639.95);
    const position = (await kite.getPositions()).net.find((p) => p.tradingsymbol === 'HDFCBANK');
    expect(position?.quantity).toBe(0);
  });

  it('refuses a tag longer than 20 characters with an InputException and books nothing', async () => {
    const before = (await kite.getOrders()).length;

    const rejection = await rejectionOf(market('INFY', 'BUY', 1, 'strategy-momentum-0001'));

    expect(rejection.error_type).toBe('InputException');
    expect(rejection.message).toContain('"strategy-momentum-0001" is 22 characters');
    expect(await kite.getOrders()).toHaveLength(before);
  });

  it.each([
    [{ tradingsymbol: 'NOSUCH' }, 'Invalid `tradingsymbol`.'],
    [{ tradingsymbol: 'NIFTY 50' }, 'Invalid `tradingsymbol`.'],
    [
      { tradingsymbol: 'LOTFIVE', quantity: 7 },
      'Quantity should be a multiple of lot size (5) for LOTFIVE.',
    ],
    [
      { order_type: 'LIMIT', price: 1500.03 },
      'Tick size for this script is 0.05. Kindly enter price in the multiple of tick size for this script',
    ],
    [{ order_type: 'LIMIT' }, 'Missing `price`.'],
    [{ product: 'NRML' }, 'Invalid `product`: "NRML".'],
  ])('refuses %j synchronously with InputException %s', async (override, message) => {
    const rejection = await rejectionOf(
      kite.placeOrder('regular', {
        exchange: 'NSE',
        tradingsymbol: 'INFY',
        transaction_type: 'BUY',
        quantity: 1,
        product: 'MIS',
        order_type: 'MARKET',
        ...override,
      } as Parameters<Connect['placeOrder']>[1]),
    );
    expect(rejection).toEqual({
      status: 'error',
      error_type: 'InputException',
      message,
      data: null,
    });
  });

  it('rejects a limit price outside the circuit band as a REJECTED order with the reason', async () => {
    const quote = (await kite.getQuote(['NSE:RELIANCE']))['NSE:RELIANCE'];
    const { order_id } = await kite.placeOrder('regular', {
      exchange: 'NSE',
      tradingsymbol: 'RELIANCE',
      transaction_type: 'BUY',
      quantity: 1,
      product: 'MIS',
      order_type: 'LIMIT',
      price: (quote?.upper_circuit_limit ?? 0) + 10,
    });

    const rejected = await updates.next((u) => u.order_id === order_id && u.status === 'REJECTED');

    expect(quote).toMatchObject({ lower_circuit_limit: 2320, upper_circuit_limit: 3480 });
    expect(quote?.depth.buy).toHaveLength(5);
    expect(rejected).toMatchObject({
      status_message: expect.stringContaining(
        'higher than the current upper circuit limit of 3480.00',
      ),
    });
  });

  it('rejects an order the margin does not cover with the RMS message', async () => {
    const { order_id } = await market('RELIANCE', 'BUY', 1000);

    const rejected = await updates.next((u) => u.order_id === order_id && u.status === 'REJECTED');

    expect(rejected).toMatchObject({
      status_message: expect.stringMatching(/^RMS:Margin Exceeds,Required:580000\.00, Available:/),
    });
    const margins = await kite.getMargins();
    expect(margins.equity?.available.cash).toBe(200_000);
  });

  it('serves the NSE instrument dump as a CSV the SDK parses', async () => {
    const instruments = await kite.getInstruments('NSE');

    expect(instruments).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          instrument_token: '408065',
          tradingsymbol: 'INFY',
          lot_size: 1,
          tick_size: 0.05,
          exchange: 'NSE',
        }),
        expect.objectContaining({ tradingsymbol: 'NIFTY 50', segment: 'INDICES' }),
      ]),
    );
  });
});
