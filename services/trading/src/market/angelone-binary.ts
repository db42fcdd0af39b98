/**
 * SmartAPI WebSocket V2's binary market data (little-endian), as Angel One documents it and its
 * SDK parses it (`smartapi-javascript/lib/websocket2.0.js`): one packet per frame; the first byte
 * is the subscription mode, which fixes the length. Prices are integers in paise.
 */

/** `mode` of a subscription and of every packet. */
export const ANGEL_MODE = { ltp: 1, quote: 2, snapQuote: 3 } as const;
/** `exchangeType`: NSE cash market. */
export const ANGEL_NSE_CM = 1;

/** Byte offsets of the fields the desk reads or the simulator writes. */
export const ANGEL_OFFSET = {
  mode: 0,
  exchangeType: 1,
  token: 2,
  sequence: 27,
  exchangeTimestamp: 35,
  lastTradedPrice: 43,
  lastTradedQuantity: 51,
  averagePrice: 59,
  volume: 67,
  totalBuyQuantity: 75,
  totalSellQuantity: 83,
  open: 91,
  high: 99,
  low: 107,
  close: 115,
  lastTradedTimestamp: 123,
  openInterest: 131,
  openInterestChange: 139,
  bestFive: 147,
  upperCircuit: 347,
  lowerCircuit: 355,
  yearHigh: 363,
  yearLow: 371,
} as const;
/** `token` is 25 bytes of ASCII, NUL-padded. */
export const ANGEL_TOKEN_BYTES = 25;
/** One of the 10 best-five entries: flag (1 buy, 0 sell) i16, quantity i64, price i64, orders i16. */
export const ANGEL_DEPTH_ENTRY_BYTES = 20;
/** Packet length per mode. */
export const ANGEL_PACKET_BYTES: Readonly<Record<number, number>> = { 1: 51, 2: 123, 3: 379 };

/** One decoded packet; depth only in SNAP_QUOTE. */
export interface AngelPacket {
  readonly mode: number;
  readonly exchangeType: number;
  readonly token: string;
  readonly sequence: number;
  /** Epoch ms of the exchange's update. */
  readonly exchangeTimestamp: number;
  readonly lastTradedPricePaise: number;
  /** Epoch ms of the last trade (the packet carries seconds). */
  readonly lastTradedTime?: number;
  readonly bestBidPaise?: number;
  readonly bestAskPaise?: number;
}

const i64 = (data: Buffer, at: number) => Number(data.readBigInt64LE(at));

/** Decodes one binary frame, or throws naming what is wrong with it. */
export function decodeAngelPacket(data: Buffer): AngelPacket {
  const mode = data.length > 0 ? data.readUInt8(ANGEL_OFFSET.mode) : -1;
  const expected = ANGEL_PACKET_BYTES[mode];
  if (expected === undefined) throw new Error(`unknown subscription mode ${mode}`);
  if (data.length < expected)
    throw new Error(`mode ${mode} packet of ${data.length} bytes, expected ${expected}`);
  const tokenBytes = data.subarray(ANGEL_OFFSET.token, ANGEL_OFFSET.token + ANGEL_TOKEN_BYTES);
  const end = tokenBytes.indexOf(0);
  const token = tokenBytes.subarray(0, end < 0 ? ANGEL_TOKEN_BYTES : end).toString('ascii');
  if (!/^\d+$/.test(token)) throw new Error(`token ${JSON.stringify(token)} is not a number`);
  const ltp = i64(data, ANGEL_OFFSET.lastTradedPrice);
  if (ltp <= 0) throw new Error(`last traded price ${ltp} is not positive`);
  const packet = {
    mode,
    exchangeType: data.readUInt8(ANGEL_OFFSET.exchangeType),
    token,
    sequence: i64(data, ANGEL_OFFSET.sequence),
    exchangeTimestamp: i64(data, ANGEL_OFFSET.exchangeTimestamp),
    lastTradedPricePaise: ltp,
  };
  if (mode !== ANGEL_MODE.snapQuote) return packet;
  let bestBidPaise: number | undefined;
  let bestAskPaise: number | undefined;
  for (let i = 0; i < 10; i += 1) {
    const at = ANGEL_OFFSET.bestFive + i * ANGEL_DEPTH_ENTRY_BYTES;
    const price = i64(data, at + 10);
    if (price <= 0) continue;
    // Entries are not promised in order: the best bid is the highest buy, the best ask the lowest sell.
    if (data.readInt16LE(at) === 1) bestBidPaise = Math.max(bestBidPaise ?? 0, price);
    else bestAskPaise = Math.min(bestAskPaise ?? Number.POSITIVE_INFINITY, price);
  }
  return {
    ...packet,
    lastTradedTime: i64(data, ANGEL_OFFSET.lastTradedTimestamp) * 1000,
    bestBidPaise,
    bestAskPaise,
  };
}
