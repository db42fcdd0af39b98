import type { SimInstrument } from './instruments';

/** The order statuses the simulators' engine goes through (Kite's words; the others map them). */
export type OrderStatus =
  | 'PUT ORDER REQ RECEIVED'
  | 'VALIDATION PENDING'
  | 'OPEN PENDING'
  | 'OPEN'
  | 'TRIGGER PENDING'
  | 'MODIFIED'
  | 'COMPLETE'
  | 'CANCELLED'
  | 'REJECTED';

export type SimOrderType = 'MARKET' | 'LIMIT' | 'SL' | 'SL-M';

/** An order in the engine's book; prices in paise. */
export interface SimOrder {
  readonly orderId: string;
  readonly instrument: SimInstrument;
  readonly transactionType: 'BUY' | 'SELL';
  readonly product: 'MIS' | 'CNC';
  readonly tag: string | undefined;
  /** `api` for orders through the REST API, `external` for ones opened behind its back. */
  readonly source: 'api' | 'external';
  readonly orderEpochMs: number;
  exchangeOrderId: string | null;
  orderType: SimOrderType;
  validity: 'DAY' | 'IOC';
  quantity: number;
  pricePaise: number;
  triggerPaise: number;
  status: OrderStatus;
  statusMessage: string | null;
  filledQuantity: number;
  averagePaise: number;
  cancelledQuantity: number;
  exchangeEpochMs: number | null;
  modified: boolean;
  triggered: boolean;
}

/** A fill; prices in paise. */
export interface SimTrade {
  readonly tradeId: string;
  readonly order: SimOrder;
  readonly quantity: number;
  readonly pricePaise: number;
  readonly fillEpochMs: number;
}

/** A state of an order as an order-history call lists it (a copy per transition). */
export type OrderSnapshot = Readonly<SimOrder>;

/** Receives every order state change (the order streams turn them into update messages). */
export type OrderListener = (order: SimOrder) => void;

/** A placement as each simulator's routes hand it to the engine (prices in rupees). */
export interface EnginePlacement {
  readonly tradingsymbol: string;
  readonly transaction_type: 'BUY' | 'SELL';
  readonly quantity: number;
  readonly product: 'MIS' | 'CNC';
  readonly order_type: SimOrderType;
  readonly validity: 'DAY' | 'IOC';
  readonly price?: number;
  readonly trigger_price?: number;
  readonly tag?: string;
}

/** A modification: the fields it changes (prices in rupees). */
export interface EngineModification {
  readonly quantity?: number;
  readonly price?: number;
  readonly trigger_price?: number;
  readonly order_type?: SimOrderType;
  readonly validity?: 'DAY' | 'IOC';
}

/**
 * What the engine refuses synchronously, in the exchange's and RMS's words: `input` for a bad
 * request (symbol, tick, lot, prices), `state` for an order that can no longer change. Each
 * simulator answers it in its broker's envelope.
 */
export class SimRefusal extends Error {
  override readonly name = 'SimRefusal';
  constructor(
    readonly kind: 'input' | 'state',
    message: string,
  ) {
    super(message);
  }
}

export const isStop = (order: { orderType: SimOrderType }): boolean =>
  order.orderType === 'SL' || order.orderType === 'SL-M';
