import { randomBytes } from 'node:crypto';
import type { SimInstrument } from './instruments';
import type { OrderEngine } from './order-engine';
import type { SimOrder, SimTrade } from './sim-order';

/**
 * Views of the shared matching engine that the brokers' simulators render in their own shapes:
 * the day's net positions (Upstox, Angel One), and a phantom order for the "order update for an
 * order nobody placed" fault (all three).
 */

/** One instrument and product the account traded today. */
export interface EnginePosition {
  readonly instrument: SimInstrument;
  readonly product: SimOrder['product'];
  readonly trades: readonly SimTrade[];
  readonly boughtQuantity: number;
  readonly soldQuantity: number;
  /** Signed: bought minus sold. */
  readonly netQuantity: number;
}

const sum = (list: readonly SimTrade[]) => list.reduce((n, t) => n + t.quantity, 0);

/** The day's positions per instrument and product, from the engine's fills. */
export function enginePositions(
  engine: OrderEngine,
  instruments: readonly SimInstrument[],
): EnginePosition[] {
  return instruments.flatMap((instrument) =>
    (['MIS', 'CNC'] as const).flatMap((product) => {
      const trades = engine
        .trades()
        .filter((t) => t.order.instrument === instrument && t.order.product === product);
      if (trades.length === 0) return [];
      return [
        {
          instrument,
          product,
          trades,
          boughtQuantity: sum(trades.filter((t) => t.order.transactionType === 'BUY')),
          soldQuantity: sum(trades.filter((t) => t.order.transactionType === 'SELL')),
          netQuantity: engine.account.netQuantity(instrument.instrumentToken, product),
        },
      ];
    }),
  );
}

/** A completed 1-share buy that is in no book: what an update for someone else's order shows. */
export function phantomOrder(engine: OrderEngine, orderId?: string): SimOrder {
  const instrument = engine.instrumentsListed()[0];
  if (!instrument) throw new Error('the simulator lists no instruments');
  const at = Date.now();
  return {
    orderId: orderId ?? `2501${randomBytes(6).readUIntBE(0, 6).toString().padStart(12, '0')}`,
    instrument,
    transactionType: 'BUY',
    product: 'MIS',
    tag: undefined,
    source: 'external',
    orderEpochMs: at,
    exchangeOrderId: null,
    orderType: 'MARKET',
    validity: 'DAY',
    quantity: 1,
    pricePaise: 0,
    triggerPaise: 0,
    status: 'COMPLETE',
    statusMessage: null,
    filledQuantity: 1,
    averagePaise: instrument.closePaise,
    cancelledQuantity: 0,
    exchangeEpochMs: at,
    modified: false,
    triggered: false,
  };
}
