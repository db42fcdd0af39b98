import type { BrokerPosition } from '../broker';
import { digestOfTag } from '../order-tag';
import type { KiteOrder } from './kite-wire';

/**
 * Positions per strategy and symbol from the day's tagged orders; whatever Kite's net NSE position
 * holds beyond them (opened behind our back, in the Kite app) is reported under the strategy
 * "unattributed", so reconciliation sees it instead of it vanishing.
 */
export function attributePositions(
  book: readonly KiteOrder[],
  net: ReadonlyArray<{ tradingsymbol: string; exchange: string; quantity: number }>,
  strategyOfTag: (tag: string) => string,
): BrokerPosition[] {
  const ours = new Map<string, BrokerPosition>();
  const attributed = new Map<string, number>();
  for (const o of book) {
    if (o.exchange !== 'NSE' || o.filled_quantity === 0 || !digestOfTag(o.tag)) continue;
    const strategyId = strategyOfTag(o.tag ?? '');
    const signed = o.transaction_type === 'BUY' ? o.filled_quantity : -o.filled_quantity;
    const key = `${strategyId}\u0000${o.tradingsymbol}`;
    const q = (ours.get(key)?.quantity ?? 0) + signed;
    ours.set(key, { strategyId, symbol: o.tradingsymbol, quantity: q });
    attributed.set(o.tradingsymbol, (attributed.get(o.tradingsymbol) ?? 0) + signed);
  }
  const result = [...ours.values()].filter((p) => p.quantity !== 0);
  const atKite = new Map<string, number>();
  for (const p of net)
    if (p.exchange === 'NSE')
      atKite.set(p.tradingsymbol, (atKite.get(p.tradingsymbol) ?? 0) + p.quantity);
  for (const [symbol, quantity] of atKite) {
    const rest = quantity - (attributed.get(symbol) ?? 0);
    if (rest !== 0) result.push({ strategyId: 'unattributed', symbol, quantity: rest });
  }
  return result;
}
