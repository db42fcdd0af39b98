import type { SimInstrument } from './instruments';
import { type SimOrderType, SimRefusal } from './sim-order';
import { toPaise } from './units';

/**
 * The engine's synchronous input checks, in the words Zerodha's OMS uses (the other simulators
 * answer them in their own envelopes): prices on the tick grid, the prices an order type takes,
 * a stop-loss limit on the right side of its trigger, quantities in lots.
 */

const refuse = (message: string) => new SimRefusal('input', message);

/** The order's prices in paise, checked against its type and the instrument's tick. */
export function checkedPrices(
  instrument: SimInstrument,
  orderType: SimOrderType,
  fields: { price?: number; trigger_price?: number; transaction_type: 'BUY' | 'SELL' },
): { pricePaise: number; triggerPaise: number } {
  const tick = instrument.tickPaise;
  const onTick = (value: number | undefined, name: string): number => {
    const paise = toPaise(value ?? 0);
    if (paise === undefined || paise < 0 || paise % tick !== 0) {
      throw refuse(
        `Tick size for this script is ${(tick / 100).toFixed(2)}. Kindly enter ${name} in the multiple of tick size for this script`,
      );
    }
    return paise;
  };
  const needsPrice = orderType === 'LIMIT' || orderType === 'SL';
  const needsTrigger = orderType === 'SL' || orderType === 'SL-M';
  if (needsPrice && !(fields.price && fields.price > 0)) throw refuse('Missing `price`.');
  if (needsTrigger && !(fields.trigger_price && fields.trigger_price > 0)) {
    throw refuse('Missing `trigger_price`.');
  }
  const pricePaise = needsPrice ? onTick(fields.price, 'price') : 0;
  const triggerPaise = needsTrigger ? onTick(fields.trigger_price, 'trigger price') : 0;
  if (orderType === 'SL') {
    const buy = fields.transaction_type === 'BUY';
    if (buy ? triggerPaise > pricePaise : triggerPaise < pricePaise) {
      throw refuse(
        `Trigger price for stoploss ${buy ? 'buy' : 'sell'} orders cannot be ${buy ? 'above' : 'below'} the limit price.`,
      );
    }
  }
  return { pricePaise, triggerPaise };
}

/** A positive quantity in whole lots. */
export function checkQuantity(instrument: SimInstrument, quantity: number): void {
  if (quantity <= 0) throw refuse('Invalid `quantity`: it must be positive.');
  if (quantity % instrument.lotSize !== 0) {
    throw refuse(
      `Quantity should be a multiple of lot size (${instrument.lotSize}) for ${instrument.tradingsymbol}.`,
    );
  }
}
