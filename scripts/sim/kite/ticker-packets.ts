import type { MarketState } from '../shared/price-walk';

/**
 * Kite's binary ticker format, as ticker.js parses it: big-endian int32 fields, prices in paise,
 * packets framed as [int16 count][int16 length][packet]... Equity packets are 8 (ltp), 44 (quote)
 * or 184 (full, with 5 bid and 5 ask levels of 12 bytes) bytes; index packets 8, 28 or 32.
 */

/** The streaming modes a ticker subscription can be in. */
export type TickerMode = 'ltp' | 'quote' | 'full';

const int32 = (buffer: Buffer, offset: number, value: number) =>
  buffer.writeInt32BE(Math.round(value), offset);

function indexPacket(state: MarketState, mode: TickerMode): Buffer {
  const packet = Buffer.alloc(mode === 'full' ? 32 : 28);
  int32(packet, 0, state.instrument.instrumentToken);
  int32(packet, 4, state.ltpPaise);
  int32(packet, 8, state.highPaise);
  int32(packet, 12, state.lowPaise);
  int32(packet, 16, state.openPaise);
  int32(packet, 20, state.closePaise);
  int32(packet, 24, state.ltpPaise - state.closePaise);
  if (mode === 'full') int32(packet, 28, state.exchangeSec);
  return packet;
}

/** One instrument's packet in a mode. */
export function encodePacket(state: MarketState, mode: TickerMode): Buffer {
  if (mode === 'ltp') {
    const packet = Buffer.alloc(8);
    int32(packet, 0, state.instrument.instrumentToken);
    int32(packet, 4, state.ltpPaise);
    return packet;
  }
  if (state.instrument.segment === 'INDICES') return indexPacket(state, mode);
  const packet = Buffer.alloc(mode === 'full' ? 184 : 44);
  int32(packet, 0, state.instrument.instrumentToken);
  int32(packet, 4, state.ltpPaise);
  int32(packet, 8, state.lastQuantity);
  int32(packet, 12, state.averagePaise);
  int32(packet, 16, state.volume);
  int32(packet, 20, state.totalBuyQuantity);
  int32(packet, 24, state.totalSellQuantity);
  int32(packet, 28, state.openPaise);
  int32(packet, 32, state.highPaise);
  int32(packet, 36, state.lowPaise);
  int32(packet, 40, state.closePaise);
  if (mode === 'quote') return packet;
  int32(packet, 44, state.lastTradeSec);
  // 48..60: open interest, its day high and low: zero for cash equities.
  int32(packet, 60, state.exchangeSec);
  const levels = [...state.depth.buy, ...state.depth.sell];
  levels.forEach((level, i) => {
    const at = 64 + i * 12;
    int32(packet, at, level.quantity);
    int32(packet, at + 4, level.pricePaise);
    packet.writeInt16BE(level.orders, at + 8);
    // at+10..12: two bytes of padding, as Kite sends them.
  });
  return packet;
}

/** Frames packets into one binary message: [count][len][packet][len][packet]... */
export function frame(packets: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.alloc(2)];
  (parts[0] as Buffer).writeUInt16BE(packets.length, 0);
  for (const packet of packets) {
    const length = Buffer.alloc(2);
    length.writeUInt16BE(packet.length, 0);
    parts.push(length, packet);
  }
  return Buffer.concat(parts);
}

/** Kite's heartbeat: a single byte, which ticker.js counts as a read but does not parse. */
export const HEARTBEAT = Buffer.from([0]);

/**
 * A message that claims one full packet of 184 bytes but ends after the header and 20 bytes:
 * what a torn frame looks like to a parser.
 */
export function truncatedFullMessage(state: MarketState): Buffer {
  return frame([encodePacket(state, 'full')]).subarray(0, 4 + 20);
}
